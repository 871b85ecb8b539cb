//! [`Publisher`]: how everything that reads the engine's output (market data, the query store,
//! private streams) learns what happened, without ever asking the engine thread.
//!
//! The committer calls the publisher on the sequencer thread once per batch, after the batch is
//! durable and applied and before any submitter is told its outcome — so a client that got an
//! acknowledgement can wait for the readers to reach that seq and then read its own write.
//! A publisher must be quick (hand the batch to another thread); blocking it blocks the
//! sequencer, which is the intended back-pressure when readers fall behind.

use talat_core::Applied;

pub trait Publisher: Send + 'static {
    /// `batch` holds the batch's commands in seq order, each with its events.
    fn publish(&mut self, batch: Vec<Applied>);
}

impl<F: FnMut(Vec<Applied>) + Send + 'static> Publisher for F {
    fn publish(&mut self, batch: Vec<Applied>) {
        self(batch)
    }
}
