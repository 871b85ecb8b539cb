//! Domain types shared by every talat crate.
//!
//! Nothing here performs I/O or holds state: these are the words the gateway, the journal and the
//! engine speak. Money is integer fixed-point everywhere (see [`money`]); calendar dates and Bangkok
//! time are computed in one place (see [`calendar`]).

pub mod applied;
pub mod calendar;
pub mod command;
pub mod event;
pub mod ids;
pub mod market;
pub mod money;
pub mod reject;
pub mod venue;

pub use applied::Applied;
pub use command::{Command, Input, NewOrder, OrderKind, Side, StpMode, TierLimits, TimeInForce, WithdrawalBudget};
pub use event::{Account, DoneReason, Event, PostingCause};
pub use ids::{AssetId, ClientId, ExternalId, MarketId, OrderId, Seq, UserId};
pub use market::{AssetSpec, MarketSpec, TradingMode};
pub use money::{Amount, Price, Qty};
pub use reject::RejectReason;
pub use venue::{Funding, ResumeState, ResumeStep};
