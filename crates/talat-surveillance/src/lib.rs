//! Market surveillance, the rules (DESIGN: `talat-surveillance`): detectors that read the
//! engine's commands and events in sequence — every add, amend, cancel and fill — and raise
//! alerts that carry their evidence; a circuit breaker that decides halts and their resumption;
//! a daily self-audit of each tape; the compliance case lifecycle (`cases`); and the evaluation harness that measures each detector's
//! precision and recall on labelled scenarios run through the real engine.
//!
//! Pure: no I/O and no clock. Time is the sequenced command's, so a replayed journal raises the
//! alerts the live run raised. The caller feeds [`Monitor::observe`] from a journal follower
//! off the matching path, stores the alerts and submits the breaker's actions as commands.

pub mod alert;
pub mod audit;
pub mod breaker;
pub mod cases;
pub mod config;
pub mod detectors;
pub mod eval;
pub mod links;
pub mod monitor;
pub mod tape;

pub use alert::{Alert, DetectorKind, LinkKind};
pub use breaker::Action;
pub use config::{ConfigError, SurveillanceConfig};
pub use links::LinkGraph;
pub use monitor::{Monitor, Output};
