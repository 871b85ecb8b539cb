//! Settings of a node and of its sequencer. Every field has a default; every bound is asserted
//! when a node opens or a sequencer starts, because a nonsensical bound is a deployment bug.

use talat_engine::EngineConfig;
use talat_journal::JournalConfig;

/// Most bytes an `Input` adds around its command: two postcard varints (seq and time), each at
/// most 10 bytes.
pub const INPUT_OVERHEAD_MAX_BYTES: usize = 20;

/// How a node journals, checkpoints and snapshots.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    pub journal: JournalConfig,
    /// Bounds of the engine of a **new** data directory. They are written to `engine.json`
    /// when the directory is created and read from there ever after: they are part of the
    /// state, so replay must use the ones the journal was written with. Only
    /// `check_invariants_every_command` is taken from here on every open.
    pub engine: EngineConfig,
    /// A checkpoint record (the state hash) leads the first batch after every command whose
    /// engine seq is a multiple of this. Each costs one full state hash on the sequencer
    /// thread (O(state): about 25 ms for the benchmark's state, whose client-id window holds
    /// ~100 k ids), a pause in acknowledgements, so the default keeps it to about one per
    /// second at a million commands per second.
    pub checkpoint_every_commands: u64,
    pub snapshots: SnapshotPolicy,
}

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig {
            journal: JournalConfig::default(),
            engine: EngineConfig::default(),
            checkpoint_every_commands: 1_000_000,
            snapshots: SnapshotPolicy::default(),
        }
    }
}

/// When snapshots are taken and what happens to what they cover.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotPolicy {
    /// Take one after this many commands since the last (0: never by count).
    pub every_commands: u64,
    /// Take one when this much time (by the node's clock) passed since the last and at least one
    /// command arrived since (0: never by time).
    pub every_ms: u64,
    /// Snapshot files kept; older ones are removed. Two or more let recovery fall back to an
    /// older snapshot if the newest is damaged.
    pub keep: usize,
    /// Once `keep` snapshots exist, move the journal segments that the oldest of them covers to
    /// `journal/archive/` (so recovery can still fall back to any kept snapshot).
    pub archive_covered_segments: bool,
    /// Write snapshots on a background thread (the sequencer only copies the state). Off: the
    /// sequencer writes them itself, which is slower but deterministic for fault-injection tests.
    pub background: bool,
}

impl Default for SnapshotPolicy {
    fn default() -> Self {
        SnapshotPolicy { every_commands: 1_000_000, every_ms: 10 * 60 * 1000, keep: 2, archive_covered_segments: true, background: true }
    }
}

/// Upper bounds that keep a misconfiguration from becoming an unbounded table or thread.
const CHECKPOINT_EVERY_MAX: u64 = 1 << 40;
const SNAPSHOTS_KEPT_MAX: usize = 64;

impl NodeConfig {
    pub(crate) fn assert_valid(&self) {
        assert!((1..=CHECKPOINT_EVERY_MAX).contains(&self.checkpoint_every_commands), "checkpoint_every_commands must be in 1..={CHECKPOINT_EVERY_MAX}");
        assert!((1..=SNAPSHOTS_KEPT_MAX).contains(&self.snapshots.keep), "snapshots.keep must be in 1..={SNAPSHOTS_KEPT_MAX}");
    }
}

/// The live sequencer's admission bounds and batching.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SequencerConfig {
    pub cancel_lane_capacity: usize,
    pub money_out_lane_capacity: usize,
    pub place_lane_capacity: usize,
    /// Most commands in one group commit. The sequencer takes whatever is waiting, up to this
    /// ("adaptive": the batch grows with the load, one fdatasync per batch).
    pub max_batch_commands: usize,
    /// Largest encoded command admitted (checked at submission, before anything is queued).
    pub max_command_bytes: usize,
    /// Longest the sequencer sleeps with nothing to do before it looks at its clock (time-based
    /// snapshots) and its background work again.
    pub idle_wait_ms: u64,
    /// Bound on pending control requests (replication readers and the like).
    pub max_pending_controls: usize,
    /// Pacing of group commits: one starts no sooner than this long after the previous one
    /// started, unless a full batch already waits (0: commit at once). Under a steady stream this
    /// bounds the fdatasyncs to one per `gather_us` — fewer, larger group commits spend less CPU
    /// per command — at the price of at most this much added latency; a command arriving after a
    /// quiet spell longer than it commits at once.
    pub gather_us: u64,
    /// Pacing applies only after a group commit that held at least this many commands (the idea
    /// of PostgreSQL's `commit_siblings`): a lone client whose every commit holds its one
    /// command is never made to wait, while a busy stream, whose commits hold several, is paced.
    pub gather_min_commands: usize,
}

impl Default for SequencerConfig {
    fn default() -> Self {
        SequencerConfig {
            cancel_lane_capacity: 16_384,
            money_out_lane_capacity: 4_096,
            place_lane_capacity: 65_536,
            max_batch_commands: 4_096,
            max_command_bytes: 64 * 1024,
            idle_wait_ms: 50,
            max_pending_controls: 64,
            gather_us: 0,
            gather_min_commands: 2,
        }
    }
}

const LANE_CAPACITY_MAX: usize = 1 << 22;
const BATCH_MAX: usize = 1 << 16;
const IDLE_WAIT_MAX_MS: u64 = 10_000;
const GATHER_MAX_US: u64 = 100_000;

impl SequencerConfig {
    /// Capacities indexed by [`crate::Lane::index`].
    pub fn lane_capacities(&self) -> [usize; 3] {
        [self.cancel_lane_capacity, self.money_out_lane_capacity, self.place_lane_capacity]
    }

    pub(crate) fn assert_valid(&self, journal: &JournalConfig) {
        assert!(self.gather_us <= GATHER_MAX_US, "gather_us must be at most {GATHER_MAX_US}");
        assert!(self.gather_min_commands >= 1, "gather_min_commands must be at least 1");
        for capacity in self.lane_capacities() {
            assert!((1..=LANE_CAPACITY_MAX).contains(&capacity), "lane capacities must be in 1..={LANE_CAPACITY_MAX}");
        }
        assert!((1..=BATCH_MAX).contains(&self.max_batch_commands), "max_batch_commands must be in 1..={BATCH_MAX}");
        assert!(
            self.max_command_bytes >= 1 && self.max_command_bytes + INPUT_OVERHEAD_MAX_BYTES <= journal.max_payload_bytes,
            "max_command_bytes plus the input header must fit the journal's max payload"
        );
        assert!((1..=IDLE_WAIT_MAX_MS).contains(&self.idle_wait_ms), "idle_wait_ms must be in 1..={IDLE_WAIT_MAX_MS}");
        assert!(self.max_pending_controls >= 1 && self.max_pending_controls <= 4_096);
    }
}
