//! Adapters that drive third-party order books from the common op stream.
//!
//! Each adapter keeps one book per market and translates [`Op`]s into the
//! crate's own calls, choosing that crate's nearest equivalent of each
//! operation (documented per adapter and reported in the run's notes).
//! Whatever bookkeeping an adapter must add to honour an op (an id map, a
//! liveness table) is charged to that engine: a real venue built on it
//! would need the same.
//!
//! [`Op`]: crate::workload::Op

mod lobster;
mod matchcore;
mod orderbook_rs;

pub use self::lobster::LobsterBooks;
pub use self::matchcore::MatchcoreBooks;
pub use self::orderbook_rs::OrderbookRsBooks;

use serde::{Deserialize, Serialize};

/// The peers this crate can drive, for selection from a CLI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Peer {
    Matchcore,
    OrderbookRs,
    Lobster,
}

impl Peer {
    pub const ALL: [Peer; 3] = [Peer::Matchcore, Peer::OrderbookRs, Peer::Lobster];

    pub fn name(self) -> &'static str {
        match self {
            Peer::Matchcore => MatchcoreBooks::NAME,
            Peer::OrderbookRs => OrderbookRsBooks::NAME,
            Peer::Lobster => LobsterBooks::NAME,
        }
    }

    pub fn from_name(name: &str) -> Option<Peer> {
        Peer::ALL.into_iter().find(|p| p.name() == name)
    }

    /// How this peer executes each op kind, for the report.
    pub fn notes(self) -> &'static [&'static str] {
        match self {
            Peer::Matchcore => MatchcoreBooks::NOTES,
            Peer::OrderbookRs => OrderbookRsBooks::NOTES,
            Peer::Lobster => LobsterBooks::NOTES,
        }
    }
}
