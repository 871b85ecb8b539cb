//! The interface every engine under test is driven through.

use crate::workload::MarketOp;

/// What an engine said to one op. Counted per engine so that a run which
/// "went fast" because everything was rejected shows up as such.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Accepted (placed, traded, expired as IOC, cancelled or amended).
    Done = 0,
    /// The order referred to is not resting (filled or never existed).
    UnknownOrder = 1,
    /// Refused for any other reason.
    Rejected = 2,
}

/// An order-book engine, holding one book per market of the workload.
///
/// Build one per round (outside the timer) and feed it every op of the
/// warm-up and then the stream, in order. Kept object-safe so a caller may
/// also hold `Box<dyn BookUnderTest>`; the runner itself is generic, so the
/// call is static when the concrete type is known.
pub trait BookUnderTest {
    /// Short stable name used in reports and ratios ("matchcore", "talat").
    fn name(&self) -> &'static str;

    /// Executes one op. Must not panic on any op of a generated workload;
    /// an op the engine cannot honour is `Rejected`, not a panic.
    fn apply(&mut self, op: &MarketOp) -> Outcome;

    /// Orders resting over all books, read outside the timer to check the
    /// engine against the workload's reference model.
    fn resting_orders(&self) -> u64;

    /// Told, before each op, the op `LOOKAHEAD_FAR` ops ahead (`far`) and the
    /// next one (`near`), as a sequencer knows the rest of its batch. An engine
    /// may start loading what those read; it must change nothing. Default: no-op.
    #[inline]
    fn hint(&self, _far: Option<&MarketOp>, _near: Option<&MarketOp>) {}
}

/// How many ops ahead [`BookUnderTest::hint`]'s `far` op is: the distance the sequencer gives
/// talat's engine its far hint at (`talat_engine::UPCOMING_DISTANCE`).
pub const LOOKAHEAD_FAR: usize = 2;

impl<B: BookUnderTest + ?Sized> BookUnderTest for Box<B> {
    fn name(&self) -> &'static str {
        (**self).name()
    }

    fn apply(&mut self, op: &MarketOp) -> Outcome {
        (**self).apply(op)
    }

    fn resting_orders(&self) -> u64 {
        (**self).resting_orders()
    }

    fn hint(&self, far: Option<&MarketOp>, near: Option<&MarketOp>) {
        (**self).hint(far, near)
    }
}
