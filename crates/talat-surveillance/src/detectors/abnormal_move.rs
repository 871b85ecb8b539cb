//! Abnormal moves (Bitkub's P30 flag): the price at least `min_move_bps` away from the median of
//! the prices traded around the same time a day earlier. Checked at most once a minute per
//! market, from the tape's minute bars.

use super::{bps, pct, Ctx, Detector, Draft};
use crate::alert::{Alert, DetectorKind};
use crate::tape::Fact;
use std::collections::BTreeMap;
use talat_core::MarketId;

#[derive(Default)]
pub struct AbnormalMove {
    checked_minute: BTreeMap<MarketId, u64>,
    alerted_at: BTreeMap<MarketId, u64>,
}

impl Detector for AbnormalMove {
    fn on_fact(&mut self, ctx: &Ctx, fact: &Fact, out: &mut Vec<Alert>) {
        let Fact::Trade { market, trade, .. } = fact else { return };
        let config = &ctx.config.abnormal_move;
        let minute = trade.ts_ms / 60_000;
        if self.checked_minute.insert(*market, minute) == Some(minute) {
            return;
        }
        if self.alerted_at.get(market).is_some_and(|&at| at + config.cooldown_ms > trade.ts_ms) {
            return;
        }
        let Some(m) = ctx.tape.market(*market) else { return };
        let Some(centre) = trade.ts_ms.checked_sub(config.reference_ago_ms) else { return };
        let mut closes: Vec<u64> = m
            .bars_1m
            .iter()
            .filter(|b| b.start_ts_ms + config.reference_span_ms >= centre && b.start_ts_ms <= centre + config.reference_span_ms)
            .map(|b| b.close)
            .collect();
        if closes.is_empty() {
            return;
        }
        closes.sort_unstable();
        let reference = closes[closes.len() / 2];
        let move_bps = bps(u128::from(trade.price.abs_diff(reference)), u128::from(reference));
        if move_bps < u128::from(config.min_move_bps) {
            return;
        }
        self.alerted_at.insert(*market, trade.ts_ms);
        out.push(ctx.alert(Draft {
            kind: DetectorKind::AbnormalMove,
            market: *market,
            accounts: Vec::new(),
            from_ts_ms: centre,
            to_ts_ms: trade.ts_ms,
            summary: format!(
                "The price is {} {} the median of the prices traded around the same time {} h earlier.",
                pct(move_bps),
                if trade.price > reference { "above" } else { "below" },
                config.reference_ago_ms / 3_600_000
            ),
            figures: vec![
                ("move_bps".into(), move_bps.to_string()),
                ("reference_price".into(), reference.to_string()),
                ("price".into(), trade.price.to_string()),
            ],
            orders: Vec::new(),
            trades: vec![trade.clone()],
        }));
    }
}
