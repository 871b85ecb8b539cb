//! The detectors. Each sees every fact of the tape in sequence (adds, amends, cancels and
//! fills, not fills alone) and the passing of time, and writes alerts with their evidence. Each
//! is a small state machine with bounded memory; none reads a clock: time is the sequenced
//! command's, so a replay raises exactly the alerts the live run raised.

pub mod abnormal_move;
pub mod circular;
pub mod front_running;
pub mod linked_wash;
pub mod marking_close;
pub mod order_to_trade;
pub mod pump;
pub mod self_match;
pub mod spoofing;

use crate::alert::{Alert, DetectorKind, Evidence, OrderEvidence, TradeEvidence, EVIDENCE_MAX_ITEMS};
use crate::config::SurveillanceConfig;
use crate::links::LinkGraph;
use crate::tape::{Fact, OrderInfo, Tape};
use talat_core::{MarketId, UserId};

/// What a detector may look at while it handles a fact.
pub struct Ctx<'a> {
    pub tape: &'a Tape,
    pub links: &'a LinkGraph,
    pub config: &'a SurveillanceConfig,
    /// The engine sequence number and time of the command being handled.
    pub seq: u64,
    pub ts_ms: u64,
}

pub trait Detector {
    fn on_fact(&mut self, ctx: &Ctx, fact: &Fact, out: &mut Vec<Alert>);
    /// Time moved to `ctx.ts_ms` (called once per command, and by the monitor's ticks).
    fn on_time(&mut self, _ctx: &Ctx, _out: &mut Vec<Alert>) {}
}

/// What an alert is made of before the tape fills in the market's names and the chart.
pub struct Draft {
    pub kind: DetectorKind,
    pub market: MarketId,
    pub accounts: Vec<UserId>,
    pub from_ts_ms: u64,
    pub to_ts_ms: u64,
    pub summary: String,
    pub figures: Vec<(String, String)>,
    pub orders: Vec<OrderEvidence>,
    pub trades: Vec<TradeEvidence>,
}

impl Ctx<'_> {
    /// The finished alert: names and scales from the tape, the accounts' links, the chart.
    pub fn alert(&self, mut draft: Draft) -> Alert {
        let (symbol, price_scale, qty_scale, chart) = match self.tape.market(draft.market) {
            Some(m) => (m.info.symbol.clone(), m.info.price_scale, m.info.qty_scale, m.chart(draft.from_ts_ms, draft.to_ts_ms)),
            None => (format!("market-{}", draft.market.0), 0, 0, Vec::new()),
        };
        draft.accounts.sort();
        draft.accounts.dedup();
        draft.orders.truncate(EVIDENCE_MAX_ITEMS);
        draft.trades.truncate(EVIDENCE_MAX_ITEMS);
        let account = draft.accounts.first().copied();
        Alert {
            id: Alert::alert_id(draft.kind, &symbol, self.seq, account),
            detector: draft.kind,
            symbol,
            price_scale,
            qty_scale,
            from_ts_ms: draft.from_ts_ms,
            to_ts_ms: draft.to_ts_ms,
            seq: self.seq,
            summary: draft.summary,
            figures: draft.figures,
            evidence: Evidence { links: self.links.evidence(&draft.accounts), orders: draft.orders, trades: draft.trades, chart },
            accounts: draft.accounts,
        }
    }

    /// The trades of `market` between two instants that involve any of `accounts` (all when
    /// `accounts` is empty), as evidence.
    pub fn trades_of(&self, market: MarketId, from_ts_ms: u64, to_ts_ms: u64, accounts: &[UserId]) -> Vec<TradeEvidence> {
        let Some(m) = self.tape.market(market) else { return Vec::new() };
        m.trades_between(from_ts_ms, to_ts_ms)
            .filter(|t| accounts.is_empty() || accounts.contains(&t.buyer) || accounts.contains(&t.seller))
            .take(EVIDENCE_MAX_ITEMS)
            .cloned()
            .collect()
    }
}

pub fn order_evidence(o: &OrderInfo, outcome: Option<(&str, u64)>) -> OrderEvidence {
    OrderEvidence {
        order: o.id,
        user: o.user,
        side: o.side,
        price: o.price,
        qty: if o.qty == 0 { o.quote_amount } else { o.qty },
        placed_ts_ms: o.placed_ts_ms,
        outcome: outcome.map(|(text, _)| text.to_string()),
        done_ts_ms: outcome.map(|(_, ts)| ts),
    }
}

/// `part / whole` in basis points (0 when `whole` is 0).
pub fn bps(part: u128, whole: u128) -> u128 {
    (part * 10_000).checked_div(whole).unwrap_or(0)
}

/// Percent with two decimals, from basis points, for summaries.
pub fn pct(bps: u128) -> String {
    format!("{}.{:02} %", bps / 100, bps % 100)
}

/// Every detector at the configuration's settings.
pub fn all() -> Vec<Box<dyn Detector + Send>> {
    vec![
        Box::new(self_match::SelfMatch::default()),
        Box::new(linked_wash::LinkedWash::default()),
        Box::new(circular::Circular::default()),
        Box::new(spoofing::Spoofing::default()),
        Box::new(order_to_trade::OrderToTrade::default()),
        Box::new(pump::Pump::default()),
        Box::new(marking_close::MarkingClose::default()),
        Box::new(front_running::StaffFrontRunning::default()),
        Box::new(abnormal_move::AbnormalMove::default()),
    ]
}
