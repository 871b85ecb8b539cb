//! Manipulations injected into the background, one script per typology, each with the label
//! the scoring compares alerts with: the typology, the accounts that manipulated, and when.
//!
//! **Adding a typology** (for a compliance officer with a developer at hand): write a script —
//! a struct with a `phase` counter whose `step` places, amends or cancels orders through the
//! [`Sim`] and says when it wants to act next — add a [`Kind`] variant and a line in
//! `Kind::build`, and schedule it in `eval::schedule`. The script's label says which accounts a
//! correct alert names and the window it must fall in; the scoring does the rest.

use super::sim::{Sim, ALT, TICK};
use crate::alert::DetectorKind;
use crate::LinkKind;
use talat_core::{OrderId, Side, TimeInForce, UserId};

/// What a correct alert must match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub kind: DetectorKind,
    /// Empty for a market-wide typology (an abnormal move).
    pub accounts: Vec<UserId>,
    pub from_ts_ms: u64,
    pub to_ts_ms: u64,
}

/// One injected manipulation in progress.
pub struct Script {
    pub kind: DetectorKind,
    pub accounts: Vec<UserId>,
    pub start_ts_ms: u64,
    /// When it acts next; `None` when it is done.
    pub next_ts_ms: Option<u64>,
    pub last_ts_ms: u64,
    phase: u32,
    orders: Vec<OrderId>,
    /// A price the script fixed at one step for the next.
    price: u64,
    pub body: Body,
}

pub enum Body {
    SelfMatch,
    Wash,
    Circular,
    Spoof { levels: u64 },
    OrderToTrade,
    Pump,
    MarkingClose,
    StaffFrontRunning { client: UserId },
    ListingFrontRunning { announce_ts_ms: u64 },
    Drift { total_ticks: i64, seconds: u64, applied_ticks: i64 },
}

const SECOND: u64 = 1_000;
const MINUTE: u64 = 60 * SECOND;

impl Script {
    pub fn new(kind: DetectorKind, accounts: Vec<UserId>, start_ts_ms: u64, body: Body) -> Script {
        Script { kind, accounts, start_ts_ms, next_ts_ms: Some(start_ts_ms), last_ts_ms: start_ts_ms, phase: 0, orders: Vec::new(), price: 0, body }
    }

    pub fn label(&self) -> Label {
        let to = match self.body {
            // A move stays abnormal for a day after it, against the price a day earlier.
            Body::Drift { .. } => self.last_ts_ms + 24 * 60 * MINUTE,
            _ => self.last_ts_ms,
        };
        let accounts = if matches!(self.body, Body::Drift { .. }) { Vec::new() } else { self.accounts.clone() };
        Label { kind: self.kind, accounts, from_ts_ms: self.start_ts_ms, to_ts_ms: to }
    }

    /// Runs the step due at the simulation's current time.
    pub fn step(&mut self, sim: &mut Sim) {
        self.last_ts_ms = sim.ts_ms;
        let phase = self.phase;
        self.phase += 1;
        let next = match &mut self.body {
            Body::SelfMatch => self_match(sim, &self.accounts, phase, &mut self.orders, &mut self.price),
            Body::Wash => wash(sim, &self.accounts, &mut self.phase),
            Body::Circular => circular(sim, &self.accounts, &mut self.phase),
            Body::Spoof { levels } => spoof(sim, self.accounts[0], *levels, phase, &mut self.orders),
            Body::OrderToTrade => order_to_trade(sim, self.accounts[0], phase, &mut self.orders),
            Body::Pump => pump(sim, &self.accounts, phase),
            Body::MarkingClose => marking_close(sim, self.accounts[0], phase),
            Body::StaffFrontRunning { client } => staff_front_running(sim, self.accounts[0], *client, phase),
            Body::ListingFrontRunning { announce_ts_ms } => listing(sim, self.accounts[0], *announce_ts_ms, phase),
            Body::Drift { total_ticks, seconds, applied_ticks } => drift(sim, *total_ticks, *seconds, applied_ticks, phase),
        };
        self.next_ts_ms = next.map(|delay_ms| sim.ts_ms + delay_ms.max(1));
    }
}

/// The price strictly inside the spread nearest the fair price, for trades meant to match
/// each other and nothing else; none when the spread is a single tick.
fn inside_price(sim: &Sim) -> Option<u64> {
    let bid = sim.best(Side::Buy).unwrap_or(sim.fair - 2 * TICK);
    let ask = sim.best(Side::Sell).unwrap_or(sim.fair + 2 * TICK);
    (ask > bid + TICK).then(|| (bid + TICK).max(sim.fair.min(ask - TICK)))
}

/// Sends a buy into the account's own resting sell, twice; self-trade prevention stops both.
fn self_match(sim: &mut Sim, accounts: &[UserId], phase: u32, orders: &mut Vec<OrderId>, price: &mut u64) -> Option<u64> {
    let user = accounts[0];
    let size = 10 * ALT / 100;
    match phase % 3 {
        0 => {
            *price = inside_price(sim).unwrap_or(sim.fair);
            orders.extend(sim.limit(user, Side::Sell, *price, size, TimeInForce::Gtc));
            Some(200)
        }
        1 => {
            sim.limit(user, Side::Buy, *price, size, TimeInForce::Ioc);
            Some(200)
        }
        _ => {
            for order in orders.drain(..) {
                sim.cancel(user, order);
            }
            (phase < 5).then_some(20 * SECOND)
        }
    }
}

/// One linked account sells to the other at a price inside the spread, and back: three round
/// trips a minute apart.
fn wash(sim: &mut Sim, accounts: &[UserId], phase: &mut u32) -> Option<u64> {
    // `phase` counts the steps begun (this one included); a step that could not trade is undone.
    if *phase == 1 {
        sim.monitor.links_mut().add(accounts[0], LinkKind::Device, format!("device-{}", accounts[0].0));
        sim.monitor.links_mut().add(accounts[1], LinkKind::Device, format!("device-{}", accounts[0].0));
    }
    let (seller, buyer) = if (*phase - 1).is_multiple_of(2) { (accounts[0], accounts[1]) } else { (accounts[1], accounts[0]) };
    if !cross(sim, seller, buyer, 50 * ALT / 100) {
        *phase -= 1;
        return Some(SECOND);
    }
    (*phase < 6).then_some(MINUTE)
}

/// The seller rests an order inside the spread and the buyer takes it at once (nothing can
/// come between: both happen at the same instant). False when the spread is one tick wide:
/// there is no price between, so the pair waits.
fn cross(sim: &mut Sim, seller: UserId, buyer: UserId, size: u64) -> bool {
    let price = inside_price(sim);
    let Some(price) = price else { return false };
    if let Some(order) = sim.limit(seller, Side::Sell, price, size, TimeInForce::Gtc) {
        sim.limit(buyer, Side::Buy, price, size, TimeInForce::Ioc);
        sim.cancel(seller, order);
    }
    true
}

/// A → B → C → A, three laps, a leg every three minutes.
fn circular(sim: &mut Sim, accounts: &[UserId], phase: &mut u32) -> Option<u64> {
    let leg = *phase as usize - 1;
    if !cross(sim, accounts[leg % 3], accounts[(leg + 1) % 3], 40 * ALT / 100) {
        *phase -= 1;
        return Some(SECOND);
    }
    (leg < 8).then_some(3 * MINUTE)
}

/// Large sells behind the best ask on `levels` levels, a small buy that fills, and the sells
/// cancelled within two seconds; four episodes two minutes apart.
fn spoof(sim: &mut Sim, user: UserId, levels: u64, phase: u32, orders: &mut Vec<OrderId>) -> Option<u64> {
    match phase % 3 {
        0 => {
            let ask = sim.best(Side::Sell).unwrap_or(sim.fair + 2 * TICK);
            let depth = sim.depth(Side::Sell, 5).max(10 * ALT);
            for level in 1..=levels {
                orders.extend(sim.limit(user, Side::Sell, ask + level * TICK, depth / levels, TimeInForce::Gtc));
            }
            Some(SECOND)
        }
        1 => {
            let ask = sim.best(Side::Sell).unwrap_or(sim.fair);
            sim.limit(user, Side::Buy, ask, 5 * ALT / 100, TimeInForce::Ioc);
            Some(800)
        }
        _ => {
            for order in orders.drain(..) {
                sim.cancel(user, order);
            }
            (phase < 11).then_some(2 * MINUTE)
        }
    }
}

/// Orders far from the market, each cancelled two seconds later, every five seconds for 50
/// minutes; one small trade.
fn order_to_trade(sim: &mut Sim, user: UserId, phase: u32, orders: &mut Vec<OrderId>) -> Option<u64> {
    if phase == 0 {
        sim.market_order(user, Side::Buy, 5 * ALT / 100);
    }
    if phase.is_multiple_of(2) {
        let price = sim.fair * 92 / 100;
        orders.extend(sim.limit(user, Side::Buy, price, 10 * ALT / 100, TimeInForce::Gtc));
        Some(2 * SECOND)
    } else {
        for order in orders.drain(..) {
            sim.cancel(user, order);
        }
        (phase < 1_199).then_some(3 * SECOND)
    }
}

/// A group buys with market orders for 90 s while the price is pushed up 0.06 % a second,
/// then sells for 90 s as it falls back.
fn pump(sim: &mut Sim, accounts: &[UserId], phase: u32) -> Option<u64> {
    let user = accounts[phase as usize % accounts.len()];
    let size = 3 * ALT + sim.rng.below(3 * ALT);
    if phase < 90 {
        sim.fair += 6 * TICK;
        sim.market_order(user, Side::Buy, size);
    } else {
        sim.fair = sim.fair.saturating_sub(6 * TICK);
        sim.market_order(user, Side::Sell, size);
    }
    (phase < 179).then_some(SECOND)
}

/// In the five minutes before midnight, market buys of 3 ALT every ten seconds while the price
/// is pushed up 0.1 % each time; it falls back after midnight.
fn marking_close(sim: &mut Sim, user: UserId, phase: u32) -> Option<u64> {
    if phase < 28 {
        sim.fair += 10 * TICK;
        sim.market_order(user, Side::Buy, 3 * ALT);
        Some(10 * SECOND)
    } else if phase < 56 {
        sim.fair = sim.fair.saturating_sub(10 * TICK);
        Some(10 * SECOND)
    } else {
        None
    }
}

/// A staff-linked account buys 300 ms before a client's market buy of 100 ALT.
fn staff_front_running(sim: &mut Sim, staff: UserId, client: UserId, phase: u32) -> Option<u64> {
    if phase == 0 {
        let ask = sim.best(Side::Sell).unwrap_or(sim.fair);
        sim.limit(staff, Side::Buy, ask, 10 * ALT / 100, TimeInForce::Ioc);
        Some(300)
    } else {
        sim.market_order(client, Side::Buy, 100 * ALT);
        None
    }
}

/// A staff-linked account accumulates for 20 hours, the listing is announced, and it sells.
fn listing(sim: &mut Sim, insider: UserId, announce_ts_ms: u64, phase: u32) -> Option<u64> {
    const BUYS: u32 = 80;
    if phase < BUYS {
        sim.market_order(insider, Side::Buy, 50 * ALT / 100);
        let left = announce_ts_ms.saturating_sub(sim.ts_ms);
        return Some((left / u64::from(BUYS - phase)).max(SECOND));
    }
    if phase == BUYS {
        let ts = sim.ts_ms;
        let mut alerts = sim.monitor.announce_listing("ALT", ts).unwrap_or_default();
        sim.alerts.append(&mut alerts);
        return Some(10 * MINUTE);
    }
    sim.market_order(insider, Side::Sell, 50 * ALT / 100);
    (phase < 2 * BUYS).then_some(MINUTE)
}

/// The fair price drifts by `total_ticks` over `seconds`, a little each second.
fn drift(sim: &mut Sim, total_ticks: i64, seconds: u64, applied: &mut i64, phase: u32) -> Option<u64> {
    let target = total_ticks * i64::from(phase + 1) / seconds as i64;
    let step = target - *applied;
    *applied = target;
    sim.fair = (sim.fair as i64 + step * TICK as i64).max(100 * TICK as i64) as u64;
    (u64::from(phase) + 1 < seconds).then_some(SECOND)
}
