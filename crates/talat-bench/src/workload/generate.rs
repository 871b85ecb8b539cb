//! The seeded generator: warm-up, then an exchange-core-like stream.
//!
//! Shape follows exchange-core's published benchmark workload (see
//! shared/reference/exchange-domain.md §9): one book of ~1,000 resting
//! orders over ~750 price levels around a stable mid, then 9 % GTC, 3 % IOC,
//! 6 % cancel and 82 % "move" (re-price a resting order), with ~6 % of ops
//! trading, sizes `1 + r(6)·r(6)·r(6)` lots and 1,000 accounts.

use super::model::ModelBook;
use super::{BookSpec, MarketOp, Op, Side, StreamStats, Tif, Workload};
use crate::rng::Rng;

/// Everything that determines a workload. Same config, same stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadConfig {
    pub name: String,
    pub seed: u64,
    pub markets: u32,
    pub accounts: u64,
    /// Orders placed per market during warm-up; also the size the stream
    /// keeps each book near.
    pub resting_per_market: usize,
    /// Passive prices are `mid ± (1 + r(half_width_ticks))`, so a book spans
    /// about `2 · half_width_ticks` levels.
    pub half_width_ticks: u64,
    pub mid_price_ticks: u64,
    pub stream_ops: usize,
    /// The op mix in basis points; amends take what is left of 10,000.
    pub gtc_bp: u64,
    pub ioc_bp: u64,
    pub cancel_bp: u64,
    /// Chance (basis points) that a GTC place, or a move, is priced at the
    /// best opposite price so that it trades. IOCs always aim at liquidity.
    pub gtc_cross_bp: u64,
    pub move_cross_bp: u64,
    /// Whether a crossing op may want more than the liquidity within its
    /// limit price (true: realistic; the excess rests or, for IOC, expires).
    /// False caps crossing places at that liquidity and keeps a move that
    /// would exceed it passive, so that an engine which ignores limit
    /// prices while matching (matchcore 0.4.0) still replays the stream
    /// exactly; the cost is a slightly lower trading share.
    pub sweep: bool,
}

impl WorkloadConfig {
    /// exchange-core's single-book workload.
    pub fn normal(seed: u64, stream_ops: usize) -> Self {
        Self {
            name: "normal".into(),
            seed,
            markets: 1,
            accounts: 1_000,
            resting_per_market: 1_000,
            // 1,000 orders dropped uniformly on 2 · 825 slots occupy ~750 of them.
            half_width_ticks: 825,
            mid_price_ticks: 1_000_000,
            stream_ops,
            gtc_bp: 900,
            ioc_bp: 300,
            cancel_bp: 600,
            gtc_cross_bp: 1_000,
            move_cross_bp: 200,
            sweep: true,
        }
    }

    /// A deep, many-account venue: 1,000,000 resting orders over 10 books
    /// (~10 orders a level) and 100,000 accounts, same op mix.
    pub fn large(seed: u64, stream_ops: usize) -> Self {
        Self { name: "large".into(), markets: 10, accounts: 100_000, resting_per_market: 100_000, half_width_ticks: 5_000, ..Self::normal(seed, stream_ops) }
    }
}

/// `1 + r(6)·r(6)·r(6)`: mostly tiny orders, a long tail up to 126 lots.
fn size(rng: &mut Rng) -> u64 {
    1 + rng.below(6) * rng.below(6) * rng.below(6)
}

fn random_side(rng: &mut Rng) -> Side {
    if rng.chance(1, 2) {
        Side::Buy
    } else {
        Side::Sell
    }
}

struct Gen<'a> {
    cfg: &'a WorkloadConfig,
    rng: Rng,
    books: Vec<ModelBook>,
    next_id: u64,
    min_price: u64,
    max_price: u64,
}

impl Gen<'_> {
    fn passive_price(&mut self, side: Side) -> u64 {
        let off = 1 + self.rng.below(self.cfg.half_width_ticks);
        match side {
            Side::Buy => self.cfg.mid_price_ticks - off,
            Side::Sell => self.cfg.mid_price_ticks + off,
        }
    }

    /// A price `through` ticks past the best opposite price, or `None` if
    /// the opposite side is empty.
    fn crossing_price(&self, market: usize, side: Side, through: u64) -> Option<u64> {
        let best = self.books[market].best_opposite(side)?;
        Some(match side {
            Side::Buy => best + through,
            Side::Sell => best.saturating_sub(through).max(1),
        })
    }

    fn note_price(&mut self, p: u64) {
        self.min_price = self.min_price.min(p);
        self.max_price = self.max_price.max(p);
    }

    fn new_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn account(&mut self) -> u64 {
        1 + self.rng.below(self.cfg.accounts)
    }

    /// A non-crossing GTC place (warm-up, and the non-crossing share of the stream).
    fn passive_place(&mut self) -> Op {
        let side = random_side(&mut self.rng);
        let price = self.passive_price(side);
        let (id, account, qty) = (self.new_id(), self.account(), size(&mut self.rng));
        Op::Place { id, account, side, price_ticks: price, qty_lots: qty, tif: Tif::Gtc }
    }

    fn place(&mut self, market: usize, tif: Tif) -> Op {
        let cross = match tif {
            Tif::Ioc => true,
            Tif::Gtc => self.rng.chance(self.cfg.gtc_cross_bp, 10_000),
        };
        if !cross && tif == Tif::Gtc {
            return self.passive_place();
        }
        let side = random_side(&mut self.rng);
        let through = self.rng.below(3);
        let crossing = self.crossing_price(market, side, through);
        let price = match crossing {
            Some(p) => p,
            // With nothing to trade against, an IOC is priced at mid: it is
            // still sent (engines must handle it) and simply expires.
            None if tif == Tif::Ioc => self.cfg.mid_price_ticks,
            None => self.passive_price(side),
        };
        let (id, account, mut qty) = (self.new_id(), self.account(), size(&mut self.rng));
        if crossing.is_some() && !self.cfg.sweep {
            // At least 1: a crossing price exists only over a non-empty side.
            qty = qty.min(self.books[market].available_within(side, price));
        }
        Op::Place { id, account, side, price_ticks: price, qty_lots: qty, tif }
    }

    fn cancel(&mut self, market: usize) -> Option<Op> {
        let (id, o) = self.books[market].pick_live(&mut self.rng)?;
        Some(Op::Cancel { id, account: o.account })
    }

    fn amend(&mut self, market: usize) -> Option<Op> {
        let (id, o) = self.books[market].pick_live(&mut self.rng)?;
        let crossing = if self.rng.chance(self.cfg.move_cross_bp, 10_000) {
            self.crossing_price(market, o.side, 0).filter(|&p| self.cfg.sweep || o.qty <= self.books[market].available_within(o.side, p))
        } else {
            None
        };
        let price = crossing.unwrap_or_else(|| {
            let p = self.passive_price(o.side);
            // A move must move: step one tick further from mid instead.
            match (p == o.price, o.side) {
                (false, _) => p,
                (true, Side::Buy) => p - 1,
                (true, Side::Sell) => p + 1,
            }
        });
        Some(Op::Amend { id, account: o.account, new_price_ticks: price, new_qty_lots: o.qty })
    }

    /// Runs `op` through the model; true if it traded.
    fn apply(&mut self, market: usize, op: &Op) -> bool {
        let book = &mut self.books[market];
        match *op {
            Op::Place { id, account, side, price_ticks, qty_lots, tif } => book.place(id, account, side, price_ticks, qty_lots, tif) > 0,
            Op::Cancel { id, .. } => {
                let was_live = book.cancel(id);
                debug_assert!(was_live);
                false
            }
            Op::Amend { id, new_price_ticks, new_qty_lots, .. } => {
                book.amend(id, new_price_ticks, new_qty_lots).expect("generator amends live orders only") > 0
            }
        }
    }
}

/// Generates the workload `cfg` describes. Deterministic: the same config
/// always yields the same ops, on any machine.
pub fn generate(cfg: &WorkloadConfig) -> Workload {
    assert!(cfg.markets > 0 && cfg.accounts > 0 && cfg.half_width_ticks > 0);
    assert!(cfg.mid_price_ticks > cfg.half_width_ticks + 3, "prices must stay positive");
    assert!(cfg.gtc_bp + cfg.ioc_bp + cfg.cancel_bp <= 10_000);
    let markets = cfg.markets as usize;
    let mut g = Gen { cfg, rng: Rng::new(cfg.seed), books: vec![ModelBook::new(); markets], next_id: 1, min_price: u64::MAX, max_price: 0 };

    // Warm-up: round-robin over markets, so ids interleave as live traffic would.
    let mut warmup = Vec::with_capacity(cfg.resting_per_market * markets);
    for _ in 0..cfg.resting_per_market {
        for m in 0..markets {
            let op = g.passive_place();
            let traded = g.apply(m, &op);
            debug_assert!(!traded, "warm-up must not trade");
            if let Op::Place { price_ticks, .. } = op {
                g.note_price(price_ticks);
            }
            warmup.push(MarketOp { market: m as u32, op });
        }
    }
    let after_warmup = sum_states(&g.books);

    let mut stats = StreamStats::default();
    let mut stream = Vec::with_capacity(cfg.stream_ops);
    for _ in 0..cfg.stream_ops {
        let m = g.rng.below(markets as u64) as usize;
        let roll = g.rng.below(10_000);
        let op = if roll < cfg.gtc_bp {
            g.place(m, Tif::Gtc)
        } else if roll < cfg.gtc_bp + cfg.ioc_bp {
            g.place(m, Tif::Ioc)
        } else if roll < cfg.gtc_bp + cfg.ioc_bp + cfg.cancel_bp {
            // Trades remove more orders than GTC minus cancel adds back, so
            // left alone the book would drain. Like exchange-core's
            // generator, steer it: below the target size a cancel becomes a
            // passive place with a chance proportional to the shortfall
            // (gain 20: a 5 % shortfall converts every cancel). The cost is
            // a mix a few points richer in GTC than nominal; the report
            // shows the mix actually generated.
            let live = g.books[m].len() as u64;
            let target = cfg.resting_per_market as u64;
            let shortfall = target.saturating_sub(live);
            if g.rng.below(target) < shortfall * 20 {
                g.passive_place()
            } else {
                // An empty book has nothing to cancel: place instead.
                g.cancel(m).unwrap_or_else(|| g.passive_place())
            }
        } else {
            g.amend(m).unwrap_or_else(|| g.passive_place())
        };
        match op {
            Op::Place { tif: Tif::Gtc, price_ticks, .. } => {
                stats.gtc += 1;
                g.note_price(price_ticks);
            }
            Op::Place { tif: Tif::Ioc, price_ticks, .. } => {
                stats.ioc += 1;
                g.note_price(price_ticks);
            }
            Op::Cancel { .. } => stats.cancel += 1,
            Op::Amend { new_price_ticks, .. } => {
                stats.amend += 1;
                g.note_price(new_price_ticks);
            }
        }
        if g.apply(m, &op) {
            stats.trading += 1;
        }
        stream.push(MarketOp { market: m as u32, op });
    }

    let spec = BookSpec {
        markets: cfg.markets,
        accounts: cfg.accounts,
        max_order_id: g.next_id - 1,
        resting_per_market: cfg.resting_per_market as u64,
        min_price_ticks: g.min_price.min(cfg.mid_price_ticks),
        max_price_ticks: g.max_price.max(cfg.mid_price_ticks),
        max_qty_lots: 126,
        mid_price_ticks: cfg.mid_price_ticks,
    };
    Workload { name: cfg.name.clone(), seed: cfg.seed, config: cfg.clone(), spec, warmup, stream, stats, after_warmup, after_stream: sum_states(&g.books) }
}

fn sum_states(books: &[ModelBook]) -> super::BookState {
    books.iter().map(ModelBook::state).fold(Default::default(), |mut acc, s| {
        acc.resting_orders += s.resting_orders;
        acc.bid_levels += s.bid_levels;
        acc.ask_levels += s.ask_levels;
        acc
    })
}
