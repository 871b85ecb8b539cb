//! The demo's liquidity bot: keeps every book populated around a reference price that drifts a
//! little, and now and then takes liquidity so that there are trades, tickers and candles to
//! look at. It is a client of the exchange like any other: it submits commands through the
//! sequencer and never touches state directly.

use std::sync::Arc;
use std::time::Duration;
use talat_core::{Amount, Command, Event, MarketId, NewOrder, OrderId, OrderKind, Price, Qty, Side, StpMode, TimeInForce, UserId};
use talat_gateway::gateway::Gateway;

#[derive(Clone, Debug)]
pub struct BotConfig {
    pub maker: UserId,
    pub taker: UserId,
    pub interval_ms: u64,
    /// Quotes per side per market.
    pub levels: u32,
    /// Reference price (price units) and grid of each market, by market id.
    pub markets: Vec<BotMarket>,
    pub seed: u64,
}

#[derive(Clone, Copy, Debug)]
pub struct BotMarket {
    pub market: MarketId,
    pub reference: u64,
    pub price_step: u64,
    pub qty_step: u64,
    pub base_scale: u8,
}

/// xorshift64*: the bot's own seeded randomness (no need for a crate).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn on_grid(value: u64, step: u64) -> u64 {
    (value / step).max(1) * step
}

/// Runs until the sequencer stops.
pub async fn run(gateway: Arc<Gateway>, config: BotConfig) {
    let mut rng = Rng(config.seed | 1);
    let mut references: Vec<u64> = config.markets.iter().map(|m| m.reference).collect();
    let mut live: Vec<Vec<OrderId>> = vec![Vec::new(); config.markets.len()];
    // Quotes left by an earlier run of the bot are cleared before a market is quoted again; a
    // market halted at start refuses that, so it waits (unquoted) until the clear goes through.
    let mut cleared = vec![false; config.markets.len()];
    let mut tick = tokio::time::interval(Duration::from_millis(config.interval_ms.max(10)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        if gateway.sequencer.stop_reason().is_some() {
            return;
        }
        for (i, m) in config.markets.iter().enumerate() {
            // Drift up to ±0.1 % a tick, pulled back toward the configured reference.
            let r = references[i];
            let drift = r / 1_000 * rng.below(3) / 2;
            let up = rng.below(2) == 0 || r < m.reference * 9 / 10;
            let r = if up && r < m.reference * 11 / 10 { r + drift } else { r.saturating_sub(drift).max(m.price_step) };
            references[i] = on_grid(r, m.price_step);
            if !cleared[i] || live[i].len() > MAX_LIVE_QUOTES {
                cleared[i] = took_effect(&gateway, Command::CancelAll { user: config.maker, market: Some(m.market) }).await;
                if !cleared[i] {
                    continue;
                }
                live[i].clear();
            }
            requote(&gateway, &config, m, references[i], &mut rng, &mut live[i]).await;
        }
    }
}

/// Quotes the bot may track in one market (its own plus those whose cancel was refused, kept to
/// try again) before it clears the market with one cancel-all instead: a bound on `live`.
const MAX_LIVE_QUOTES: usize = 200;

/// Submits; true when the engine applied it (a cancel of an order that is gone already counts:
/// there is nothing left to cancel). False when refused (a halted market freezes its book) or
/// shed: the caller tries again next tick.
async fn took_effect(gateway: &Gateway, command: Command) -> bool {
    sequenced(gateway, command)
        .await
        .is_some_and(|outcome| matches!(talat_gateway::gateway::refusal(&outcome), None | Some(talat_core::RejectReason::UnknownOrder)))
}

/// Submits and returns the id of the order it created, if any. The bot never retries: a
/// refused or shed command is just skipped this tick.
async fn submit(gateway: &Gateway, command: Command) -> Option<OrderId> {
    sequenced(gateway, command).await?.events.iter().find_map(|e| match e {
        Event::OrderRested { order, .. } => Some(*order),
        _ => None,
    })
}

/// The engine's outcome of `command`, or `None` (logged) when the gateway did not sequence it
/// (shed, or the sequencer stopped).
async fn sequenced(gateway: &Gateway, command: Command) -> Option<talat_sequencer::Outcome> {
    gateway.submit(command).await.map_err(|error| tracing::debug!(%error, "liquidity bot command not applied")).ok()
}

/// Places the new quotes first and only then cancels the previous ones, so the book is never
/// empty between two ticks. A previous quote whose cancel did not take effect (the market is
/// halted, or the command was shed) stays in `live` and is cancelled on a later tick: no quote
/// is forgotten while it still rests.
async fn requote(gateway: &Gateway, config: &BotConfig, m: &BotMarket, reference: u64, rng: &mut Rng, live: &mut Vec<OrderId>) {
    let previous = std::mem::take(live);
    // Quotes of 5,000–25,000 THB, 0.05 % apart.
    for level in 1..=config.levels as u64 {
        let offset = on_grid(reference * level / 2_000, m.price_step);
        for (side, price) in [(Side::Buy, reference.saturating_sub(offset)), (Side::Sell, reference + offset)] {
            if price == 0 {
                continue;
            }
            let thb_satang = (5_000 + rng.below(20_000)) * 100;
            let qty = on_grid(((thb_satang as u128 * 10u128.pow(m.base_scale as u32)) / price as u128) as u64, m.qty_step);
            let kind = OrderKind::Limit { price: Price(price), qty: Qty(qty), tif: TimeInForce::PostOnly };
            let order = NewOrder { user: config.maker, market: m.market, side, kind, client_id: None, stp: StpMode::ExpireTaker };
            if let Some(id) = submit(gateway, Command::PlaceOrder(order)).await {
                live.push(id);
            }
        }
    }
    for order in previous {
        if !took_effect(gateway, Command::CancelOrder { user: config.maker, order }).await {
            live.push(order);
        }
    }
    // One time in three, a small market order from the taker makes a trade.
    if rng.below(3) == 0 {
        let side = if rng.below(2) == 0 { Side::Buy } else { Side::Sell };
        let thb_satang = (500 + rng.below(5_000)) * 100;
        let amount = match side {
            Side::Buy => thb_satang,
            Side::Sell => on_grid(((thb_satang as u128 * 10u128.pow(m.base_scale as u32)) / reference as u128) as u64, m.qty_step),
        };
        let order = NewOrder {
            user: config.taker,
            market: m.market,
            side,
            kind: OrderKind::Market { amount: Amount(amount) },
            client_id: None,
            stp: StpMode::ExpireTaker,
        };
        submit(gateway, Command::PlaceOrder(order)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use talat_core::TradingMode;

    /// How long the test waits for the bot to reach a state (a bound on a wait, not a speed).
    const WAIT_MS: u64 = 20_000;

    fn maker_quotes(gateway: &Gateway, maker: UserId) -> BTreeSet<OrderId> {
        gateway.read.open_orders(maker, Some(MarketId(0))).iter().map(|o| o.id).collect()
    }

    /// Waits until the maker's BTC_THB quotes satisfy `done`; panics with `what` after WAIT_MS.
    async fn until(gateway: &Gateway, maker: UserId, what: &str, done: impl Fn(&BTreeSet<OrderId>) -> bool) -> BTreeSet<OrderId> {
        for _ in 0..WAIT_MS / 10 {
            let quotes = maker_quotes(gateway, maker);
            if done(&quotes) {
                return quotes;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the bot never reached: {what}; quotes {:?}", maker_quotes(gateway, maker));
    }

    async fn set_mode(gateway: &Gateway, mode: TradingMode) {
        let outcome = gateway.submit(Command::SetMarketMode { market: MarketId(0), mode }).await.expect("the mode change commits");
        assert_eq!(talat_gateway::gateway::refusal(&outcome), None);
    }

    /// A halt freezes the book, so the bot's cancels are refused: those quotes must be cancelled
    /// once the market reopens, not forgotten. A bot started while the market is halted clears
    /// the quotes of the run before as soon as it can.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn quotes_refused_a_cancel_in_a_halt_are_cancelled_after_it_and_after_a_restart() {
        let ex = talat_api::testkit::TestExchange::start(Default::default(), 2, Default::default()).await;
        let gateway = Arc::clone(&ex.gateway);
        let (maker, taker) = (ex.users[0].user, ex.users[1].user);
        let btc = BotMarket { market: MarketId(0), reference: 350_000_000, price_step: 1, qty_step: 1, base_scale: 8 };
        let config = BotConfig { maker, taker, interval_ms: 20, levels: 3, markets: vec![btc], seed: 7 };
        let quoting = |q: &BTreeSet<OrderId>| q.len() == 6;

        let bot = tokio::spawn(run(Arc::clone(&gateway), config.clone()));
        until(&gateway, maker, "six quotes", quoting).await;
        set_mode(&gateway, TradingMode::Halted).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let frozen = maker_quotes(&gateway, maker);
        assert!(!frozen.is_empty(), "the halt froze some quotes");
        set_mode(&gateway, TradingMode::Open).await;
        until(&gateway, maker, "fresh quotes only after the halt", |q| quoting(q) && q.is_disjoint(&frozen)).await;

        // A restart into a halted market: the new run cannot clear the old quotes until it reopens.
        bot.abort();
        let _ = bot.await;
        until(&gateway, maker, "quotes left by the stopped run", |q| !q.is_empty()).await;
        // Read the book only once the halt has committed: a cancel the stopped run still had in
        // flight then either ran before the halt or is refused by it (reading before the halt
        // let such a cancel land after the read, and the comparison below failed).
        set_mode(&gateway, TradingMode::Halted).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let left = maker_quotes(&gateway, maker);
        assert!(!left.is_empty(), "the stopped run left quotes on the halted book");
        let bot = tokio::spawn(run(Arc::clone(&gateway), config));
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(maker_quotes(&gateway, maker), left, "a halted book stays as it was");
        set_mode(&gateway, TradingMode::Open).await;
        until(&gateway, maker, "the old run's quotes gone, fresh ones in", |q| quoting(q) && q.is_disjoint(&left)).await;
        bot.abort();
        ex.stop().await;
    }
}
