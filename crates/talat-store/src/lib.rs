//! talat's query store: SQL projections of the engine's events — orders, trades, ledger
//! postings, OHLCV candles, deposits and withdrawals — for the gateway's history and market-data
//! reads, written in batches off the matching path; and the application's own tables (web
//! accounts and staff, API keys, support, onboarding, screening, admission, funds,
//! surveillance, compensation, proof of reserves).
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
//! Module map — two halves, and what both use:
//!
//! * `projection/`: engine events → orders, trades, postings, candles. `stage` (events → rows,
//!   pure), `project` (the write transaction: rows → multi-row statements), `sql` (the
//!   multi-row statement builder), `candles` (buckets and resolutions), `projector` (the
//!   background task), `queries` and `rows` (reads).
//! * `app/`: one module per domain's tables — `web` (web accounts, staff, sessions, audit),
//!   `keys` (API keys), `support` (tickets, incidents, roster, mail outbox), `onboarding` (KYC),
//!   `screening` (sanctions lists and hits), `admission` (admitted customers, waitlist),
//!   `funds` (THB deposits and withdrawals, statements, reconciliation), `surveillance` (alerts,
//!   tape audits, breaker actions, link facts; compliance cases and their timeline),
//!   `compensation` (the refused-request log, compensation incidents and their credits), `por`
//!   (proof of reserves: customers' salts, published reports and their leaves).
//! * Shared: `store` (the handle and the write lock), `db` (URLs, pool, migrations), `codec`
//!   (enum words, checked integers, column reads), `error`.

mod app;
mod codec;
mod db;
mod error;
mod projection;
mod sqlite_library;
mod store;

pub use app::compensation::{CompCreditRow, CompIncidentRow, RefusedRow, MAX_COMP_ROWS, MAX_REFUSED_READ, MAX_TRADES_PAGE};
pub use app::custody::{CustodyAddressRow, CustodyCaseRow, CustodyDepositRow, Rewound, MAX_CUSTODY_ROWS};
pub use app::custody_evm::{evm_transfer_owner, EvmBumpRow, EvmSigned, EvmTxRow, RevertedReleaseRow};
pub use app::custody_withdrawals::{CustodySweepRow, CustodyWithdrawalRow, SignedTransfer, WhitelistRow};
pub use app::funds::{
    ApprovalRow, BankAccountRow, BankLineRow, ExceptionRow, FiatDepositRow, FiatWithdrawalRow, FundsEventRow, LedgerTotals, LineSeen, PayoutBatchRow,
    ReconciliationRow, StatementImportRow, Transition, MAX_FUNDS_ROWS,
};
pub use app::keys::{ApiKeyRow, PERM_DEPOSIT, PERM_TRADE, PERM_WITHDRAW};
pub use app::onboarding::{
    KnowledgeResultRow, KycApplicationRow, KycChange, KycCounts, KycCreate, KycDocumentRow, KycEventRow, NewKycApplication, NewKycDocument, NewKycEvent,
    MAX_KYC_ROWS,
};
pub use app::por::{PorLeafRow, PorReportRow, MAX_POR_PAGE, MAX_POR_REPORTS, POR_KEEP_LEAF_REPORTS, POR_LEAF_BATCH, POR_SALT_BYTES};
pub use app::screening::{
    ClearanceRow, HitDecision, ListLoad, NewSanctionsList, NewScreeningHit, Recorded, SanctionedAddressRow, SanctionsEntryRow, SanctionsListRow,
    ScreeningHitRow, ScreeningSubjectRow, MAX_SCREENING_ROWS,
};
pub use app::staff::{StaffApplied, StaffChangeRow, StaffEffect, MAX_STAFF_CHANGES};
pub use app::status::{NewStatusIncident, StatusIncidentRow, StatusOverrideRow, StatusUpdateRow, MAX_STATUS_INCIDENTS};
pub use app::support::{
    AttachmentMeta, EventRow, IncidentRow, MailRow, MessageRow, NewAttachment, NewEvent, NewMail, NewMessage, NewTicket, QueueFilter, Set, SupportCounts,
    TicketChange, TicketRow, MAX_SUPPORT_ROWS, ROSTER_SLOTS,
};
pub use app::surveillance::{
    AlertRow, BreakerActionRow, CaseChange, CaseEventRow, CaseOpened, CaseRow, CaseSet, LinkFact, NewCaseEvent, MAX_SURVEILLANCE_ROWS,
};
pub use app::web::{AccountHit, AuditFilter, AuditRow, SessionRow, StaffRow, WebAccountRow, MAX_WEB_ROWS};
pub use codec::{OrderStatus, OrderType, WithdrawalStatus};
pub use db::Backend;
pub use error::StoreError;
pub use projection::candles::Resolution;
pub use projection::projector::{Catchup, Projector, ProjectorError, ProjectorHandle, MAX_COMMANDS_PER_TX};
pub use projection::queries::{HistoryPage, HistoryQuery, MAX_CANDLES, MAX_LIMIT};
pub use projection::rows::{AssetRow, CandleRow, DepositRow, FillRow, HistoryCursor, MarketRow, OrderRow, PostingRow, TradeRow, WithdrawalRow};
pub use projection::stage::SystemCancel;
pub use store::Store;
