//! Spoofing and layering: an account rests large orders on one side, away from the touch, gets
//! a fill on the other side, and cancels the large orders within seconds. One such sequence is
//! an episode; `min_episodes` within the window raise an alert — layering when the spoof orders
//! sat on several price levels.
//!
//! The account's own baseline is reported beside each figure: its median order size and its
//! cancel ratio over its recent orders, so a reviewer sees how far the episode is from how the
//! account usually trades.

use super::{bps, pct, Ctx, Detector, Draft};
use crate::alert::{Alert, DetectorKind, OrderEvidence, TradeEvidence};
use crate::tape::{Fact, OrderInfo};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use talat_core::{DoneReason, MarketId, OrderId, Side, UserId};

/// Orders remembered per account for its baseline.
const BASELINE_ORDERS: usize = 200;
/// Episodes remembered per account.
const EPISODES_MAX: usize = 64;

struct Pending {
    fill_ts_ms: u64,
    /// The spoof orders and their open quantity at the fill.
    orders: BTreeMap<OrderId, (u64, u64)>,
    total: u64,
    cancelled: u64,
    last_cancel_ts_ms: u64,
    multiple_x100: u128,
    depth_share_bps: u128,
    fill: TradeEvidence,
}

struct Episode {
    ts_ms: u64,
    levels: usize,
    orders: Vec<OrderEvidence>,
    fill: TradeEvidence,
    multiple_x100: u128,
    depth_share_bps: u128,
    cancel_after_ms: u64,
}

#[derive(Default)]
struct Baseline {
    sizes: VecDeque<u64>,
    placed: u64,
    cancelled: u64,
}

/// An account's resting orders on one side: id → (price, open quantity).
type Resting = BTreeMap<OrderId, (u64, u64)>;

#[derive(Default)]
pub struct Spoofing {
    /// Per (account, market, side): its resting orders (price, open).
    resting: BTreeMap<(UserId, MarketId, Side), Resting>,
    pending: BTreeMap<(UserId, MarketId, Side), Pending>,
    episodes: BTreeMap<(UserId, MarketId), VecDeque<Episode>>,
    baselines: BTreeMap<UserId, Baseline>,
}

impl Spoofing {
    fn track(&mut self, o: &OrderInfo) {
        let key = (o.user, o.market, o.side);
        match o.resting {
            Some((price, open)) if open > 0 => {
                self.resting.entry(key).or_default().insert(o.id, (price, open));
            }
            _ => {
                if let Some(map) = self.resting.get_mut(&key) {
                    map.remove(&o.id);
                    if map.is_empty() {
                        self.resting.remove(&key);
                    }
                }
            }
        }
    }

    fn consider_fill(&mut self, ctx: &Ctx, market: MarketId, user: UserId, traded_side: Side, fill_qty: u64, trade: &TradeEvidence) {
        let config = &ctx.config.spoofing;
        let spoof_side = traded_side.opposite();
        let Some(book) = ctx.tape.market(market).map(|m| &m.book) else { return };
        let Some(spoof_orders) = self.resting.get(&(user, market, spoof_side)) else { return };
        let best = book.best(spoof_side);
        // Away from the touch: strictly behind the best price of its side.
        let away_from_touch = |price: u64| match (best, spoof_side) {
            (Some(best), Side::Sell) => price > best,
            (Some(best), Side::Buy) => price < best,
            (None, _) => false,
        };
        let spoof_qty: u64 = spoof_orders.values().filter(|(price, _)| away_from_touch(*price)).map(|(_, open)| open).sum();
        if spoof_qty == 0 {
            return;
        }
        let opposite_open: u64 = self.resting.get(&(user, market, traded_side)).map_or(0, |m| m.values().map(|(_, open)| open).sum());
        let opposite = u128::from(opposite_open + fill_qty);
        let multiple_x100 = u128::from(spoof_qty) * 100 / opposite.max(1);
        let depth_share_bps = bps(u128::from(spoof_qty), u128::from(book.top_depth(spoof_side, 5)).max(u128::from(spoof_qty)));
        if multiple_x100 < u128::from(config.min_size_multiple) * 100 || depth_share_bps < u128::from(config.min_depth_share_bps) {
            return;
        }
        let key = (user, market, spoof_side);
        if self.pending.get(&key).is_some_and(|p| p.fill_ts_ms + config.cancel_within_ms >= ctx.ts_ms) {
            return;
        }
        // Only a fill that may be a spoof's is worth a copy of the orders (most fills stop above).
        let away: BTreeMap<OrderId, (u64, u64)> = spoof_orders.iter().filter(|(_, (price, _))| away_from_touch(*price)).map(|(id, v)| (*id, *v)).collect();
        self.pending.insert(
            key,
            Pending {
                fill_ts_ms: ctx.ts_ms,
                total: spoof_qty,
                orders: away,
                cancelled: 0,
                last_cancel_ts_ms: ctx.ts_ms,
                multiple_x100,
                depth_share_bps,
                fill: trade.clone(),
            },
        );
    }

    fn on_cancel(&mut self, ctx: &Ctx, o: &OrderInfo, remaining: u64, out: &mut Vec<Alert>) {
        let config = &ctx.config.spoofing;
        let key = (o.user, o.market, o.side);
        let Some(p) = self.pending.get_mut(&key) else { return };
        if !p.orders.contains_key(&o.id) || p.fill_ts_ms + config.cancel_within_ms < ctx.ts_ms {
            return;
        }
        p.cancelled += remaining.min(p.orders[&o.id].1);
        p.last_cancel_ts_ms = ctx.ts_ms;
        if bps(u128::from(p.cancelled), u128::from(p.total)) < u128::from(config.min_cancelled_bps) {
            return;
        }
        let p = self.pending.remove(&key).expect("just found");
        let levels = p.orders.values().map(|(price, _)| *price).collect::<BTreeSet<_>>().len();
        let orders = p
            .orders
            .iter()
            .map(|(id, (price, open))| OrderEvidence {
                order: *id,
                user: o.user,
                side: o.side,
                price: *price,
                qty: *open,
                placed_ts_ms: ctx.tape.order(*id).map_or(0, |x| x.placed_ts_ms),
                outcome: Some("cancelled".into()),
                done_ts_ms: Some(p.last_cancel_ts_ms),
            })
            .collect();
        let episodes = self.episodes.entry((o.user, o.market)).or_default();
        episodes.push_back(Episode {
            ts_ms: p.fill_ts_ms,
            levels,
            orders,
            fill: p.fill,
            multiple_x100: p.multiple_x100,
            depth_share_bps: p.depth_share_bps,
            cancel_after_ms: p.last_cancel_ts_ms - p.fill_ts_ms,
        });
        while episodes.len() > EPISODES_MAX || episodes.front().is_some_and(|e| e.ts_ms + config.window_ms < ctx.ts_ms) {
            episodes.pop_front();
        }
        if episodes.len() < config.min_episodes as usize {
            return;
        }
        let found: Vec<Episode> = episodes.drain(..).collect();
        let mut levels: Vec<usize> = found.iter().map(|e| e.levels).collect();
        levels.sort_unstable();
        let median_levels = levels[levels.len() / 2];
        let kind = if median_levels >= config.layering_min_levels as usize { DetectorKind::Layering } else { DetectorKind::Spoofing };
        let baseline = self.baselines.get(&o.user);
        let median_size = baseline.map_or(0, |b| {
            let mut sizes: Vec<u64> = b.sizes.iter().copied().collect();
            sizes.sort_unstable();
            sizes.get(sizes.len() / 2).copied().unwrap_or(0)
        });
        let cancel_ratio_bps = baseline.map_or(0, |b| bps(u128::from(b.cancelled), u128::from(b.placed)));
        let min_multiple = found.iter().map(|e| e.multiple_x100).min().unwrap_or(0);
        let min_share = found.iter().map(|e| e.depth_share_bps).min().unwrap_or(0);
        let slowest_cancel = found.iter().map(|e| e.cancel_after_ms).max().unwrap_or(0);
        out.push(ctx.alert(Draft {
            kind,
            market: o.market,
            accounts: vec![o.user],
            from_ts_ms: found[0].ts_ms,
            to_ts_ms: ctx.ts_ms,
            summary: format!(
                "Account {} {} {} times in {} min: {} orders at least {}.{:02}× its opposite interest and {} of the top five levels, cancelled within {} ms of a fill on the other side.",
                o.user.0,
                if kind == DetectorKind::Layering { "layered" } else { "spoofed" },
                found.len(),
                config.window_ms / 60_000,
                match o.side {
                    Side::Buy => "buy",
                    Side::Sell => "sell",
                },
                min_multiple / 100,
                min_multiple % 100,
                pct(min_share),
                slowest_cancel
            ),
            figures: vec![
                ("episodes".into(), found.len().to_string()),
                ("median_levels".into(), median_levels.to_string()),
                ("min_size_multiple_x100".into(), min_multiple.to_string()),
                ("min_depth_share_bps".into(), min_share.to_string()),
                ("slowest_cancel_ms".into(), slowest_cancel.to_string()),
                ("account_median_order_size".into(), median_size.to_string()),
                ("account_cancel_ratio_bps".into(), cancel_ratio_bps.to_string()),
            ],
            orders: found.iter().flat_map(|e| e.orders.iter().cloned()).collect(),
            trades: found.iter().map(|e| e.fill.clone()).collect(),
        }));
    }
}

impl Detector for Spoofing {
    fn on_fact(&mut self, ctx: &Ctx, fact: &Fact, out: &mut Vec<Alert>) {
        match fact {
            Fact::Placed(o) => {
                let b = self.baselines.entry(o.user).or_default();
                b.placed += 1;
                if o.qty > 0 {
                    b.sizes.push_back(o.qty);
                    if b.sizes.len() > BASELINE_ORDERS {
                        b.sizes.pop_front();
                    }
                }
            }
            Fact::Rested(o) | Fact::Amended(o) => self.track(o),
            Fact::Trade { market, trade, maker, taker } => {
                self.track(maker);
                self.consider_fill(ctx, *market, maker.user, maker.side, trade.qty, trade);
                self.consider_fill(ctx, *market, taker.user, taker.side, trade.qty, trade);
            }
            Fact::Done { order, reason, remaining } => {
                let mut gone = *order;
                gone.resting = None;
                self.track(&gone);
                if *reason == DoneReason::Cancelled {
                    self.baselines.entry(order.user).or_default().cancelled += 1;
                    self.on_cancel(ctx, order, *remaining, out);
                }
            }
            Fact::Prevented { .. } | Fact::ModeChanged { .. } => {}
        }
    }

    fn on_time(&mut self, ctx: &Ctx, _out: &mut Vec<Alert>) {
        let within = ctx.config.spoofing.cancel_within_ms;
        self.pending.retain(|_, p| p.fill_ts_ms + within >= ctx.ts_ms);
    }
}
