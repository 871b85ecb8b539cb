//! Self-matches that self-trade prevention stopped, counted per account. With STP in the engine
//! none of them trade, but an account that keeps sending orders into its own resting ones is
//! trying to print volume (or its bot is broken): either way compliance wants to know.

use super::{order_evidence, Ctx, Detector, Draft};
use crate::alert::{Alert, DetectorKind, OrderEvidence};
use crate::tape::Fact;
use std::collections::{BTreeMap, VecDeque};
use talat_core::{MarketId, UserId};

#[derive(Default)]
pub struct SelfMatch {
    /// Per account: its prevented matches in the window (time, market, the two orders).
    recent: BTreeMap<UserId, VecDeque<(u64, MarketId, OrderEvidence, OrderEvidence)>>,
    /// Per account: when it last raised an alert (one alert per window).
    alerted_at: BTreeMap<UserId, u64>,
}

/// Prevented matches remembered per account (the evidence of one alert).
const PER_ACCOUNT_MAX: usize = 1_000;

impl Detector for SelfMatch {
    fn on_fact(&mut self, ctx: &Ctx, fact: &Fact, out: &mut Vec<Alert>) {
        let Fact::Prevented { market, taker, maker, .. } = fact else { return };
        let config = &ctx.config.self_match;
        let user = taker.user;
        let list = self.recent.entry(user).or_default();
        list.push_back((ctx.ts_ms, *market, order_evidence(taker, None), order_evidence(maker, None)));
        while list.len() > PER_ACCOUNT_MAX || list.front().is_some_and(|(ts, ..)| ts + config.window_ms < ctx.ts_ms) {
            list.pop_front();
        }
        let quiet = self.alerted_at.get(&user).is_none_or(|&at| at + config.window_ms <= ctx.ts_ms);
        if list.len() < config.min_prevented as usize || !quiet {
            return;
        }
        self.alerted_at.insert(user, ctx.ts_ms);
        let from = list.front().map_or(ctx.ts_ms, |(ts, ..)| *ts);
        let mut accounts = vec![user];
        if maker.user != user {
            accounts.push(maker.user);
        }
        let count = list.len();
        let orders = list.iter().flat_map(|(_, _, t, m)| [t.clone(), m.clone()]).collect();
        out.push(ctx.alert(Draft {
            kind: DetectorKind::SelfMatch,
            market: *market,
            accounts,
            from_ts_ms: from,
            to_ts_ms: ctx.ts_ms,
            summary: format!("Account {} sent {count} order(s) into its own resting orders; self-trade prevention stopped each match.", user.0),
            figures: vec![("prevented_matches".into(), count.to_string()), ("window_ms".into(), config.window_ms.to_string())],
            orders,
            trades: Vec::new(),
        }));
    }
}
