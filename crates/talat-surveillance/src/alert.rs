//! An alert and the evidence it carries: the orders and trades, the accounts and their links,
//! and a price and volume chart of the window. Alerts are plain data (serde), so the console,
//! the case file and the regulator's report read the same thing the detector wrote.

use serde::{Deserialize, Serialize};
use talat_core::{OrderId, Side, UserId};

/// Which detector raised an alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DetectorKind {
    SelfMatch,
    LinkedWash,
    Circular,
    Spoofing,
    Layering,
    OrderToTrade,
    Pump,
    MarkingClose,
    ListingFrontRunning,
    StaffFrontRunning,
    AbnormalMove,
}

impl DetectorKind {
    pub const ALL: [DetectorKind; 11] = [
        DetectorKind::SelfMatch,
        DetectorKind::LinkedWash,
        DetectorKind::Circular,
        DetectorKind::Spoofing,
        DetectorKind::Layering,
        DetectorKind::OrderToTrade,
        DetectorKind::Pump,
        DetectorKind::MarkingClose,
        DetectorKind::ListingFrontRunning,
        DetectorKind::StaffFrontRunning,
        DetectorKind::AbnormalMove,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DetectorKind::SelfMatch => "self_match",
            DetectorKind::LinkedWash => "linked_wash",
            DetectorKind::Circular => "circular",
            DetectorKind::Spoofing => "spoofing",
            DetectorKind::Layering => "layering",
            DetectorKind::OrderToTrade => "order_to_trade",
            DetectorKind::Pump => "pump",
            DetectorKind::MarkingClose => "marking_close",
            DetectorKind::ListingFrontRunning => "listing_front_running",
            DetectorKind::StaffFrontRunning => "staff_front_running",
            DetectorKind::AbnormalMove => "abnormal_move",
        }
    }

    pub fn parse(text: &str) -> Option<DetectorKind> {
        DetectorKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// What the typology is, for people.
    pub fn title(self) -> &'static str {
        match self {
            DetectorKind::SelfMatch => "Self-match stopped by self-trade prevention",
            DetectorKind::LinkedWash => "Wash trading between linked accounts",
            DetectorKind::Circular => "Circular trading within a small group",
            DetectorKind::Spoofing => "Spoofing: large orders cancelled after an opposite fill",
            DetectorKind::Layering => "Layering: spoof orders across price levels",
            DetectorKind::OrderToTrade => "Order-to-trade ratio far above the account's baseline",
            DetectorKind::Pump => "Pump or ramping: price and volume far above their baseline",
            DetectorKind::MarkingClose => "Marking the close",
            DetectorKind::ListingFrontRunning => "Staff-linked buying ahead of a listing announcement",
            DetectorKind::StaffFrontRunning => "Staff order just ahead of a large client order",
            DetectorKind::AbnormalMove => "Price far from its level 24 hours earlier",
        }
    }
}

/// Why two accounts are treated as one interest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    KycIdentity,
    BankAccount,
    DepositAddress,
    Device,
    Ip,
    /// A staff member's own account, or an account linked to one.
    Staff,
}

impl LinkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::KycIdentity => "kyc_identity",
            LinkKind::BankAccount => "bank_account",
            LinkKind::DepositAddress => "deposit_address",
            LinkKind::Device => "device",
            LinkKind::Ip => "ip",
            LinkKind::Staff => "staff",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEvidence {
    pub order: OrderId,
    pub user: UserId,
    pub side: Side,
    /// Limit price in price units (0 for a market order).
    pub price: u64,
    /// Quantity asked for, in base units (0 for a market buy, which names quote).
    pub qty: u64,
    pub placed_ts_ms: u64,
    /// How it ended within the evidence window, if it did: `filled`, `cancelled`, ….
    pub outcome: Option<String>,
    pub done_ts_ms: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeEvidence {
    pub seq: u64,
    pub ts_ms: u64,
    pub price: u64,
    pub qty: u64,
    pub buyer: UserId,
    pub seller: UserId,
    pub taker_side: Side,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkEvidence {
    pub a: UserId,
    pub b: UserId,
    pub kind: LinkKind,
}

/// One bar of the window's chart (prices in price units, volume in base units).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartBar {
    pub start_ts_ms: u64,
    pub open: u64,
    pub high: u64,
    pub low: u64,
    pub close: u64,
    pub volume: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub orders: Vec<OrderEvidence>,
    pub trades: Vec<TradeEvidence>,
    pub links: Vec<LinkEvidence>,
    pub chart: Vec<ChartBar>,
}

/// Most orders and trades one alert carries (the rest are counted in its figures).
pub const EVIDENCE_MAX_ITEMS: usize = 200;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Stable across live and replay: detector, market and the sequence number that raised it.
    pub id: String,
    pub detector: DetectorKind,
    pub symbol: String,
    pub price_scale: u8,
    pub qty_scale: u8,
    pub accounts: Vec<UserId>,
    pub from_ts_ms: u64,
    pub to_ts_ms: u64,
    /// The engine sequence number of the command that completed the pattern.
    pub seq: u64,
    /// One readable sentence.
    pub summary: String,
    /// The measured figures behind the decision, by name (`round_trips`, `return_z`, …).
    pub figures: Vec<(String, String)>,
    pub evidence: Evidence,
}

impl Alert {
    pub fn alert_id(detector: DetectorKind, symbol: &str, seq: u64, account: Option<UserId>) -> String {
        match account {
            Some(user) => format!("{}-{}-{}-u{}", detector.as_str(), symbol, seq, user.0),
            None => format!("{}-{}-{}", detector.as_str(), symbol, seq),
        }
    }
}
