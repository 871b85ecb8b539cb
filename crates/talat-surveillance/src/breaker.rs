//! The circuit breaker: a market whose price moves more than `move_bps` within `window_ms` is
//! halted for `halt_ms`, then put in cancel-only for `cancel_only_ms`, then opened. The breaker
//! only decides: each step is an [`Action`] the caller submits as a journaled `SetMarketMode`
//! command (and a replay reports without submitting). It stands down on a market whose mode
//! someone else changed in the meantime: an operator's decision wins.

use crate::config::BreakerConfig;
use std::collections::{BTreeMap, VecDeque};
use talat_core::{MarketId, TradingMode};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    pub market: MarketId,
    pub mode: TradingMode,
    pub reason: String,
    /// When the breaker decided it (the sequenced time of the trade that tripped it, or the
    /// tick that ended a stage).
    pub at_ts_ms: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Tripped and asked for a halt; waiting until `until_ts_ms`.
    Halted {
        until_ts_ms: u64,
    },
    CancelOnly {
        until_ts_ms: u64,
    },
}

/// Seconds of price history kept per market: (second, low, high).
type Seconds = VecDeque<(u64, u64, u64)>;

#[derive(Default)]
pub struct Breaker {
    prices: BTreeMap<MarketId, Seconds>,
    stages: BTreeMap<MarketId, Stage>,
    /// The mode each market is in, as the engine last said.
    modes: BTreeMap<MarketId, TradingMode>,
}

impl Breaker {
    pub fn stage(&self, market: MarketId) -> Option<Stage> {
        self.stages.get(&market).copied()
    }

    /// A trade at `price`: trips the breaker when the move within the window is too large.
    pub fn on_trade(&mut self, config: &BreakerConfig, market: MarketId, ts_ms: u64, price: u64) -> Option<Action> {
        if !config.enabled || price == 0 {
            return None;
        }
        let second = ts_ms / 1_000;
        let seconds = self.prices.entry(market).or_default();
        match seconds.back_mut() {
            Some((s, low, high)) if *s == second => {
                *low = (*low).min(price);
                *high = (*high).max(price);
            }
            _ => seconds.push_back((second, price, price)),
        }
        let window_s = config.window_ms.div_ceil(1_000);
        while seconds.front().is_some_and(|(s, ..)| s + window_s < second) {
            seconds.pop_front();
        }
        if self.stages.contains_key(&market) || self.modes.get(&market).is_some_and(|m| *m != TradingMode::Open) {
            return None;
        }
        let low = seconds.iter().map(|(_, l, _)| *l).min().unwrap_or(price);
        let high = seconds.iter().map(|(_, _, h)| *h).max().unwrap_or(price);
        let up_bps = u128::from(price - low.min(price)) * 10_000 / u128::from(low.max(1));
        let down_bps = u128::from(high.max(price) - price) * 10_000 / u128::from(high.max(1));
        let moved_bps = up_bps.max(down_bps);
        if moved_bps <= u128::from(config.move_bps) {
            return None;
        }
        self.stages.insert(market, Stage::Halted { until_ts_ms: ts_ms + config.halt_ms });
        self.prices.remove(&market);
        Some(Action {
            market,
            mode: TradingMode::Halted,
            reason: format!(
                "circuit breaker: the price moved {}.{:02} % within {} min (limit {}.{:02} %); halted for {} min, then cancel-only for {} min",
                moved_bps / 100,
                moved_bps % 100,
                config.window_ms / 60_000,
                config.move_bps / 100,
                config.move_bps % 100,
                config.halt_ms / 60_000,
                config.cancel_only_ms / 60_000
            ),
            at_ts_ms: ts_ms,
        })
    }

    /// The engine changed a market's mode. A change the breaker did not ask for ends its stage.
    pub fn on_mode(&mut self, market: MarketId, mode: TradingMode) {
        self.modes.insert(market, mode);
        let expected = match self.stages.get(&market) {
            Some(Stage::Halted { .. }) => TradingMode::Halted,
            Some(Stage::CancelOnly { .. }) => TradingMode::CancelOnly,
            None => return,
        };
        if mode != expected {
            self.stages.remove(&market);
        }
    }

    /// Time passed: the stages that ended, as the next step of each.
    pub fn tick(&mut self, config: &BreakerConfig, now_ms: u64) -> Vec<Action> {
        let mut actions = Vec::new();
        let markets: Vec<MarketId> = self.stages.keys().copied().collect();
        for market in markets {
            match self.stages[&market] {
                Stage::Halted { until_ts_ms } if now_ms >= until_ts_ms => {
                    self.stages.insert(market, Stage::CancelOnly { until_ts_ms: now_ms + config.cancel_only_ms });
                    actions.push(Action {
                        market,
                        mode: TradingMode::CancelOnly,
                        reason: format!("circuit breaker: the halt ended; cancel-only for {} min before trading resumes", config.cancel_only_ms / 60_000),
                        at_ts_ms: now_ms,
                    });
                }
                Stage::CancelOnly { until_ts_ms } if now_ms >= until_ts_ms => {
                    self.stages.remove(&market);
                    actions.push(Action { market, mode: TradingMode::Open, reason: "circuit breaker: trading resumes".into(), at_ts_ms: now_ms });
                }
                _ => {}
            }
        }
        actions
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trips_halts_then_cancel_only_then_opens() {
        let config = BreakerConfig::default();
        let mut b = Breaker::default();
        let m = MarketId(0);
        assert_eq!(b.on_trade(&config, m, 1_000, 100_000), None);
        assert_eq!(b.on_trade(&config, m, 60_000, 109_000), None, "9 % is inside the limit");
        let halt = b.on_trade(&config, m, 120_000, 111_000).expect("11 % within 5 min trips");
        assert_eq!(halt.mode, TradingMode::Halted);
        assert!(halt.reason.contains("11.00 %"), "{}", halt.reason);
        b.on_mode(m, TradingMode::Halted);
        assert_eq!(b.on_trade(&config, m, 121_000, 130_000), None, "halted: no second trip");
        assert_eq!(b.tick(&config, 120_000 + config.halt_ms - 1), vec![]);
        let step = b.tick(&config, 120_000 + config.halt_ms);
        assert_eq!(step[0].mode, TradingMode::CancelOnly);
        b.on_mode(m, TradingMode::CancelOnly);
        let step = b.tick(&config, 120_000 + config.halt_ms + config.cancel_only_ms);
        assert_eq!(step[0].mode, TradingMode::Open);
        b.on_mode(m, TradingMode::Open);
        assert_eq!(b.stage(m), None);
    }

    #[test]
    fn a_fall_trips_too_and_old_prices_age_out() {
        let config = BreakerConfig::default();
        let mut b = Breaker::default();
        let m = MarketId(1);
        b.on_trade(&config, m, 0, 100_000);
        assert_eq!(b.on_trade(&config, m, config.window_ms + 2_000, 85_000), None, "the high aged out of the window");
        assert!(b.on_trade(&config, m, config.window_ms + 3_000, 76_000).is_some(), "85 → 76 is a 10.6 % fall");
    }

    #[test]
    fn an_operator_decision_wins() {
        let config = BreakerConfig::default();
        let mut b = Breaker::default();
        let m = MarketId(0);
        b.on_trade(&config, m, 0, 100);
        assert!(b.on_trade(&config, m, 1_000, 120).is_some());
        b.on_mode(m, TradingMode::Halted);
        b.on_mode(m, TradingMode::Open);
        assert_eq!(b.tick(&config, u64::MAX / 2), vec![], "an operator reopened the market: the breaker stands down");
        assert_eq!(b.on_trade(&BreakerConfig { enabled: false, ..config }, m, 2_000, 500), None);
    }
}
