//! Marking the close: one account dominates the last minutes before a reference time (the daily
//! candle's close at 00:00 Bangkok time by default) and the price it leaves there is far from
//! where the market traded in the hour before. Judged once per reference time, at the first
//! command after it.

use super::{bps, pct, Ctx, Detector, Draft};
use crate::alert::{Alert, DetectorKind};
use crate::config::{DAY_MS, HOUR_MS};
// Bangkok is UTC+7 all year.
use crate::tape::Fact;
use std::collections::BTreeMap;
use talat_core::calendar::BANGKOK_OFFSET_MS as ICT_OFFSET_MS;
use talat_core::{MarketId, UserId};

/// Fewer trades in the window are not judged.
const MIN_WINDOW_TRADES: usize = 3;

#[derive(Default)]
pub struct MarkingClose {
    next_reference_ms: Option<u64>,
}

/// The first reference instant strictly after `ts_ms`.
pub fn next_reference(ts_ms: u64, minutes_ict: &[u32]) -> u64 {
    let local = ts_ms + ICT_OFFSET_MS;
    let day_start = local - local % DAY_MS;
    let mut best = u64::MAX;
    for day in [day_start, day_start + DAY_MS] {
        for &m in minutes_ict {
            let at = day + u64::from(m) * 60_000;
            if at > local {
                best = best.min(at);
            }
        }
    }
    best - ICT_OFFSET_MS
}

impl MarkingClose {
    fn judge(&self, ctx: &Ctx, market: MarketId, reference_ms: u64, out: &mut Vec<Alert>) {
        let config = &ctx.config.marking_close;
        let Some(m) = ctx.tape.market(market) else { return };
        let window_start = reference_ms.saturating_sub(config.window_ms);
        let window: Vec<_> = m.trades_between(window_start, reference_ms - 1).collect();
        if window.len() < MIN_WINDOW_TRADES {
            return;
        }
        let (mut value, mut qty) = (0u128, 0u128);
        for t in m.trades_between(window_start.saturating_sub(HOUR_MS), window_start - 1) {
            value += u128::from(t.price) * u128::from(t.qty);
            qty += u128::from(t.qty);
        }
        if qty == 0 {
            return;
        }
        let vwap = value / qty;
        let last = window.last().expect("checked non-empty").price;
        let move_bps = bps(u128::from(last).abs_diff(vwap), vwap);
        if move_bps < u128::from(config.min_move_bps) {
            return;
        }
        let up = u128::from(last) > vwap;
        let total: u128 = window.iter().map(|t| u128::from(t.qty)).sum();
        let mut per_account: BTreeMap<UserId, (u128, i128)> = BTreeMap::new();
        for t in &window {
            let e = per_account.entry(t.buyer).or_default();
            e.0 += u128::from(t.qty);
            e.1 += i128::from(t.qty);
            let e = per_account.entry(t.seller).or_default();
            e.0 += u128::from(t.qty);
            e.1 -= i128::from(t.qty);
        }
        // The account that moved furthest the way the price went (its net position, not its
        // gross volume: a market maker trades both ways all the time).
        let Some((&user, &(volume, net))) = per_account
            .iter()
            .filter(|(_, (_, net))| if up { *net > 0 } else { *net < 0 })
            .max_by(|a, b| a.1 .1.unsigned_abs().cmp(&b.1 .1.unsigned_abs()).then(b.0.cmp(a.0)))
        else {
            return;
        };
        let share_bps = bps(volume, total);
        if share_bps < u128::from(config.min_share_bps) {
            return;
        }
        out.push(ctx.alert(Draft {
            kind: DetectorKind::MarkingClose,
            market,
            accounts: vec![user],
            from_ts_ms: window_start,
            to_ts_ms: reference_ms,
            summary: format!(
                "Account {} made {} of the volume in the {} min before the reference time and was a net {} of {}; the last price was {} {} the hour's VWAP.",
                user.0,
                pct(share_bps),
                config.window_ms / 60_000,
                if up { "buyer" } else { "seller" },
                net.unsigned_abs(),
                pct(move_bps),
                if up { "above" } else { "below" }
            ),
            figures: vec![
                ("reference_ts_ms".into(), reference_ms.to_string()),
                ("share_bps".into(), share_bps.to_string()),
                ("move_bps".into(), move_bps.to_string()),
                ("vwap".into(), vwap.to_string()),
                ("last_price".into(), last.to_string()),
                ("window_trades".into(), window.len().to_string()),
            ],
            orders: Vec::new(),
            trades: ctx.trades_of(market, window_start, reference_ms - 1, &[user]),
        }));
    }
}

impl Detector for MarkingClose {
    fn on_fact(&mut self, _ctx: &Ctx, _fact: &Fact, _out: &mut Vec<Alert>) {}

    fn on_time(&mut self, ctx: &Ctx, out: &mut Vec<Alert>) {
        let minutes = &ctx.config.marking_close.reference_minutes_ict;
        let Some(reference) = self.next_reference_ms else {
            self.next_reference_ms = Some(next_reference(ctx.ts_ms, minutes));
            return;
        };
        if ctx.ts_ms < reference {
            return;
        }
        let markets: Vec<MarketId> = ctx.tape.markets().map(|(id, _)| *id).collect();
        for market in markets {
            self.judge(ctx, market, reference, out);
        }
        self.next_reference_ms = Some(next_reference(ctx.ts_ms, minutes));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_times_are_bangkok_midnight() {
        // 2026-12-06 16:59:00 UTC is 23:59 in Bangkok; the next close is 17:00 UTC.
        let ts = 1_796_576_340_000;
        assert_eq!(next_reference(ts, &[0]), 1_796_576_400_000);
        assert_eq!(next_reference(1_796_576_400_000, &[0]), 1_796_576_400_000 + DAY_MS);
        assert_eq!(next_reference(ts, &[0, 30]), 1_796_576_400_000);
    }
}
