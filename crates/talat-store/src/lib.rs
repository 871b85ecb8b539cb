//! talat's query store: SQL projections of the engine's events — orders, trades, ledger
//! postings, OHLCV candles, deposits and withdrawals — for the gateway's history and market-data
//! reads, written in batches off the matching path.
//!
//! * SQLite by default (`sqlite://./data/store.db`: created if missing, WAL mode), PostgreSQL
//!   given a `postgres://` URL; one schema (`migrations/sqlite`, `migrations/postgres`), run on
//!   [`Store::connect`].
//! * Everything comes from the sequencer's published `Vec<Applied>`. [`Store::project`] writes a
//!   run of commands in one transaction together with `meta.projected_seq`, so a restart resumes
//!   exactly after the last committed command and a command seen twice is skipped.
//! * [`Projector`] runs the projection as a background task fed by a bounded queue; [`Catchup`]
//!   batches a journal replay into it after a restart.
//! * Reads are `async` methods on [`Store`] returning plain structs with integer money
//!   (smallest units, price units): no float anywhere.
//!
//! Module map: `db` (URLs, pool, migrations), `stage` (events → rows, pure), `project` (rows →
//! multi-row statements), `sql` (the multi-row statement builder), `candles` (buckets and
//! resolutions), `store` (the handle and the write transaction), `queries` and `rows` (reads),
//! `keys` (API keys), `web` (web accounts, staff, sessions, audit), `support` (tickets, incidents, roster, mail outbox), `codec` (enum words and checked integers), `projector`.

mod admission;
mod candles;
mod codec;
mod db;
mod error;
mod keys;
mod onboarding;
mod project;
mod projector;
mod queries;
mod rows;
mod screening;
mod sql;
mod stage;
mod store;
mod support;
mod web;

pub use candles::Resolution;
pub use codec::{OrderStatus, OrderType, WithdrawalStatus};
pub use db::Backend;
pub use error::StoreError;
pub use keys::{ApiKeyRow, PERM_DEPOSIT, PERM_TRADE, PERM_WITHDRAW};
pub use onboarding::{
    KnowledgeResultRow, KycApplicationRow, KycChange, KycCounts, KycCreate, KycDocumentRow, KycEventRow, NewKycApplication, NewKycDocument, NewKycEvent,
    MAX_KYC_ROWS,
};
pub use projector::{Catchup, Projector, ProjectorError, ProjectorHandle, MAX_COMMANDS_PER_TX};
pub use queries::{HistoryPage, HistoryQuery, MAX_CANDLES, MAX_LIMIT};
pub use rows::{AssetRow, CandleRow, DepositRow, FillRow, HistoryCursor, MarketRow, OrderRow, PostingRow, TradeRow, WithdrawalRow};
pub use screening::{
    ClearanceRow, HitDecision, ListLoad, NewSanctionsList, NewScreeningHit, Recorded, SanctionsEntryRow, SanctionsListRow, ScreeningHitRow,
    ScreeningSubjectRow, MAX_SCREENING_ROWS,
};
pub use store::Store;
pub use support::{
    AttachmentMeta, EventRow, IncidentRow, MailRow, MessageRow, NewAttachment, NewEvent, NewMail, NewMessage, NewTicket, QueueFilter, Set, SupportCounts,
    TicketChange, TicketRow, MAX_SUPPORT_ROWS, ROSTER_SLOTS,
};
pub use web::{AuditRow, SessionRow, StaffRow, WebAccountRow, MAX_WEB_ROWS};
