//! Customer support for talat, as pure domain logic.
//!
//! Nothing here performs I/O, reads a clock or draws a random number: every instant is passed in
//! as `u64` milliseconds since the Unix epoch (UTC), so the SQL tables and HTTP routes that call
//! this crate decide what "now" is, and every answer can be replayed in a test. The rules follow
//! `exchange-domain.md` §5 (customer contact and complaints).
//!
//! # Module map
//!
//! | module        | one job                                                                      |
//! |---------------|------------------------------------------------------------------------------|
//! | [`erlang`]    | Erlang C staffing: agents needed for a service-level target, a day's plan    |
//! | [`calendar`]  | Thai business hours (UTC+7, no DST) and holidays; business time between instants |
//! | [`sla`]       | priorities, categories, SLA targets and the state of one SLA clock           |
//! | [`lifecycle`] | ticket and complaint state machines: who may move a case where               |
//! | [`tickets`]   | a ticket's two clocks from its recorded history; when the sweep escalates it |
//! | [`reports`]   | the regulator's monthly complaint report and SLA attainment, from plain facts |
//! | [`names`]     | the shared error for parsing the snake_case names of the enums above         |
//!
//! Statistics use `f64` (they are estimates, never money); everything else is integers.

pub mod calendar;
pub mod erlang;
pub mod lifecycle;
pub mod names;
pub mod reports;
pub mod sla;
pub mod tickets;

pub use calendar::{BusinessCalendar, CalendarError, LocalDate};
pub use erlang::{agents_needed, evaluate, plan_day, rostered, validate_shrinkage_pct, Metrics, StaffingError, StaffingInput, StaffingPlan};
pub use lifecycle::{clean_reason, complaint_transition, ticket_next, Actor, ComplaintStatus, TicketEvent, TicketRules, TicketStatus, TransitionError};
pub use names::UnknownName;
pub use sla::{clock_status, Category, ClockError, ClockFacts, ClockState, ClockStatus, ComplaintTargets, Priority, SlaPolicy, SlaTargets};
pub use tickets::{
    still_intervals, Breach, Clock, ClockSpec, ComplaintDates, Counting, Escalation, Recorded, StatusChange, SweepActions, TicketClocks, TicketFacts,
};
