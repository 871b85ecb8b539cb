//! Price → level slot for one side of a book, as blocks of consecutive grid prices.
//!
//! A side's live prices crowd around its best price, so most fall in a few blocks of
//! [`BLOCK_PRICES`] neighbouring grid steps. The map from block number to block then has a
//! handful of entries and stays in cache, and a lookup costs one access into a block that
//! nearby prices share — where a hash map keyed by price spreads neighbouring prices over its
//! whole table and pays a cache miss for the control bytes and another for the bucket (the
//! largest cost of placing an order on a deep book, by `perf annotate`).
//!
//! Memory is bounded by the live levels: a block exists only while it holds one, so a sparse
//! side costs at most one block (a quarter kilobyte) per level.

use crate::orders::NIL;
use rustc_hash::FxHashMap;

/// Grid prices per block: 64 slots of 4 bytes, four cache lines.
pub const BLOCK_PRICES: u64 = 64;

#[derive(Clone, Debug, Default)]
pub struct Ladder {
    /// Block number (grid index / [`BLOCK_PRICES`]) → position in `blocks`. Lookup only, never
    /// iterated, so its order cannot leak into results.
    block_of: FxHashMap<u64, u32>,
    blocks: Vec<[u32; BLOCK_PRICES as usize]>,
    /// Slots in use in each block; a block that reaches zero is freed.
    used: Vec<u32>,
    free_blocks: Vec<u32>,
    len: usize,
}

impl Ladder {
    /// Levels indexed.
    pub fn indexed(&self) -> usize {
        self.len
    }

    #[inline]
    fn split(index: u64) -> (u64, usize) {
        (index / BLOCK_PRICES, (index % BLOCK_PRICES) as usize)
    }

    /// The level slot at grid index `index`, if any.
    #[inline]
    pub fn get(&self, index: u64) -> Option<u32> {
        let (block, offset) = Self::split(index);
        let &b = self.block_of.get(&block)?;
        let slot = self.blocks[b as usize][offset];
        (slot != NIL).then_some(slot)
    }

    /// Records the level slot at `index`, which must have none.
    pub fn insert(&mut self, index: u64, slot: u32) {
        assert_ne!(slot, NIL);
        let (block, offset) = Self::split(index);
        let b = match self.block_of.get(&block) {
            Some(&b) => b,
            None => {
                let b = match self.free_blocks.pop() {
                    Some(b) => b,
                    None => {
                        self.blocks.push([NIL; BLOCK_PRICES as usize]);
                        self.used.push(0);
                        u32::try_from(self.blocks.len() - 1).expect("ladder block count fits u32")
                    }
                };
                self.block_of.insert(block, b);
                b
            }
        };
        let entry = &mut self.blocks[b as usize][offset];
        assert_eq!(*entry, NIL, "price level indexed twice");
        *entry = slot;
        self.used[b as usize] += 1;
        self.len += 1;
    }

    /// Forgets the level at `index`; returns its slot.
    pub fn remove(&mut self, index: u64) -> Option<u32> {
        let (block, offset) = Self::split(index);
        let &b = self.block_of.get(&block)?;
        let entry = &mut self.blocks[b as usize][offset];
        if *entry == NIL {
            return None;
        }
        let slot = std::mem::replace(entry, NIL);
        self.len -= 1;
        self.used[b as usize] -= 1;
        if self.used[b as usize] == 0 {
            debug_assert!(self.blocks[b as usize].iter().all(|&s| s == NIL));
            self.block_of.remove(&block);
            self.free_blocks.push(b);
        }
        Some(slot)
    }

    /// Blocks holding at least one level (bounded by the levels).
    #[cfg(test)]
    pub fn block_count(&self) -> usize {
        self.block_of.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    proptest! {
        /// Inserts and removes over near and far prices agree with a standard map, and no block
        /// outlives its last level.
        #[test]
        fn agrees_with_a_standard_map(ops in proptest::collection::vec((any::<bool>(), 0u64..300, 0u64..3), 0..400)) {
            let mut ladder = Ladder::default();
            let mut model: HashMap<u64, u32> = HashMap::new();
            for (n, (insert, near, far)) in ops.into_iter().enumerate() {
                let index = near + far * 1_000_000_007;
                if insert && !model.contains_key(&index) {
                    ladder.insert(index, n as u32);
                    model.insert(index, n as u32);
                } else {
                    prop_assert_eq!(ladder.remove(index), model.remove(&index));
                }
                prop_assert_eq!(ladder.indexed(), model.len());
                prop_assert!(ladder.block_count() <= model.len());
                for (&index, &slot) in &model {
                    prop_assert_eq!(ladder.get(index), Some(slot));
                }
            }
        }
    }
}
