//! Who was affected and what each is owed. From the evidence (refused requests in the window
//! and scope, customers of a linked support incident) to one [`Assessment`] per customer: the
//! credits per loss class and the lines of evidence each rests on.
//!
//! Loss classes (methodology, exchange-domain.md §8):
//! * `flat`: inconvenience, the policy's flat credit to every affected customer;
//! * `fee`: a share of the fees the customer paid in the window in the scoped markets;
//! * `blocked`: a refused new order whose customer traded the same side of the same market
//!   within the grace period after t1: the difference between what they realised then and
//!   the reference price (volume-weighted in the window), on the quantity both cover, capped at
//!   the refused order's notional. A gain is not paid and not clawed back; a limit the
//!   reference price would not have reached, or no later fill, proves no loss.

use crate::incident::Incident;
use crate::policy::Policy;
use crate::price::{qty_for, quote_of, share};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use talat_core::Side;

/// What a refused request was trying to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    Place,
    Cancel,
    Withdraw,
    Login,
    Other,
}

impl RequestKind {
    pub const ALL: [RequestKind; 5] = [RequestKind::Place, RequestKind::Cancel, RequestKind::Withdraw, RequestKind::Login, RequestKind::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Place => "place",
            RequestKind::Cancel => "cancel",
            RequestKind::Withdraw => "withdraw",
            RequestKind::Login => "login",
            RequestKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<RequestKind> {
        RequestKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One refused or failed request from the durable log. For a refused new order: its side, its
/// `amount` (a buy: quote units to spend; a sell: base units, as Bitkub's `amt`) and `rate`
/// (price units; 0 = a market order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refused {
    pub id: u64,
    pub user: u64,
    pub ts_ms: u64,
    pub kind: RequestKind,
    pub market: Option<u32>,
    pub side: Option<Side>,
    pub amount: Option<u64>,
    pub rate: Option<u64>,
    /// The user was authenticated (a signature or a session), not only named by a key header.
    pub verified: bool,
    pub code: u16,
}

/// One side of one trade: the customer's fill, and the fee they paid on it (in the base asset
/// for a buyer, the quote asset for a seller).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fill {
    pub user: u64,
    pub market: u32,
    pub ts_ms: u64,
    pub side: Side,
    pub price: u64,
    pub qty: u64,
    pub fee: u64,
    pub fee_in_base: bool,
}

/// A scoped market's scale and its reference price for the window (the window's VWAP, or the
/// last price at t1 when nothing traded: the caller decides and says which in its evidence).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarketFacts {
    pub market: u32,
    pub divisor: u128,
    pub reference_price: Option<u64>,
}

/// Everything the assessment reads.
pub struct Facts<'a> {
    pub refused: &'a [Refused],
    /// The customers' fills from t0 to t1 + grace in the scoped markets (others are ignored).
    pub fills: &'a [Fill],
    pub markets: &'a [MarketFacts],
    /// Customers named by the support incident linked to this one.
    pub ticket_users: &'a [u64],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    Flat,
    Fee,
    Blocked,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Flat => "flat",
            Class::Fee => "fee",
            Class::Blocked => "blocked",
        }
    }

    pub fn parse(s: &str) -> Option<Class> {
        [Class::Flat, Class::Fee, Class::Blocked].into_iter().find(|c| c.as_str() == s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credit {
    pub class: Class,
    pub amount: u64,
}

/// One line of evidence: what it is (`refused`, `ticket`, `fee`, `blocked`), and its numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub what: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub market: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ts_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_price: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realised_price: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qty: Option<u64>,
    /// Pay-asset units this line is worth before shares and caps.
    pub amount: u64,
    pub note: String,
}

/// One affected customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub user: u64,
    /// Nonzero credits, one per class, in class order.
    pub credits: Vec<Credit>,
    pub total: u64,
    /// The customer cap cut the total.
    pub capped: bool,
    /// Above the policy's review threshold.
    pub review: bool,
    pub evidence: Vec<Line>,
}

/// Every affected customer of `incident` under `policy`, by user id. The scoped markets must
/// share one quote asset (the pay asset): the caller checks that.
pub fn assess(incident: &Incident, policy: &Policy, facts: &Facts) -> Vec<Assessment> {
    let markets: BTreeMap<u32, &MarketFacts> = facts.markets.iter().map(|m| (m.market, m)).collect();
    let mut evidence: BTreeMap<u64, Vec<&Refused>> = BTreeMap::new();
    for r in facts.refused {
        if incident.covers(r.ts_ms, r.market, r.kind) && (r.verified || policy.include_unverified) {
            evidence.entry(r.user).or_default().push(r);
        }
    }
    let tickets: BTreeSet<u64> = facts.ticket_users.iter().copied().collect();
    let users: BTreeSet<u64> = evidence.keys().copied().chain(tickets.iter().copied()).collect();
    // The fills in time order (ties by position), so "first fill after t1" is well defined.
    let mut order: Vec<usize> = (0..facts.fills.len()).collect();
    order.sort_by_key(|&i| (facts.fills[i].ts_ms, i));
    let mut fills_of: BTreeMap<u64, Vec<&Fill>> = BTreeMap::new();
    for i in order {
        let f = &facts.fills[i];
        if incident.markets.contains(&f.market) {
            fills_of.entry(f.user).or_default().push(f);
        }
    }
    let no_requests = Vec::new();
    let no_fills = Vec::new();
    users
        .into_iter()
        .map(|user| {
            let mut requests = evidence.get(&user).unwrap_or(&no_requests).clone();
            requests.sort_by_key(|r| (r.ts_ms, r.id));
            let fills = fills_of.get(&user).unwrap_or(&no_fills);
            one(user, incident, policy, &markets, &requests, fills, tickets.contains(&user))
        })
        .collect()
}

fn one(
    user: u64,
    incident: &Incident,
    policy: &Policy,
    markets: &BTreeMap<u32, &MarketFacts>,
    requests: &[&Refused],
    fills: &[&Fill],
    ticket: bool,
) -> Assessment {
    let mut lines = Vec::new();
    for r in requests {
        let note = if r.verified {
            format!("{} refused, error {}", r.kind.as_str(), r.code)
        } else {
            format!("{} refused, error {} (user from the API key header, unverified)", r.kind.as_str(), r.code)
        };
        lines.push(Line { what: "refused".into(), refused_id: Some(r.id), market: r.market, ts_ms: Some(r.ts_ms), note, ..Line::default() });
    }
    if ticket {
        lines.push(Line { what: "ticket".into(), note: "a ticket linked to the support incident".into(), ..Line::default() });
    }

    // Fees paid in the window.
    let mut fees = 0u64;
    for f in fills.iter().filter(|f| incident.window.contains(f.ts_ms) && f.fee > 0) {
        let Some(m) = markets.get(&f.market) else { continue };
        let quote = if f.fee_in_base { quote_of(f.price, f.fee, m.divisor) } else { f.fee as u128 };
        let quote = u64::try_from(quote).unwrap_or(u64::MAX);
        fees = fees.saturating_add(quote);
        lines.push(Line {
            what: "fee".into(),
            market: Some(f.market),
            ts_ms: Some(f.ts_ms),
            amount: quote,
            note: "fee paid in the window".into(),
            ..Line::default()
        });
    }
    let fee = share(fees, policy.fee_refund_ppm).min(policy.fee_refund_cap);

    // Blocked actions: each later fill's quantity is used by at most one refused order.
    let mut used: Vec<u64> = vec![0; fills.len()];
    let mut losses = 0u64;
    let grace_end = incident.window.t1_ms.saturating_add(policy.grace_ms);
    for r in requests.iter().filter(|r| r.kind == RequestKind::Place) {
        let (Some(market), Some(side), Some(amount)) = (r.market, r.side, r.amount) else { continue };
        let Some(m) = markets.get(&market) else { continue };
        let rate = r.rate.unwrap_or(0);
        let line = |amount: u64, note: &str, p_ref: Option<u64>, realised: Option<u64>, qty: Option<u64>| Line {
            what: "blocked".into(),
            refused_id: Some(r.id),
            market: Some(market),
            ts_ms: Some(r.ts_ms),
            reference_price: p_ref,
            realised_price: realised,
            qty,
            amount,
            note: note.into(),
        };
        let Some(p_ref) = m.reference_price else {
            lines.push(line(0, "no reference price for the window: no loss can be shown", None, None, None));
            continue;
        };
        let reachable = rate == 0 || if side == Side::Buy { p_ref <= rate } else { p_ref >= rate };
        if !reachable {
            lines.push(line(0, "the order's limit was not reached at the reference price: no loss", Some(p_ref), None, None));
            continue;
        }
        let at = if rate > 0 { rate } else { p_ref };
        let (qty, notional) = match side {
            Side::Buy => (qty_for(amount, at, m.divisor), amount as u128),
            Side::Sell => (amount, quote_of(at, amount, m.divisor)),
        };
        // The same side of the same market, after t1 and within the grace period, in time order.
        let (mut taken, mut value) = (0u64, 0u128);
        for (i, f) in fills.iter().enumerate() {
            if taken == qty {
                break;
            }
            if f.market != market || f.side != side || f.ts_ms <= incident.window.t1_ms || f.ts_ms > grace_end {
                continue;
            }
            let take = (f.qty - used[i]).min(qty - taken);
            used[i] += take;
            taken += take;
            value += f.price as u128 * take as u128;
        }
        if taken == 0 {
            lines.push(line(0, "no fill of the same side within the grace period: no proven loss", Some(p_ref), None, Some(qty)));
            continue;
        }
        let at_reference = p_ref as u128 * taken as u128;
        let worse = match side {
            Side::Buy => value.saturating_sub(at_reference),
            Side::Sell => at_reference.saturating_sub(value),
        };
        let realised = u64::try_from(value / taken as u128).unwrap_or(u64::MAX);
        let loss = u64::try_from((worse / m.divisor.max(1)).min(notional)).unwrap_or(u64::MAX);
        let note =
            if loss == 0 { "realised at or better than the reference price: no loss (gains are not paid)" } else { "realised worse than the reference price" };
        lines.push(line(loss, note, Some(p_ref), Some(realised), Some(taken)));
        losses = losses.saturating_add(loss);
    }
    let blocked = share(losses, policy.blocked_loss_ppm).min(policy.blocked_loss_cap);

    // The customer cap: trim the blocked loss first, then fees, then the flat credit.
    let mut amounts = [(Class::Flat, policy.flat_credit), (Class::Fee, fee), (Class::Blocked, blocked)];
    let total: u64 = amounts.iter().map(|(_, a)| *a).fold(0, u64::saturating_add);
    let mut excess = total.saturating_sub(policy.customer_cap);
    let capped = excess > 0;
    for (_, amount) in amounts.iter_mut().rev() {
        let cut = excess.min(*amount);
        *amount -= cut;
        excess -= cut;
    }
    let credits: Vec<Credit> = amounts.iter().filter(|(_, a)| *a > 0).map(|&(class, amount)| Credit { class, amount }).collect();
    let total = credits.iter().map(|c| c.amount).sum();
    Assessment { user, credits, total, capped, review: total > policy.review_above, evidence: lines }
}
