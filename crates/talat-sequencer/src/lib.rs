//! talat-sequencer: the path from "a command arrived" to "it is durable, executed, and the caller
//! has its outcome" — and back again after a crash.
//!
//! ```text
//! submit(cmd, lane) ──▶ bounded lanes ──▶ sequencer thread: batch ──▶ journal (1 fdatasync)
//!   (Busy if full)     cancel > money-out > place      │                     │
//!                                                       ▼                     ▼
//!              Ticket ◀── Outcome{seq, events} ◀── engine.apply      checkpoints, snapshots
//! ```
//!
//! # Sequence numbers and checkpoints
//! There are two counters, and the rule between them is fixed:
//! - **Journal seq** numbers every journal record, commands and checkpoints alike (contiguous
//!   from 1; talat-journal enforces it). Snapshot files and the replication stream use it.
//! - **Engine seq** (`Input.seq`, `Engine::last_seq`, [`Outcome::seq`]) numbers commands only
//!   (contiguous from 1; the engine asserts it). It travels inside each command record's payload
//!   (the postcard-encoded `Input`), so replay checks it instead of inferring it.
//!
//! A checkpoint record at journal seq J carries the state hash after every command record below
//! J. The sequencer writes one as the first record of the first batch after each command whose
//! engine seq is a multiple of `checkpoint_every_commands` (batches are cut so they end exactly
//! there). Replay skips checkpoints as commands — they do not consume engine seqs — but verifies
//! each one. So after journal seq J the engine has applied `J − (checkpoints ≤ J)` commands,
//! and a snapshot at journal seq S is the state after every record `≤ S`.
//!
//! # Module map
//! | module | one job |
//! |---|---|
//! | [`clock`] | the injected time source (`SystemClock`, `ManualClock`) |
//! | [`lane`] | which bounded queue a command waits in |
//! | `admission` | the bounded lanes and the sequencer's wake-up |
//! | [`publish`] | how readers of the engine's output are told of each applied batch |
//! | [`ticket`] | a submitter's one-shot wait for its `Outcome` |
//! | `committer` | one batch: stamp, journal + fdatasync, apply, checkpoint/snapshot policy |
//! | `snapshots` | taking, writing (background thread), pruning snapshots; what to archive |
//! | `recovery` | newest valid snapshot + tail replay when a node opens |
//! | [`replay`] | applying journal records to an engine with every check |
//! | [`replica`] | the standby as the committer sees it: synchronous acknowledgement, lag, epochs heard of |
//! | [`node`] | a recovered data directory: commit, follow (standby), start |
//! | [`sequencer`] | the sequencer thread and its submission handle |
//! | [`offline`] | `talat replay` / `talat verify` on a stopped data directory |
//! | [`datadir`] | directory layout, the lock, `engine.json` |
//! | [`workload`] | seeded real command streams for tests and benchmarks |
//! | [`bench`] | the sequencer, recovery and replay benchmarks |

pub mod bench;
pub mod clock;
pub mod config;
pub mod datadir;
pub mod lane;
pub mod node;
pub mod offline;
pub mod publish;
pub mod replay;
pub mod replica;
pub mod sequencer;
pub mod ticket;
pub mod workload;

mod admission;
mod committer;
mod error;
mod recovery;
mod snapshots;

pub use clock::{Clock, ManualClock, SystemClock};
pub use committer::CommitStats;
pub use config::{NodeConfig, SequencerConfig, SnapshotPolicy};
pub use error::{hex, CommitError, FollowError, OpenError, ReplayError, ReplayFault, SubmitError};
pub use lane::Lane;
pub use node::Node;
pub use publish::Publisher;
pub use recovery::{RecoveryInfo, SnapshotInfo};
pub use replica::{AckMode, ReplicaGate, ReplicaStatus, WhenStandbyGone};
pub use sequencer::{Sequencer, SequencerHandle};
pub use ticket::{NotAcknowledged, Outcome, StopReason, Ticket};
