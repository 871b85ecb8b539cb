//! `talat replay`, `talat verify` and `talat bench journal`: argument-free runners that the CLI
//! wires up. Each returns the text (or JSON) to print, or a readable error for stderr and a
//! non-zero exit.

use crate::progress;
use crate::state_report;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use talat_journal::bench::{bench_group_commit, GroupCommitConfig, RunReport};
use talat_sequencer::bench::{bench_recovery, bench_replay_from_scratch, bench_sequencer, build_journal, BuildConfig, SequencerBenchConfig, SequencerRun};
use talat_sequencer::offline::{self, Progress, Start, VerifyOptions};

fn describe_start(start: &Start) -> String {
    match start {
        Start::Genesis => "from genesis".to_string(),
        Start::Snapshot(s) => format!("from the snapshot at journal record {} (engine command {}, {})", s.journal_seq, s.command_seq, s.path.display()),
    }
}

fn progress_callback(bar: &indicatif::ProgressBar) -> impl FnMut(Progress) + '_ {
    move |p: Progress| {
        bar.set_length(p.records_total);
        bar.set_position(p.records_done);
    }
}

/// `talat replay --data DIR [--to SEQ]`: the state after engine command SEQ (or the end).
pub fn replay(data: &Path, to: Option<u64>, levels: usize, json: bool) -> Result<String, String> {
    let bar = progress::bar(0, !json, "replaying", "records");
    let rebuilt = offline::rebuild(data, to, &mut progress_callback(&bar));
    bar.finish_and_clear();
    let rebuilt = rebuilt.map_err(|e| e.to_string())?;
    let summary = state_report::summarize(&rebuilt.engine, levels);
    if json {
        let value = serde_json::json!({
            "start": rebuilt.start,
            "replayed": rebuilt.replayed,
            "journal_seq": rebuilt.journal_seq,
            "journal_first_seq": rebuilt.journal.first_seq,
            "journal_next_seq": rebuilt.journal.next_seq,
            "truncated_tail": rebuilt.truncated_tail,
            "state": summary,
        });
        return Ok(serde_json::to_string_pretty(&value).expect("plain data") + "\n");
    }
    let mut s = String::new();
    if let Some(sentence) = &rebuilt.truncated_tail {
        let _ = writeln!(s, "journal recovery {sentence}");
    }
    let _ = writeln!(
        s,
        "replayed {} commands ({} journal records, {} checkpoints verified) {}, up to journal record {}",
        rebuilt.replayed.commands,
        rebuilt.replayed.records,
        rebuilt.replayed.checkpoints,
        describe_start(&rebuilt.start),
        rebuilt.journal_seq
    );
    s.push_str(&state_report::render(&summary));
    let _ = writeln!(s, "\ninvariants: hold");
    Ok(s)
}

/// `talat verify --data DIR`: everything replayed and checked; `Err` names the first violation.
pub fn verify(data: &Path, every_command: bool, json: bool) -> Result<String, String> {
    let bar = progress::bar(0, !json, "verifying", "records");
    let report = offline::verify(data, VerifyOptions { every_command }, &mut progress_callback(&bar), &mut |_, _| {});
    bar.finish_and_clear();
    let report = report.map_err(|e| e.to_string())?;
    if json {
        let value = serde_json::json!({ "ok": true, "report": report });
        return Ok(serde_json::to_string_pretty(&value).expect("plain data") + "\n");
    }
    let mut s = String::new();
    let _ = writeln!(s, "verify {}: OK", data.display());
    if let Some(sentence) = &report.truncated_tail {
        let _ = writeln!(s, "  journal recovery {sentence}");
    }
    let _ = writeln!(
        s,
        "  journal records {} to {} replayed {}",
        report.journal_first_seq,
        report.journal_next_seq.saturating_sub(1),
        describe_start(&report.start)
    );
    let _ = writeln!(
        s,
        "  {} commands, {} checkpoints verified, {} snapshot files matched the replayed state{}",
        report.replayed.commands,
        report.replayed.checkpoints,
        report.snapshots_verified,
        match report.snapshots_not_covered {
            0 => String::new(),
            n => format!(" ({n} older than the retained journal not comparable)"),
        }
    );
    let _ = writeln!(s, "  every invariant holds ({}, and at the end)", if every_command { "after every command" } else { "at every checkpoint" });
    let _ = writeln!(s, "  last engine command {}, state hash {}", report.last_command_seq, report.state_hash);
    Ok(s)
}

/// Options of `talat bench journal`.
pub struct BenchJournalOptions {
    /// Parent of the scratch directory; must be on the disk to measure (not tmpfs).
    pub dir: PathBuf,
    pub run_ms: u64,
    pub offered_rate_per_s: u64,
    /// Commands in the recovery/replay journal.
    pub commands: u64,
    pub skip_recovery: bool,
    pub json: bool,
}

/// Targets of issue #3 on the 2-core machine.
const TARGET_DURABLE_PER_S: f64 = 1_000_000.0;
const TARGET_P99_ACK_US: f64 = 2_000.0;
const TARGET_RECOVERY_MS: f64 = 5_000.0;
const TARGET_REPLAY_PER_S: f64 = 2_000_000.0;

pub fn bench_journal(options: &BenchJournalOptions) -> Result<String, String> {
    let scratch = options.dir.join(format!("talat-bench-journal-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let result = run_bench(options, &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

fn run_bench(options: &BenchJournalOptions, scratch: &Path) -> Result<String, String> {
    let phases = if options.skip_recovery { 2 } else { 5 };
    let bar = progress::bar(phases, !options.json, "bench journal", "phases");
    bar.set_message("group commit");
    let group_config = GroupCommitConfig { run_duration_ms: options.run_ms, offered_rate_per_s: options.offered_rate_per_s, ..GroupCommitConfig::default() };
    let group = bench_group_commit(&scratch.join("journal-only"), &group_config).map_err(|e| format!("journal-only benchmark: {e}"))?;
    bar.inc(1);
    let sequencer_config = SequencerBenchConfig { run_ms: options.run_ms, offered_rate_per_s: options.offered_rate_per_s, ..SequencerBenchConfig::default() };
    let sequencer =
        bench_sequencer(scratch, &sequencer_config, &mut |run| bar.set_message(format!("sequencer {run}"))).map_err(|e| format!("sequencer benchmark: {e}"))?;
    bar.inc(1);
    let mut recovery_section = None;
    if !options.skip_recovery {
        let dir = scratch.join("recovery");
        let build_config = BuildConfig { commands: options.commands, ..BuildConfig::default() };
        bar.set_message(format!("writing {} commands", options.commands));
        let build = build_journal(&dir, &build_config, &mut |done, total| bar.set_message(format!("writing {done}/{total}")))
            .map_err(|e| format!("building the recovery journal: {e}"))?;
        bar.inc(1);
        bar.set_message("recovery");
        let recovery = bench_recovery(&dir).map_err(|e| format!("recovery benchmark: {e}"))?;
        bar.inc(1);
        bar.set_message("replay from scratch");
        let replay = bench_replay_from_scratch(&dir, &mut |done, total| bar.set_message(format!("replay {done}/{total}")))
            .map_err(|e| format!("replay benchmark: {e}"))?;
        bar.inc(1);
        if recovery.state_hash != build.state_hash || replay.state_hash != build.state_hash {
            return Err(format!("state hash mismatch: written {}, recovered {}, replayed {}", build.state_hash, recovery.state_hash, replay.state_hash));
        }
        recovery_section = Some((build, recovery, replay));
    }
    bar.finish_and_clear();

    let adaptive = sequencer.iter().find(|r| r.mode == "adaptive" && r.offered_rate_per_s.is_none());
    let open = sequencer.iter().find(|r| r.offered_rate_per_s.is_some());
    let targets = serde_json::json!({
        "durable_commands_per_s_at_least_1m": adaptive.map(|r| r.commands_per_s >= TARGET_DURABLE_PER_S),
        "p99_ack_at_most_2ms_at_offered_rate": open.map(|r| r.ack_latency_us.p99 <= TARGET_P99_ACK_US),
        "recovery_at_most_5s": recovery_section.as_ref().map(|(_, r, _)| r.total_ms <= TARGET_RECOVERY_MS),
        "replay_from_scratch_at_least_2m_per_s": recovery_section.as_ref().map(|(_, _, r)| r.commands_per_s >= TARGET_REPLAY_PER_S),
    });
    if options.json {
        let value = serde_json::json!({
            "journal_only": group,
            "sequencer": { "config": sequencer_config, "runs": sequencer },
            "recovery": recovery_section.as_ref().map(|(build, recovery, replay)| serde_json::json!({
                "build": build, "recovery": recovery, "replay_from_scratch": replay,
            })),
            "targets": targets,
        });
        return Ok(serde_json::to_string(&value).expect("plain data") + "\n");
    }
    let mut s = String::new();
    let _ = writeln!(s, "journal only (talat-journal, {}-byte records, one write + fdatasync per batch)", group_config.payload_bytes);
    let _ = writeln!(s, "{}", journal_table(&group.saturation, &group.open_loop));
    let _ = writeln!(s, "sequencer + engine (submit -> lanes -> journal + fdatasync -> engine -> acknowledgement; real commands)");
    let _ = writeln!(s, "{}", sequencer_table(&sequencer));
    if let Some((build, recovery, replay)) = &recovery_section {
        let _ = writeln!(
            s,
            "journal of {} commands ({} records, {:.0} MiB) written at {:.2} M commands/s with {} snapshots",
            build.commands,
            build.journal_records,
            build.journal_bytes as f64 / (1 << 20) as f64,
            build.commands_per_s / 1e6,
            build.snapshots_written
        );
        let _ = writeln!(
            s,
            "recovery (warm page cache): {:.0} ms = open + validate every segment {:.0} ms, restore snapshot at command {} {:.0} ms, replay {}-command tail {:.0} ms",
            recovery.total_ms,
            recovery.journal_open_ms,
            recovery.snapshot_command_seq.map_or("-".into(), |c| c.to_string()),
            recovery.snapshot_restore_ms,
            recovery.tail_commands,
            recovery.tail_replay_ms
        );
        let _ = writeln!(
            s,
            "replay from scratch through the engine: {} commands in {:.0} ms = {:.2} M commands/s ({} checkpoints verified)",
            replay.commands,
            replay.elapsed_ms,
            replay.commands_per_s / 1e6,
            replay.checkpoints_verified
        );
    }
    let _ = writeln!(s, "targets: {targets}");
    Ok(s)
}

fn journal_table(saturation: &[RunReport], open_loop: &[RunReport]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "  {:<12} {:>12} {:>14} {:>10} {:>10} {:>10} {:>10} {:>8}",
        "mode", "offered/s", "durable/s", "batch", "p50 µs", "p99 µs", "p99.9 µs", "shed"
    );
    for r in saturation.iter().chain(open_loop) {
        let _ = writeln!(
            s,
            "  {:<12} {:>12} {:>14.0} {:>10.1} {:>10.0} {:>10.0} {:>10.0} {:>8}",
            r.mode,
            r.offered_rate_per_s.map_or("saturated".into(), |x| x.to_string()),
            r.commands_per_s,
            r.mean_batch_records,
            r.ack_latency_us.p50,
            r.ack_latency_us.p99,
            r.ack_latency_us.p999,
            r.shed
        );
    }
    s
}

fn sequencer_table(runs: &[SequencerRun]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "  {:<14} {:>12} {:>14} {:>10} {:>10} {:>10} {:>10} {:>8}",
        "max batch", "offered/s", "acked/s", "batch", "p50 µs", "p99 µs", "p99.9 µs", "refused"
    );
    for r in runs {
        let _ = writeln!(
            s,
            "  {:<14} {:>12} {:>14.0} {:>10.1} {:>10.0} {:>10.0} {:>10.0} {:>8}",
            r.mode.trim_start_matches("max-batch-"),
            r.offered_rate_per_s.map_or("saturated".into(), |x| x.to_string()),
            r.commands_per_s,
            r.mean_batch,
            r.ack_latency_us.p50,
            r.ack_latency_us.p99,
            r.ack_latency_us.p999,
            r.refused
        );
    }
    s
}
