//! [`Applied`]: one command as the engine executed it — what the sequencer publishes to every
//! reader of the engine's output (market data, the query store, private streams).

use crate::command::Input;
use crate::event::Event;

/// A sequenced command and the events the engine emitted for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    pub input: Input,
    pub events: Vec<Event>,
}

impl Applied {
    pub fn seq(&self) -> crate::ids::Seq {
        self.input.seq
    }

    pub fn ts_ms(&self) -> u64 {
        self.input.ts_ms
    }
}
