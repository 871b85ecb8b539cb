//! Shared helpers of the sequencer tests.

#![allow(dead_code)]

use talat_core::{Command, Event, Input};
use talat_engine::{Engine, EngineConfig};
use talat_journal::JournalConfig;
use talat_sequencer::workload::{Workload, WorkloadConfig};
use talat_sequencer::{NodeConfig, SnapshotPolicy};

pub const START_MS: u64 = 1_750_000_000_000;

/// Engine bounds for tests: invariants are checked by the tests themselves, at the end.
pub fn engine_config() -> EngineConfig {
    EngineConfig { check_invariants_every_command: false, ..EngineConfig::default() }
}

/// Small segments, frequent checkpoints and snapshots: every mechanism runs in a short test.
pub fn small_config() -> NodeConfig {
    NodeConfig {
        journal: JournalConfig { segment_max_bytes: 4 * 1024, ..JournalConfig::default() },
        engine: engine_config(),
        checkpoint_every_commands: 10,
        snapshots: SnapshotPolicy { every_commands: 40, every_ms: 0, keep: 2, archive_covered_segments: true, background: false },
    }
}

pub fn workload(seed: u64) -> Workload {
    Workload::new(WorkloadConfig { seed, users: 6, markets: 2, target_live_per_market: 60 })
}

/// A fresh engine that applied exactly `inputs`; returns it and each command's events.
pub fn fresh_replay(inputs: &[Input]) -> (Engine, Vec<Vec<Event>>) {
    let mut engine = Engine::new(engine_config());
    let mut all = Vec::with_capacity(inputs.len());
    for input in inputs {
        let mut events = Vec::new();
        engine.apply(input, &mut events);
        all.push(events);
    }
    (engine, all)
}

/// Inputs numbered from 1 with the given times.
pub fn inputs(commands: &[(Command, u64)]) -> Vec<Input> {
    commands.iter().enumerate().map(|(i, (command, ts_ms))| Input { seq: i as u64 + 1, ts_ms: *ts_ms, command: command.clone() }).collect()
}
