//! Epochs: which leadership term wrote which records.
//!
//! Every record carries the epoch it was written under, and epochs never decrease along a
//! journal. A promoted standby begins a new epoch with its first record, so the journal itself
//! says where each term began. That is what fences a deposed primary (the Kafka leader-epoch
//! rule): a follower whose last record is of epoch `e` holds nothing valid past
//! [`EpochHistory::end_of`]`(e)` on the current leader, and must cut its tail there.

/// Most epoch changes one journal directory may record; each promotion adds one.
pub const EPOCH_CHANGES_MAX: usize = 1 << 16;

/// The first retained record of one epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct EpochStart {
    pub epoch: u32,
    pub first_seq: u64,
}

/// The epochs of the retained records, oldest first (strictly increasing epoch and seq).
///
/// After archiving, the first entry's `first_seq` is where the retained part of that epoch
/// begins, not necessarily where the epoch began; every later entry is exact.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EpochHistory {
    starts: Vec<EpochStart>,
}

impl EpochHistory {
    pub fn starts(&self) -> &[EpochStart] {
        &self.starts
    }

    /// The epoch of the last record, if there is one.
    pub fn last_epoch(&self) -> Option<u32> {
        self.starts.last().map(|s| s.epoch)
    }

    /// Whether a record of `epoch` may follow the records seen so far.
    pub fn admits(&self, epoch: u32) -> bool {
        self.last_epoch().is_none_or(|last| epoch >= last)
    }

    /// Notes the record `seq` of `epoch`, the next in the journal.
    ///
    /// # Panics
    /// If `epoch` is below the last one (callers check [`EpochHistory::admits`] first), or past
    /// [`EPOCH_CHANGES_MAX`] changes.
    pub fn observe(&mut self, epoch: u32, seq: u64) {
        assert!(self.admits(epoch), "epoch {epoch} after epoch {:?}: epochs never decrease", self.last_epoch());
        if self.last_epoch() != Some(epoch) {
            assert!(self.starts.last().is_none_or(|s| s.first_seq < seq));
            assert!(self.starts.len() < EPOCH_CHANGES_MAX, "more than {EPOCH_CHANGES_MAX} epochs in one journal");
            self.starts.push(EpochStart { epoch, first_seq: seq });
        }
    }

    /// The first seq that does not belong to `epoch` or an older one: where the first newer
    /// epoch began, or `next_seq` when no newer epoch wrote a record. `None` when `epoch` is
    /// older than every retained record, so the answer was archived.
    pub fn end_of(&self, epoch: u32, next_seq: u64) -> Option<u64> {
        let first = self.starts.first()?;
        if epoch < first.epoch {
            return None;
        }
        Some(self.starts.iter().find(|s| s.epoch > epoch).map_or(next_seq, |s| s.first_seq))
    }

    /// Forgets every record from `seq` on (the journal cut its tail there).
    pub fn truncate_from(&mut self, seq: u64) {
        self.starts.retain(|s| s.first_seq < seq);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_of_an_epoch_is_where_the_next_began() {
        let mut history = EpochHistory::default();
        assert_eq!(history.end_of(0, 1), None);
        for (epoch, seq) in [(0, 1), (0, 2), (2, 10), (2, 11), (5, 20)] {
            history.observe(epoch, seq);
        }
        assert_eq!(history.starts().len(), 3);
        assert_eq!(history.end_of(0, 30), Some(10));
        assert_eq!(history.end_of(1, 30), Some(10), "an epoch that wrote nothing ends where the next began");
        assert_eq!(history.end_of(2, 30), Some(20));
        assert_eq!(history.end_of(5, 30), Some(30));
        assert_eq!(history.end_of(9, 30), Some(30));
        assert!(!history.admits(4) && history.admits(5) && history.admits(6));
        history.truncate_from(20);
        assert_eq!(history.last_epoch(), Some(2));
        assert_eq!(history.end_of(2, 20), Some(20));
    }

    #[test]
    #[should_panic(expected = "epochs never decrease")]
    fn a_lower_epoch_is_a_bug() {
        let mut history = EpochHistory::default();
        history.observe(3, 1);
        history.observe(2, 2);
    }
}
