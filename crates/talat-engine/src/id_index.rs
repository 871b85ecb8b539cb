//! Order id → slab slot for the live orders.
//!
//! The engine hands out order ids in sequence, so the id itself is a near-perfect hash: the
//! live ids fall in a window, and the window's ids land in distinct buckets while it is
//! narrower than the table. That buys one memory access per lookup where a general hash map
//! (hashbrown: a control-byte group, then the bucket) pays two; with a million resting orders
//! both are cache misses, and this was the largest single cost of an amend or a cancel.
//!
//! Open addressing with linear probing; a removal shifts the following entries of its cluster
//! back, so there are no tombstones and no lookup ever walks past an empty bucket. The load is
//! kept at or below one half by doubling, so probe runs stay short whatever the ids are.

use talat_core::OrderId;

/// No live order has id 0 (the engine numbers from 1): it marks an empty bucket.
const EMPTY: u64 = 0;
const MIN_CAPACITY: usize = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    id: u64,
    slot: u32,
}

const VACANT: Entry = Entry { id: EMPTY, slot: u32::MAX };

#[derive(Clone, Debug)]
pub struct IdIndex {
    /// Power-of-two length; never more than half full.
    entries: Vec<Entry>,
    len: usize,
}

impl Default for IdIndex {
    fn default() -> Self {
        IdIndex { entries: vec![VACANT; MIN_CAPACITY], len: 0 }
    }
}

impl IdIndex {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    fn mask(&self) -> usize {
        self.entries.len() - 1
    }

    #[inline]
    fn home(&self, id: u64) -> usize {
        id as usize & self.mask()
    }

    #[inline]
    pub fn get(&self, id: OrderId) -> Option<u32> {
        let mask = self.mask();
        let mut i = self.home(id.0);
        // At most half the buckets are full, so an empty one ends every probe run.
        for _ in 0..self.entries.len() {
            let e = self.entries[i];
            if e.id == id.0 && id.0 != EMPTY {
                return Some(e.slot);
            }
            if e.id == EMPTY {
                return None;
            }
            i = (i + 1) & mask;
        }
        unreachable!("id index without an empty bucket")
    }

    /// Adds a live order's id; the id must not be live already.
    pub fn insert(&mut self, id: OrderId, slot: u32) {
        assert_ne!(id.0, EMPTY, "order id 0 is reserved");
        if (self.len + 1) * 2 > self.entries.len() {
            self.grow();
        }
        let mask = self.mask();
        let mut i = self.home(id.0);
        for _ in 0..self.entries.len() {
            let e = &mut self.entries[i];
            assert_ne!(e.id, id.0, "order id reused");
            if e.id == EMPTY {
                *e = Entry { id: id.0, slot };
                self.len += 1;
                return;
            }
            i = (i + 1) & mask;
        }
        unreachable!("id index without an empty bucket")
    }

    /// Forgets a live order's id; returns the slot it had.
    pub fn remove(&mut self, id: OrderId) -> Option<u32> {
        let mask = self.mask();
        let mut hole = self.home(id.0);
        let mut found = None;
        for _ in 0..self.entries.len() {
            let e = self.entries[hole];
            if e.id == EMPTY {
                return None;
            }
            if e.id == id.0 {
                found = Some(e.slot);
                break;
            }
            hole = (hole + 1) & mask;
        }
        let slot = found?;
        // Backward shift: every later entry of the cluster whose home does not lie cyclically
        // in (hole, j] moves into the hole, so lookups never need a tombstone.
        let mut j = (hole + 1) & mask;
        for _ in 0..self.entries.len() {
            let e = self.entries[j];
            if e.id == EMPTY {
                break;
            }
            let home = self.home(e.id);
            if (j.wrapping_sub(home) & mask) >= (j.wrapping_sub(hole) & mask) {
                self.entries[hole] = e;
                hole = j;
            }
            j = (j + 1) & mask;
        }
        self.entries[hole] = VACANT;
        self.len -= 1;
        Some(slot)
    }

    /// Starts loading the bucket `id` hashes to, for a lookup a little later.
    #[inline]
    pub fn prefetch(&self, id: OrderId) {
        crate::prefetch::read(&self.entries[self.home(id.0)]);
    }

    fn grow(&mut self) {
        let doubled = vec![VACANT; self.entries.len() * 2];
        let old = std::mem::replace(&mut self.entries, doubled);
        self.len = 0;
        for e in old.into_iter().filter(|e| e.id != EMPTY) {
            self.insert(OrderId(e.id), e.slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    proptest! {
        /// Any interleaving of inserts and removes agrees with a standard map, including ids
        /// far apart (collisions across the whole table) and removals of absent ids.
        #[test]
        fn agrees_with_a_standard_map(ops in proptest::collection::vec((any::<bool>(), 1u64..200, 0u32..4), 0..400)) {
            let mut index = IdIndex::default();
            let mut model: HashMap<u64, u32> = HashMap::new();
            let mut next_slot = 0u32;
            for (insert, raw, spread) in ops {
                // Spread ids by multiples of the table sizes so that they collide.
                let id = raw + spread as u64 * 1024;
                if insert && !model.contains_key(&id) {
                    index.insert(OrderId(id), next_slot);
                    model.insert(id, next_slot);
                    next_slot += 1;
                } else {
                    prop_assert_eq!(index.remove(OrderId(id)), model.remove(&id));
                }
                prop_assert_eq!(index.len(), model.len());
                for (&id, &slot) in &model {
                    prop_assert_eq!(index.get(OrderId(id)), Some(slot));
                }
                prop_assert_eq!(index.get(OrderId(100_000)), None);
            }
        }
    }

    #[test]
    #[should_panic(expected = "order id reused")]
    fn a_live_id_cannot_be_added_twice() {
        let mut index = IdIndex::default();
        index.insert(OrderId(7), 0);
        index.insert(OrderId(7), 1);
    }
}
