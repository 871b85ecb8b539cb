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
    // Quotes left by an earlier run of the bot are cleared once.
    for m in &config.markets {
        submit(&gateway, Command::CancelAll { user: config.maker, market: Some(m.market) }).await;
    }
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
            requote(&gateway, &config, m, references[i], &mut rng, &mut live[i]).await;
        }
    }
}

/// Submits and returns the id of the order it created, if any. The bot never retries: a
/// refused or shed command is just skipped this tick.
async fn submit(gateway: &Gateway, command: Command) -> Option<OrderId> {
    match gateway.submit(command).await {
        Ok(outcome) => outcome.events.iter().find_map(|e| match e {
            Event::OrderRested { order, .. } => Some(*order),
            _ => None,
        }),
        Err(error) => {
            tracing::debug!(%error, "liquidity bot command not applied");
            None
        }
    }
}

/// Places the new quotes first and only then cancels the previous ones, so the book is never
/// empty between two ticks.
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
        submit(gateway, Command::CancelOrder { user: config.maker, order }).await;
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
