//! Trading ahead by people with inside knowledge:
//! - **staff front-running**: an order from a staff-linked account at most `staff_within_ms`
//!   before a same-side client order that takes liquidity (it trades on arrival) and is at least
//!   `client_size_multiple` times the market's median order size — a large passive quote moves
//!   nothing, so nothing is gained by trading ahead of it;
//! - **listing front-running**: when a listing announcement is recorded, the staff-linked net
//!   buyers of that asset over the lookback before it are swept.

use super::{bps, order_evidence, pct, Ctx, Draft};
use crate::alert::{Alert, DetectorKind, OrderEvidence};
use crate::config::DAY_MS;
use crate::detectors::Detector;
use crate::tape::{Fact, OrderInfo};
use std::collections::{BTreeMap, VecDeque};
use talat_core::{AssetId, MarketId, OrderId, UserId};

/// Orders sizes are recomputed into the median every this many orders (sorting on every order
/// would cost more than everything else surveillance does).
const MEDIAN_EVERY: usize = 64;

#[derive(Default)]
struct MarketSizes {
    sizes: VecDeque<u64>,
    since_median: usize,
    median: u64,
    staff_orders: VecDeque<OrderInfo>,
}

/// One Bangkok day of an account's trading: (day, net bought, gross traded).
type DayNet = (u64, i128, u128);

#[derive(Default)]
pub struct StaffFrontRunning {
    markets: BTreeMap<MarketId, MarketSizes>,
    alerted: BTreeMap<(UserId, MarketId), u64>,
    /// The last order judged as an aggressor (a sweep fills many times).
    last_aggressor: Option<OrderId>,
    /// Staff-linked accounts' purchases per (market, account): (day, net, gross traded) per day.
    staff_net: BTreeMap<(MarketId, UserId), VecDeque<DayNet>>,
}

/// An order's size in base units (a market buy's quote amount at the last price).
fn size_of(o: &OrderInfo, last_price: Option<u64>, qty_scale: u8) -> u64 {
    if o.qty > 0 {
        return o.qty;
    }
    match last_price {
        Some(price) if price > 0 => {
            let unit = 10u128.pow(u32::from(qty_scale));
            (u128::from(o.quote_amount) * unit / u128::from(price)).min(u128::from(u64::MAX)) as u64
        }
        _ => 0,
    }
}

impl StaffFrontRunning {
    /// Every new order: staff orders are remembered, sizes feed the median.
    fn on_order(&mut self, ctx: &Ctx, o: &OrderInfo) {
        let config = &ctx.config.front_running;
        let (last, scale) = ctx.tape.market(o.market).map_or((None, 8), |m| (m.last_price, m.info.qty_scale));
        let size = size_of(o, last, scale);
        let m = self.markets.entry(o.market).or_default();
        while m.staff_orders.front().is_some_and(|s| s.placed_ts_ms + config.staff_within_ms < o.placed_ts_ms) {
            m.staff_orders.pop_front();
        }
        if ctx.links.staff_link(o.user).is_some() {
            m.staff_orders.push_back(*o);
            if m.staff_orders.len() > 1_024 {
                m.staff_orders.pop_front();
            }
        }
        if size > 0 {
            m.sizes.push_back(size);
            if m.sizes.len() > config.median_orders {
                m.sizes.pop_front();
            }
            m.since_median += 1;
            if m.since_median >= MEDIAN_EVERY || m.median == 0 {
                let mut sorted: Vec<u64> = m.sizes.iter().copied().collect();
                sorted.sort_unstable();
                m.median = sorted[sorted.len() / 2];
                m.since_median = 0;
            }
        }
    }

    /// A client order that just took liquidity: was a staff order ahead of it?
    fn on_aggressor(&mut self, ctx: &Ctx, o: &OrderInfo, out: &mut Vec<Alert>) {
        let config = &ctx.config.front_running;
        if ctx.links.staff_link(o.user).is_some() {
            return;
        }
        let (last, scale) = ctx.tape.market(o.market).map_or((None, 8), |m| (m.last_price, m.info.qty_scale));
        let size = size_of(o, last, scale);
        let Some(m) = self.markets.get_mut(&o.market) else { return };
        if m.sizes.len() >= config.median_orders / 2 && m.median > 0 && size >= m.median.saturating_mul(u64::from(config.client_size_multiple)) {
            let ahead: Vec<OrderInfo> = m.staff_orders.iter().filter(|s| s.side == o.side && s.user != o.user).copied().collect();
            for s in ahead {
                let key = (s.user, o.market);
                if self.alerted.get(&key).is_some_and(|&at| at + config.staff_within_ms * 60 > ctx.ts_ms) {
                    continue;
                }
                self.alerted.insert(key, ctx.ts_ms);
                let staff_account = ctx.links.staff_link(s.user).unwrap_or(s.user);
                out.push(ctx.alert(Draft {
                    kind: DetectorKind::StaffFrontRunning,
                    market: o.market,
                    accounts: vec![s.user],
                    from_ts_ms: s.placed_ts_ms,
                    to_ts_ms: o.placed_ts_ms,
                    summary: format!(
                        "Account {} (staff-linked through {}) placed an order {} ms before client account {}'s same-side order of {}× the market's median size.",
                        s.user.0,
                        staff_account.0,
                        o.placed_ts_ms - s.placed_ts_ms,
                        o.user.0,
                        size / m.median.max(1)
                    ),
                    figures: vec![
                        ("lead_ms".into(), (o.placed_ts_ms - s.placed_ts_ms).to_string()),
                        ("client_order_size".into(), size.to_string()),
                        ("median_order_size".into(), m.median.to_string()),
                        ("client_account".into(), o.user.0.to_string()),
                    ],
                    orders: vec![order_evidence(&s, None), order_evidence(o, None)],
                    trades: Vec::new(),
                }));
            }
        }
    }

    fn on_trade(&mut self, ctx: &Ctx, market: MarketId, buyer: UserId, seller: UserId, qty: u64) {
        let day = ctx.ts_ms / DAY_MS;
        let keep_days = ctx.config.front_running.listing_lookback_ms / DAY_MS + 1;
        for (user, signed) in [(buyer, i128::from(qty)), (seller, -i128::from(qty))] {
            if ctx.links.staff_link(user).is_none() {
                continue;
            }
            let days = self.staff_net.entry((market, user)).or_default();
            let traded = signed.unsigned_abs();
            match days.back_mut() {
                Some((d, net, gross)) if *d == day => {
                    *net += signed;
                    *gross += traded;
                }
                _ => days.push_back((day, signed, traded)),
            }
            while days.front().is_some_and(|(d, ..)| d + keep_days < day) {
                days.pop_front();
            }
        }
    }

    /// A listing announcement for `asset` at `ctx.ts_ms`: the staff-linked net buyers of it over
    /// the lookback.
    pub fn announce(&mut self, ctx: &Ctx, asset: AssetId, out: &mut Vec<Alert>) {
        let config = &ctx.config.front_running;
        let from = ctx.ts_ms.saturating_sub(config.listing_lookback_ms);
        let (from_day, to_day) = (from / DAY_MS, ctx.ts_ms / DAY_MS);
        for (id, m) in ctx.tape.markets() {
            if m.info.base != asset {
                continue;
            }
            for ((market, user), days) in &self.staff_net {
                if market != id {
                    continue;
                }
                let in_lookback = days.iter().filter(|(d, ..)| (from_day..=to_day).contains(d));
                let (net, traded) = in_lookback.fold((0i128, 0u128), |(n, t), (_, net, gross)| (n + net, t + gross));
                if net <= 0 {
                    continue;
                }
                let share = bps(net as u128, traded);
                if share < u128::from(config.listing_min_net_share_bps) {
                    continue;
                }
                let staff_account = ctx.links.staff_link(*user).unwrap_or(*user);
                out.push(ctx.alert(Draft {
                    kind: DetectorKind::ListingFrontRunning,
                    market: *id,
                    accounts: vec![*user],
                    from_ts_ms: from,
                    to_ts_ms: ctx.ts_ms,
                    summary: format!(
                        "Account {} (staff-linked through {}) was a net buyer of {} in the {} days before its listing announcement: {} of what it traded there.",
                        user.0,
                        staff_account.0,
                        net,
                        config.listing_lookback_ms / DAY_MS,
                        pct(share)
                    ),
                    figures: vec![("net_bought".into(), net.to_string()), ("share_bps".into(), share.to_string())],
                    orders: Vec::<OrderEvidence>::new(),
                    trades: ctx.trades_of(*id, from, ctx.ts_ms, &[*user]),
                }));
            }
        }
    }
}

impl Detector for StaffFrontRunning {
    fn on_fact(&mut self, ctx: &Ctx, fact: &Fact, out: &mut Vec<Alert>) {
        match fact {
            Fact::Placed(o) => self.on_order(ctx, o),
            Fact::Trade { market, trade, taker, .. } => {
                // The first fill of an order that arrived with this command: it took liquidity.
                if taker.placed_seq == ctx.seq && self.last_aggressor != Some(taker.id) {
                    self.last_aggressor = Some(taker.id);
                    self.on_aggressor(ctx, taker, out);
                }
                self.on_trade(ctx, *market, trade.buyer, trade.seller, trade.qty)
            }
            _ => {}
        }
    }
}
