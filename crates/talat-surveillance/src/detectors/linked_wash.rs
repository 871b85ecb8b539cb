//! Wash trading between linked accounts: trades whose buyer and seller share a KYC identity,
//! bank account, deposit address, device or IP. Two patterns, per the reference: round trips
//! (goods going back and forth with little net change), or a linked pair printing a large share
//! of the market's volume.

use super::{bps, pct, Ctx, Detector, Draft};
use crate::alert::{Alert, DetectorKind, TradeEvidence};
use crate::tape::Fact;
use std::collections::{BTreeMap, VecDeque};
use talat_core::{MarketId, UserId};

#[derive(Default)]
pub struct LinkedWash {
    /// Per (market, lower id, higher id): their trades with each other, oldest first.
    pairs: BTreeMap<(MarketId, UserId, UserId), VecDeque<TradeEvidence>>,
    /// Per market: (time, quantity) of every trade in the share window, and their sum.
    volume: BTreeMap<MarketId, (VecDeque<(u64, u64)>, u128)>,
    alerted_at: BTreeMap<(MarketId, UserId, UserId), u64>,
}

/// Trades remembered per pair.
const PER_PAIR_MAX: usize = 2_000;
/// Trades remembered per market for its volume in the share window.
const PER_MARKET_MAX: usize = 1_000_000;

impl Detector for LinkedWash {
    fn on_fact(&mut self, ctx: &Ctx, fact: &Fact, out: &mut Vec<Alert>) {
        let Fact::Trade { market, trade, .. } = fact else { return };
        let config = &ctx.config.linked_wash;
        let (volume, total) = self.volume.entry(*market).or_default();
        volume.push_back((trade.ts_ms, trade.qty));
        *total += u128::from(trade.qty);
        while volume.len() > PER_MARKET_MAX || volume.front().is_some_and(|(ts, _)| ts + config.share_window_ms < trade.ts_ms) {
            let (_, qty) = volume.pop_front().expect("checked non-empty");
            *total -= u128::from(qty);
        }
        let market_volume = *total;
        let Some(kind) = ctx.links.linked(trade.buyer, trade.seller) else { return };
        let key = (*market, trade.buyer.min(trade.seller), trade.buyer.max(trade.seller));
        let horizon = config.window_ms.max(config.share_window_ms);
        let list = self.pairs.entry(key).or_default();
        list.push_back(trade.clone());
        while list.len() > PER_PAIR_MAX || list.front().is_some_and(|t| t.ts_ms + horizon < trade.ts_ms) {
            list.pop_front();
        }
        if self.alerted_at.get(&key).is_some_and(|&at| at + horizon > trade.ts_ms) {
            return;
        }
        // Round trips within the short window: each direction's trades, paired.
        let recent: Vec<&TradeEvidence> = list.iter().filter(|t| t.ts_ms + config.window_ms >= trade.ts_ms).collect();
        let (mut one_way, mut other_way, mut qty_one, mut qty_other) = (0u32, 0u32, 0u128, 0u128);
        for t in &recent {
            if t.seller == key.1 {
                one_way += 1;
                qty_one += u128::from(t.qty);
            } else {
                other_way += 1;
                qty_other += u128::from(t.qty);
            }
        }
        let round_trips = one_way.min(other_way);
        let traded = qty_one + qty_other;
        let net_bps = bps(qty_one.abs_diff(qty_other), traded);
        let round_tripping = round_trips >= config.min_round_trips && net_bps <= u128::from(config.max_net_change_bps);
        // Share of the market's volume within the long window.
        let in_share: Vec<&TradeEvidence> = list.iter().filter(|t| t.ts_ms + config.share_window_ms >= trade.ts_ms).collect();
        let pair_volume: u128 = in_share.iter().map(|t| u128::from(t.qty)).sum();
        let share_bps = bps(pair_volume, market_volume);
        let dominating = in_share.len() >= config.min_trades_for_share as usize && share_bps >= u128::from(config.min_volume_share_bps);
        if !round_tripping && !dominating {
            return;
        }
        self.alerted_at.insert(key, trade.ts_ms);
        let (evidence, from): (Vec<TradeEvidence>, u64) = if round_tripping {
            (recent.iter().map(|t| (*t).clone()).collect(), recent.first().map_or(trade.ts_ms, |t| t.ts_ms))
        } else {
            (in_share.iter().map(|t| (*t).clone()).collect(), in_share.first().map_or(trade.ts_ms, |t| t.ts_ms))
        };
        let summary = if round_tripping {
            format!(
                "Accounts {} and {} (linked by {}) traded {round_trips} round trip(s) with each other within {} min, net change {}.",
                key.1 .0,
                key.2 .0,
                kind.as_str(),
                config.window_ms / 60_000,
                pct(net_bps)
            )
        } else {
            format!(
                "Accounts {} and {} (linked by {}) made {} of the market's volume in {} min trading with each other.",
                key.1 .0,
                key.2 .0,
                kind.as_str(),
                pct(share_bps),
                config.share_window_ms / 60_000
            )
        };
        out.push(ctx.alert(Draft {
            kind: DetectorKind::LinkedWash,
            market: *market,
            accounts: vec![key.1, key.2],
            from_ts_ms: from,
            to_ts_ms: trade.ts_ms,
            summary,
            figures: vec![
                ("round_trips".into(), round_trips.to_string()),
                ("net_change_bps".into(), net_bps.to_string()),
                ("volume_share_bps".into(), share_bps.to_string()),
                ("pair_trades".into(), in_share.len().to_string()),
                ("link".into(), kind.as_str().into()),
            ],
            orders: Vec::new(),
            trades: evidence,
        }));
    }
}
