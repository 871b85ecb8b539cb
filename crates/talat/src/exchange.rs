//! The demo exchange `talat serve` sets up in a fresh data directory: THB markets with
//! realistic steps, a market maker and a taker (the liquidity bot's two accounts), a demo
//! customer, and optionally funded load-test users. All of it is journaled commands, like
//! everything else that touches the ledger.

use serde::{Deserialize, Serialize};
use talat_core::{Amount, AssetId, AssetSpec, Command, Event, ExternalId, MarketSpec, Price, UserId};

const SATANG: u64 = 100;

/// One demo market: base code, base scale, price step (satang), quantity step (base units),
/// reference price (satang).
#[derive(Clone, Copy, Debug)]
pub struct DemoMarket {
    pub base: &'static str,
    pub base_scale: u8,
    pub price_step: u64,
    pub qty_step: u64,
    pub reference: u64,
}

pub const MARKETS: [DemoMarket; 9] = [
    DemoMarket { base: "BTC", base_scale: 8, price_step: 1, qty_step: 1, reference: 3_500_000 * SATANG },
    DemoMarket { base: "ETH", base_scale: 8, price_step: 1, qty_step: 1, reference: 120_000 * SATANG },
    DemoMarket { base: "USDT", base_scale: 6, price_step: 1, qty_step: 100, reference: 3_350 },
    DemoMarket { base: "XRP", base_scale: 6, price_step: 1, qty_step: 100, reference: 75 * SATANG },
    DemoMarket { base: "ADA", base_scale: 6, price_step: 1, qty_step: 100, reference: 30 * SATANG },
    DemoMarket { base: "DOGE", base_scale: 8, price_step: 1, qty_step: 1_000_000, reference: 8 * SATANG },
    DemoMarket { base: "SOL", base_scale: 8, price_step: 1, qty_step: 10_000, reference: 7_000 * SATANG },
    DemoMarket { base: "KUB", base_scale: 8, price_step: 1, qty_step: 10_000, reference: 45 * SATANG },
    // Last, so the markets before keep their ids: the coin the demo's own regtest chain carries.
    DemoMarket { base: "LTC", base_scale: 8, price_step: 1, qty_step: 10_000, reference: 3_000 * SATANG },
];

/// Who is who in a demo data directory (kept in `<data>/demo.json`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct DemoAccounts {
    pub maker: u32,
    pub taker: u32,
    pub customer: u32,
    pub load_first: u32,
    pub load_count: u32,
    /// The customer's API key and its secret sealed under the master key.
    pub customer_key: String,
    pub customer_secret_sealed: String,
    pub customer_secret_nonce: String,
}

/// Commands that list the demo assets and markets.
pub fn listing_commands() -> Vec<Command> {
    let mut commands = vec![Command::ListAsset(AssetSpec { code: "THB".into(), scale: 2 })];
    for m in MARKETS {
        commands.push(Command::ListAsset(AssetSpec { code: m.base.into(), scale: m.base_scale }));
    }
    for m in MARKETS {
        let mut spec = MarketSpec::with_defaults(m.base, "THB", 2, m.price_step, m.qty_step);
        spec.opening_price = Some(Price(m.reference));
        commands.push(Command::ListMarket(spec));
    }
    commands
}

/// Whole units of each base asset given to a funded account, by market index.
fn base_units(m: &DemoMarket, thb_value: u64) -> u64 {
    // Worth about `thb_value` THB at the reference price.
    ((thb_value as u128 * SATANG as u128 * 10u128.pow(m.base_scale as u32)) / m.reference as u128) as u64
}

pub fn deposit(user: UserId, asset: AssetId, units: u64, tag: &str) -> Command {
    Command::Deposit { user, asset, amount: Amount(units), external_id: ExternalId(format!("demo-{tag}-{}-{}", user.0, asset.0)) }
}

/// Funds `user` with `thb` THB and about `thb` THB worth of every base asset.
pub fn funding_commands(user: UserId, thb: u64, tag: &str) -> Vec<Command> {
    let mut commands = vec![deposit(user, AssetId(0), thb * SATANG, tag)];
    for (i, m) in MARKETS.iter().enumerate() {
        commands.push(deposit(user, AssetId(1 + i as u16), base_units(m, thb), tag));
    }
    commands
}

/// The user id a `CreateUser` outcome carries.
pub fn created_user(events: &[Event]) -> Option<UserId> {
    events.iter().find_map(|e| match e {
        Event::UserCreated { user } => Some(*user),
        _ => None,
    })
}
