//! Pump-and-dump and ramping: for each market and each window length (5, 15, 25 s and minute
//! windows by default), the window's return and volume are compared with an exponentially
//! weighted baseline of the windows before it. A window whose return and volume are both far
//! out (z-scores) and whose price moved at least `min_move_bps` raises an alert that lists the
//! top net buyers of the hour before and the rush of market buys inside the window.
//!
//! The statistics use `f64`: they are measurements, never money. Only `+ − × ÷` and `sqrt` are
//! used (IEEE-exact everywhere), so a replay computes the same numbers.

use super::{Ctx, Detector, Draft};
use crate::alert::{Alert, DetectorKind};
use crate::tape::Fact;
use std::collections::BTreeMap;
use talat_core::{MarketId, OrderId, Side, UserId};

/// Empty windows applied one by one after a quiet spell; beyond this the old baseline has
/// decayed to nothing anyway (0.98^2000 ≈ 3e-18), so the rest are skipped.
const MAX_EMPTY_WINDOWS: u64 = 2_000;
/// Taker orders tracked per window (their largest decides the single-order share).
const TAKERS_MAX: usize = 100_000;

#[derive(Default, Clone)]
struct Stat {
    mean: f64,
    var: f64,
}

impl Stat {
    fn z(&self, x: f64, floor: f64) -> f64 {
        (x - self.mean) / self.var.sqrt().max(floor)
    }

    fn update(&mut self, x: f64, alpha: f64) {
        let delta = x - self.mean;
        self.mean += alpha * delta;
        self.var = (1.0 - alpha) * (self.var + alpha * delta * delta);
    }
}

#[derive(Default, Clone)]
struct Window {
    index: u64,
    prev_close: Option<u64>,
    close: Option<u64>,
    volume: u64,
    rush_buys: u64,
    rush_sells: u64,
    /// Quantity each taker order traded in the window.
    takers: BTreeMap<OrderId, u64>,
    seen: u32,
    ret: Stat,
    vol: Stat,
}

#[derive(Default)]
pub struct Pump {
    windows: BTreeMap<(MarketId, u64), Window>,
    alerted_at: BTreeMap<MarketId, u64>,
    /// No window ends before this (ms): at or below the earliest end of any window, so
    /// `on_time`, called for every command, returns at once until a window may be due.
    next_end_ms: u64,
}

impl Pump {
    fn roll(&mut self, ctx: &Ctx, market: MarketId, length_s: u64, out: &mut Vec<Alert>) {
        let length_ms = length_s * 1_000;
        let target = ctx.ts_ms / length_ms;
        let alpha = ctx.config.pump.ewma_alpha;
        let w = self.windows.entry((market, length_s)).or_insert_with(|| Window { index: target, ..Window::default() });
        // Ends only move later as windows roll; a new window may end before all the others.
        self.next_end_ms = self.next_end_ms.min((w.index + 1) * length_ms);
        if w.index >= target {
            return;
        }
        // The window that just ended.
        let finished = w.clone();
        let ret = match (w.prev_close, w.close) {
            (Some(prev), Some(close)) if prev > 0 => (close as f64 - prev as f64) / prev as f64,
            _ => 0.0,
        };
        let volume = w.volume as f64;
        let alert = if w.seen >= ctx.config.pump.warmup_windows {
            let z_ret = w.ret.z(ret, 1e-5);
            let z_vol = w.vol.z(volume, (w.vol.mean * 0.1).max(1.0));
            Some((z_ret, z_vol))
        } else {
            None
        };
        w.ret.update(ret, alpha);
        w.vol.update(volume, alpha);
        w.seen = w.seen.saturating_add(1);
        if w.close.is_some() {
            w.prev_close = w.close;
        }
        w.close = None;
        w.volume = 0;
        w.rush_buys = 0;
        w.rush_sells = 0;
        w.takers.clear();
        let empties = (target - finished.index - 1).min(MAX_EMPTY_WINDOWS);
        for _ in 0..empties {
            w.ret.update(0.0, alpha);
            w.vol.update(0.0, alpha);
            w.seen = w.seen.saturating_add(1);
        }
        w.index = target;
        if let Some((z_ret, z_vol)) = alert {
            self.judge(ctx, market, length_s, &finished, ret, z_ret, z_vol, out);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn judge(&mut self, ctx: &Ctx, market: MarketId, length_s: u64, w: &Window, ret: f64, z_ret: f64, z_vol: f64, out: &mut Vec<Alert>) {
        let config = &ctx.config.pump;
        let move_bps = (ret.abs() * 10_000.0) as u64;
        let rush = if ret > 0.0 { w.rush_buys } else { w.rush_sells };
        let largest = w.takers.values().copied().max().unwrap_or(0);
        if u128::from(largest) * 10_000 > u128::from(config.max_single_order_share_bps) * u128::from(w.volume.max(1)) {
            return;
        }
        if z_ret.abs() < config.min_return_z
            || z_vol < config.min_volume_z
            || move_bps < u64::from(config.min_move_bps)
            || rush < u64::from(config.min_rush_orders)
        {
            return;
        }
        if self.alerted_at.get(&market).is_some_and(|&at| at + config.cooldown_ms > ctx.ts_ms) {
            return;
        }
        self.alerted_at.insert(market, ctx.ts_ms);
        let window_start = w.index * length_s * 1_000;
        let window_end = window_start + length_s * 1_000;
        // The top net buyers of the hour before: up to the window's end for a rise (who is
        // pumping); up to its start for a fall (who had bought, and is dumping now).
        let up = ret > 0.0;
        let until = if up { window_end } else { window_start };
        let mut net: BTreeMap<UserId, i128> = BTreeMap::new();
        if let Some(m) = ctx.tape.market(market) {
            for t in m.trades_between(until.saturating_sub(config.buyers_lookback_ms), until) {
                *net.entry(t.buyer).or_default() += i128::from(t.qty);
                *net.entry(t.seller).or_default() -= i128::from(t.qty);
            }
        }
        let mut ranked: Vec<(UserId, i128)> = net.into_iter().filter(|(_, q)| *q > 0).collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(config.top_buyers);
        let accounts: Vec<UserId> = ranked.iter().map(|(u, _)| *u).collect();
        let listed: Vec<String> = ranked.iter().map(|(u, q)| format!("{} (+{q})", u.0)).collect();
        out.push(ctx.alert(Draft {
            kind: DetectorKind::Pump,
            market,
            accounts: accounts.clone(),
            from_ts_ms: window_start,
            to_ts_ms: window_end,
            summary: format!(
                "The price {} {}.{:02} % in a {length_s}-second window (return z = {z_ret:.1}, volume z = {z_vol:.1}, {rush} market {}(s) in the window). Top net buyers of the hour before{}: {}.",
                if up { "rose" } else { "fell" },
                move_bps / 100,
                move_bps % 100,
                if up { "buy" } else { "sell" },
                if up { "" } else { " the fall" },
                if listed.is_empty() { "none".to_string() } else { listed.join(", ") }
            ),
            figures: vec![
                ("window_s".into(), length_s.to_string()),
                ("move_bps".into(), move_bps.to_string()),
                ("return_z".into(), format!("{z_ret:.2}")),
                ("volume_z".into(), format!("{z_vol:.2}")),
                ("rush_market_orders".into(), rush.to_string()),
            ],
            orders: Vec::new(),
            trades: ctx.trades_of(market, window_start, window_end, &accounts),
        }));
    }
}

impl Detector for Pump {
    fn on_fact(&mut self, ctx: &Ctx, fact: &Fact, out: &mut Vec<Alert>) {
        match fact {
            Fact::Trade { market, trade, taker, .. } => {
                for &length_s in &ctx.config.pump.windows_s {
                    self.roll(ctx, *market, length_s, out);
                    let w = self.windows.get_mut(&(*market, length_s)).expect("rolled just now");
                    w.close = Some(trade.price);
                    w.volume += trade.qty;
                    if w.takers.len() < TAKERS_MAX {
                        *w.takers.entry(taker.id).or_default() += trade.qty;
                    }
                }
            }
            Fact::Placed(o) if o.price == 0 => {
                for &length_s in &ctx.config.pump.windows_s {
                    self.roll(ctx, o.market, length_s, out);
                    if let Some(w) = self.windows.get_mut(&(o.market, length_s)) {
                        match o.side {
                            Side::Buy => w.rush_buys += 1,
                            Side::Sell => w.rush_sells += 1,
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn on_time(&mut self, ctx: &Ctx, out: &mut Vec<Alert>) {
        if ctx.ts_ms < self.next_end_ms {
            return;
        }
        let keys: Vec<(MarketId, u64)> = self.windows.keys().copied().collect();
        for (market, length_s) in keys {
            if ctx.ts_ms / (length_s * 1_000) > self.windows[&(market, length_s)].index {
                self.roll(ctx, market, length_s, out);
            }
        }
        self.next_end_ms = self.windows.iter().map(|(&(_, length_s), w)| (w.index + 1) * length_s * 1_000).min().unwrap_or(u64::MAX);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::{self, EvalConfig};
    use crate::tape::Tape;
    use crate::SurveillanceConfig;

    /// The early return of `on_time` changes nothing: over a recorded run with pump scenarios,
    /// the detector raises the same alerts as one that looks at every window on every command.
    #[test]
    fn skipping_until_a_window_ends_raises_the_same_alerts() {
        let config = SurveillanceConfig::default();
        let (_, applied, links) = eval::run_recorded(&EvalConfig { seed: 7, hours: 12, instances: 2, retail_accounts: 30 }, &config).expect("the run");
        let mut tape = Tape::new();
        let (mut guarded, mut every_time) = (Pump::default(), Pump::default());
        let (mut guarded_alerts, mut reference_alerts) = (Vec::new(), Vec::new());
        let mut ts_ms = 0;
        for command in &applied {
            ts_ms = command.input.ts_ms.max(ts_ms);
            let facts = tape.apply(command);
            let ctx = Ctx { tape: &tape, links: &links, config: &config, seq: command.input.seq, ts_ms };
            guarded.on_time(&ctx, &mut guarded_alerts);
            every_time.next_end_ms = 0;
            every_time.on_time(&ctx, &mut reference_alerts);
            for fact in &facts {
                guarded.on_fact(&ctx, fact, &mut guarded_alerts);
                every_time.on_fact(&ctx, fact, &mut reference_alerts);
            }
        }
        assert!(reference_alerts.len() >= 2, "the run has pumps to find: {}", reference_alerts.len());
        let ids = |alerts: &[Alert]| alerts.iter().map(|a| a.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&guarded_alerts), ids(&reference_alerts));
        assert!(guarded_alerts == reference_alerts, "the same alerts, with different contents");
    }
}
