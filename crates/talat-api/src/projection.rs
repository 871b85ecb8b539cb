//! The query store's feed: a thread that follows the journal with its own copy of the engine
//! and projects what it replays — instead of taking batches from the sequencer's publisher.
//!
//! Why: SQL projection costs tens of microseconds a command, far more than matching. Fed from
//! memory, a store that cannot keep up would have to stall the sequencer (or drop history).
//! Following the durable journal instead, the store may fall behind during a surge without
//! slowing trading or holding anything in memory: its backlog is the journal on disk. Its
//! threads run at the lowest CPU priority, so under load the cores go to matching and the
//! store catches up when the surge passes. Reads that need the store wait for it (bounded),
//! then answer "behind, retry" rather than stale history.

use std::sync::Arc;
use std::thread::JoinHandle;
use talat_core::Applied;
use talat_journal::storage::FsStorage;
use talat_journal::{JournalReader, WaitOutcome};
use talat_sequencer::replay::{InvariantChecks, Replayer, Step};
use talat_sequencer::Node;

/// Commands handed to the projector at once (one store transaction, at most).
const CHUNK_COMMANDS: usize = 4_096;
/// How long the follower sleeps at the durable end before looking again.
const IDLE_WAIT_MS: u64 = 20;

/// Starts the follower from the node's current state (call before the node starts serving:
/// the copy and the reader must begin at the same record).
pub fn spawn(node: &Node, projector: talat_store::ProjectorHandle) -> Result<JoinHandle<()>, String> {
    let engine = talat_engine::Engine::restore(&node.engine().snapshot()).map_err(|e| format!("copying the engine for the store's follower: {e}"))?;
    let next = node.journal_span().next_seq;
    let reader = node.read_from(next).map_err(|e| e.to_string())?;
    let replayer = Replayer::new(engine, next - 1, InvariantChecks::AtEnd);
    std::thread::Builder::new()
        .name("talat-projection".into())
        .spawn(move || {
            lowest_priority();
            follow(reader, replayer, projector)
        })
        .map_err(|e| e.to_string())
}

fn follow(mut reader: JournalReader<FsStorage>, mut replayer: Replayer, projector: talat_store::ProjectorHandle) {
    let mut chunk: Vec<Applied> = Vec::with_capacity(CHUNK_COMMANDS);
    // Ends when the journal's writer is gone and every durable record was projected.
    loop {
        let record = match reader.next_record() {
            Ok(Some(record)) => record,
            Ok(None) => {
                if !chunk.is_empty() && !send(&projector, &mut chunk) {
                    return;
                }
                match reader.wait_for_records(IDLE_WAIT_MS) {
                    WaitOutcome::Closed => {
                        // One last look: everything durable is readable now.
                        if matches!(reader.next_record(), Ok(None)) {
                            return;
                        }
                    }
                    WaitOutcome::Advanced | WaitOutcome::TimedOut => {}
                }
                continue;
            }
            Err(error) => {
                tracing::error!(%error, "the store's journal follower cannot read on; history stops here until a restart catches it up");
                return;
            }
        };
        if let Err(fault) = replayer.apply(&record) {
            tracing::error!(%fault, "the store's journal follower failed to replay a record; history stops here");
            return;
        }
        if let Some(Step::Command { input, events, .. }) = replayer.last_step() {
            chunk.push(Applied { input: input.clone(), events: events.to_vec() });
            if chunk.len() >= CHUNK_COMMANDS && !send(&projector, &mut chunk) {
                return;
            }
        }
    }
}

fn send(projector: &talat_store::ProjectorHandle, chunk: &mut Vec<Applied>) -> bool {
    let batch = Arc::new(std::mem::replace(chunk, Vec::with_capacity(CHUNK_COMMANDS)));
    match projector.send(batch) {
        Ok(()) => true,
        Err(error) => {
            tracing::error!(%error, "the query store projector stopped; history is frozen until a restart catches it up");
            false
        }
    }
}

/// Puts the calling thread at nice 19: it runs on cores matching does not need.
pub fn lowest_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority on this thread's id only changes its scheduling weight.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, 19);
    }
}

/// Puts every thread of this process whose name starts with `prefix` at nice 19 (the store
/// driver's own worker threads, which this code does not create).
pub fn lower_threads_named(prefix: &str) {
    #[cfg(target_os = "linux")]
    {
        let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return };
        for task in tasks.flatten() {
            let name = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            let Ok(tid) = task.file_name().to_string_lossy().parse::<libc::id_t>() else { continue };
            if name.starts_with(prefix) {
                // SAFETY: changes the scheduling weight of one of this process's threads.
                unsafe {
                    libc::setpriority(libc::PRIO_PROCESS, tid, 19);
                }
            }
        }
    }
}
