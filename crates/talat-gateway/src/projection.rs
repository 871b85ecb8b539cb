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
/// How long commands may wait in the follower to make one larger store transaction, unless a
/// reader is waiting for them (the default of `store_gather_ms`). Every SQLite commit rewrites
/// the index pages it touched, so a transaction a few milliseconds wide costs nearly as much as
/// one this wide.
pub const DEFAULT_GATHER_MS: u64 = 200;
/// The follower's sleep while it holds commands back (how soon it notices a waiting reader).
const GATHER_POLL_MS: u64 = 5;

/// Starts the follower from the node's current state (call before the node starts serving:
/// the copy and the reader must begin at the same record).
pub fn spawn(node: &Node, projector: talat_store::ProjectorHandle, gather_ms: u64) -> Result<JoinHandle<()>, String> {
    let engine = talat_engine::Engine::restore(&node.engine().snapshot()).map_err(|e| format!("copying the engine for the store's follower: {e}"))?;
    let next = node.journal_span().next_seq;
    let reader = node.read_from(next).map_err(|e| e.to_string())?;
    let replayer = Replayer::new(engine, next - 1, InvariantChecks::AtEnd);
    std::thread::Builder::new()
        .name("talat-projection".into())
        .spawn(move || {
            lowest_priority();
            follow(reader, replayer, projector, std::time::Duration::from_millis(gather_ms))
        })
        .map_err(|e| e.to_string())
}

fn follow(mut reader: JournalReader<FsStorage>, mut replayer: Replayer, projector: talat_store::ProjectorHandle, gather: std::time::Duration) {
    let mut chunk: Vec<Applied> = Vec::with_capacity(CHUNK_COMMANDS);
    // When the first command of the current chunk was taken.
    let mut chunk_started = std::time::Instant::now();
    let mut writer_gone = false;
    // Ends when the journal's writer is gone and every durable record was projected.
    loop {
        let record = match reader.next_record() {
            Ok(Some(record)) => record,
            Ok(None) => {
                if writer_gone {
                    if !chunk.is_empty() {
                        send(&projector, &mut chunk);
                    }
                    return;
                }
                let gathered_enough = chunk_started.elapsed() >= gather;
                if !chunk.is_empty() && (gathered_enough || projector.take_demand()) && !send(&projector, &mut chunk) {
                    return;
                }
                let wait_ms = if chunk.is_empty() { IDLE_WAIT_MS } else { GATHER_POLL_MS };
                match reader.wait_for_records(wait_ms) {
                    // The writer is gone: everything durable is readable now, so the next
                    // time the end is reached is the last.
                    WaitOutcome::Closed => writer_gone = true,
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
            if chunk.is_empty() {
                chunk_started = std::time::Instant::now();
            }
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

/// A single-threaded tokio runtime on its own thread at nice 19, for background work such as
/// the store's projector: its CPU then goes to request handling first. The thread lives as
/// long as the process.
pub fn background_runtime(name: &str) -> Result<tokio::runtime::Handle, String> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            lowest_priority();
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(runtime) => runtime,
                Err(e) => {
                    let _ = tx.send(Err(e.to_string()));
                    return;
                }
            };
            let _ = tx.send(Ok(runtime.handle().clone()));
            runtime.block_on(std::future::pending::<()>());
        })
        .map_err(|e| e.to_string())?;
    rx.recv().map_err(|e| e.to_string())?
}

/// Puts the calling thread at the lowest priority: it runs on cores matching does not need.
pub fn lowest_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: gettid has no preconditions.
    lower_thread(unsafe { libc::syscall(libc::SYS_gettid) } as u32);
}

/// The ids of this process's threads whose name starts with `prefix` (the store driver's
/// worker threads, which this code does not create).
pub fn threads_named(prefix: &str) -> std::collections::BTreeSet<u32> {
    let mut found = std::collections::BTreeSet::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return found };
    for task in tasks.flatten() {
        let name = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if let Ok(tid) = task.file_name().to_string_lossy().parse::<u32>() {
            if name.starts_with(prefix) {
                found.insert(tid);
            }
        }
    }
    found
}

/// Puts the given threads of this process at the lowest priority.
pub fn lower_threads(tids: &std::collections::BTreeSet<u32>) {
    for &tid in tids {
        lower_thread(tid);
    }
}

/// Nice 19 and SCHED_IDLE: the thread runs only on a core nothing else wants, and any waking
/// request or sequencer thread preempts it at once (nice 19 alone still gets time slices of its
/// own).
fn lower_thread(tid: u32) {
    #[cfg(target_os = "linux")]
    // SAFETY: changes the scheduling weight and policy of one of this process's threads.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 19);
        libc::sched_setscheduler(tid as libc::pid_t, libc::SCHED_IDLE, &libc::sched_param { sched_priority: 0 });
    }
    #[cfg(not(target_os = "linux"))]
    let _ = tid;
}
