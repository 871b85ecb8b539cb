//! The order-to-trade ratio: messages (orders, amends, cancels) per trade in each fixed window,
//! judged against the account's own history — spikes, not levels: most orders on any venue are
//! cancelled, so a market maker's steady high ratio is its baseline, not an alert.

use super::{Ctx, Detector, Draft};
use crate::alert::{Alert, DetectorKind};
use crate::tape::Fact;
use std::collections::{BTreeMap, VecDeque};
use talat_core::{DoneReason, MarketId, UserId};

#[derive(Default)]
struct Account {
    window: u64,
    messages: u64,
    trades: u64,
    market: Option<MarketId>,
    /// Ratios (×100) of its earlier judged windows.
    history: VecDeque<u64>,
}

#[derive(Default)]
pub struct OrderToTrade {
    accounts: BTreeMap<UserId, Account>,
    current_window: u64,
}

impl OrderToTrade {
    fn count(&mut self, ctx: &Ctx, user: UserId, market: MarketId, messages: u64, trades: u64, out: &mut Vec<Alert>) {
        let window = ctx.ts_ms / ctx.config.order_to_trade.window_ms;
        let account = self.accounts.entry(user).or_default();
        if account.window != window {
            let ended = std::mem::take(&mut account.window);
            judge(ctx, user, account, ended, out);
            account.window = window;
        }
        account.messages += messages;
        account.trades += trades;
        account.market = Some(market);
    }
}

/// Judges the account's finished window `window` and starts its next.
fn judge(ctx: &Ctx, user: UserId, account: &mut Account, window: u64, out: &mut Vec<Alert>) {
    let config = &ctx.config.order_to_trade;
    let (messages, trades) = (account.messages, account.trades);
    account.messages = 0;
    account.trades = 0;
    if messages == 0 {
        return;
    }
    let ratio_x100 = messages * 100 / trades.max(1);
    let mut sorted: Vec<u64> = account.history.iter().copied().collect();
    sorted.sort_unstable();
    let median_x100 = sorted.get(sorted.len() / 2).copied();
    let threshold_x100 = (u64::from(config.min_ratio) * 100).max(median_x100.unwrap_or(0) * u64::from(config.baseline_multiple));
    if messages >= u64::from(config.min_messages) {
        account.history.push_back(ratio_x100);
        while account.history.len() > config.baseline_windows {
            account.history.pop_front();
        }
    }
    if messages < u64::from(config.min_messages) || ratio_x100 <= threshold_x100 {
        return;
    }
    let Some(market) = account.market else { return };
    let from = window * config.window_ms;
    out.push(ctx.alert(Draft {
        kind: DetectorKind::OrderToTrade,
        market,
        accounts: vec![user],
        from_ts_ms: from,
        to_ts_ms: from + config.window_ms,
        summary: format!(
            "Account {} sent {messages} orders, amends and cancels for {trades} trade(s) in {} min: a ratio of {}, against {} in its own earlier windows.",
            user.0,
            config.window_ms / 60_000,
            ratio_x100 / 100,
            median_x100.map_or("no history".to_string(), |m| format!("a median of {}", m / 100))
        ),
        figures: vec![
            ("messages".into(), messages.to_string()),
            ("trades".into(), trades.to_string()),
            ("ratio".into(), (ratio_x100 / 100).to_string()),
            ("baseline_median_ratio".into(), median_x100.map_or("-".into(), |m| (m / 100).to_string())),
            ("threshold_ratio".into(), (threshold_x100 / 100).to_string()),
        ],
        orders: Vec::new(),
        trades: Vec::new(),
    }));
}

impl Detector for OrderToTrade {
    fn on_fact(&mut self, ctx: &Ctx, fact: &Fact, out: &mut Vec<Alert>) {
        match fact {
            Fact::Placed(o) | Fact::Amended(o) => self.count(ctx, o.user, o.market, 1, 0, out),
            Fact::Done { order, reason: DoneReason::Cancelled, .. } => self.count(ctx, order.user, order.market, 1, 0, out),
            Fact::Trade { market, maker, taker, .. } => {
                self.count(ctx, maker.user, *market, 0, 1, out);
                self.count(ctx, taker.user, *market, 0, 1, out);
            }
            _ => {}
        }
    }

    fn on_time(&mut self, ctx: &Ctx, out: &mut Vec<Alert>) {
        let window = ctx.ts_ms / ctx.config.order_to_trade.window_ms;
        if window == self.current_window {
            return;
        }
        self.current_window = window;
        for (user, account) in self.accounts.iter_mut() {
            if account.window < window && account.messages > 0 {
                let ended = account.window;
                judge(ctx, *user, account, ended, out);
                account.window = window;
            }
        }
        self.accounts.retain(|_, a| a.messages > 0 || !a.history.is_empty());
    }
}
