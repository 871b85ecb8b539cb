//! Property tests on random command streams: the engine's fills equal those of a naive
//! reference matcher, every invariant holds after every command (the engine checks itself after
//! each command in test builds), snapshot → restore → continue equals never snapshotting,
//! look-ahead hints change nothing, and arbitrary commands never panic.

mod support;
use proptest::prelude::*;
use support::*;
use talat_core::*;
use talat_engine::Engine;

// ---------------------------------------------------------------- the reference matcher ----

/// An obviously correct matcher: a flat list of resting orders scanned in full for the best
/// price and the oldest priority. No fees or balances (the ledger invariants cover those).
#[derive(Clone, Debug)]
struct RefOrder {
    id: u64,
    group: u32,
    side: Side,
    price: u64,
    open: u64,
    priority: u64,
    post_only: bool,
    stp: StpMode,
    stop: u64,
    budget: u64,
    cum_scaled: u128,
}

struct RefMarket {
    resting: Vec<RefOrder>,
    stops: Vec<RefOrder>,
    last: Option<u64>,
    opening: Option<u64>,
    band_bps: u64,
    mode: TradingMode,
    qty_step: u64,
    divisor: u128,
}

struct Reference {
    markets: Vec<RefMarket>,
    groups: Vec<u32>,
    next_priority: u64,
    trades: Vec<(u64, u64, u64, u64)>,
}

impl RefMarket {
    fn best_maker(&self, taker_side: Side) -> Option<usize> {
        let mut best: Option<usize> = None;
        for (i, o) in self.resting.iter().enumerate() {
            if o.side == taker_side {
                continue;
            }
            let better = match best.map(|b| &self.resting[b]) {
                None => true,
                Some(b) if o.price != b.price => (o.side == Side::Sell) == (o.price < b.price),
                Some(b) => o.priority < b.priority,
            };
            if better {
                best = Some(i);
            }
        }
        best
    }

    fn band_edge(&self, side: Side) -> Option<u64> {
        let reference = self.last.or(self.opening)? as u128;
        if self.band_bps == 0 {
            return None;
        }
        Some(match side {
            Side::Buy => (reference * (10_000 + self.band_bps as u128) / 10_000) as u64,
            Side::Sell => (reference * (10_000 - self.band_bps as u128)).div_ceil(10_000) as u64,
        })
    }
}

impl Reference {
    fn is_market_buy(o: &RefOrder) -> bool {
        o.side == Side::Buy && o.price == 0
    }

    fn settled(o: &RefOrder, divisor: u128) -> u64 {
        o.cum_scaled.div_ceil(divisor) as u64
    }

    /// Matches `taker` in market `mi`; returns the taker with what is left and whether self-trade
    /// prevention expired it.
    fn matching(&mut self, mi: usize, mut taker: RefOrder) -> (RefOrder, bool) {
        if self.markets[mi].mode != TradingMode::Open {
            return (taker, false);
        }
        let bound = if taker.price > 0 { Some(taker.price) } else { self.markets[mi].band_edge(taker.side) };
        loop {
            let m = &mut self.markets[mi];
            let Some(i) = m.best_maker(taker.side) else { return (taker, false) };
            let price = m.resting[i].price;
            let acceptable = match (taker.side, bound) {
                (_, None) => true,
                (Side::Buy, Some(b)) => price <= b,
                (Side::Sell, Some(b)) => price >= b,
            };
            if !acceptable {
                return (taker, false);
            }
            let want = if Reference::is_market_buy(&taker) {
                let room = taker.budget as u128 * m.divisor - taker.cum_scaled;
                let q = (room / price as u128) as u64;
                q - q % m.qty_step
            } else {
                taker.open
            };
            if want == 0 {
                return (taker, false);
            }
            let q = want.min(m.resting[i].open);
            if m.resting[i].group == taker.group {
                match taker.stp {
                    StpMode::ExpireTaker => return (taker, true),
                    StpMode::ExpireMaker => {
                        m.resting.remove(i);
                    }
                    StpMode::ExpireBoth => {
                        m.resting.remove(i);
                        return (taker, true);
                    }
                    StpMode::Decrement => {
                        m.resting[i].open -= q;
                        if m.resting[i].open == 0 {
                            m.resting.remove(i);
                        }
                        let done = if Reference::is_market_buy(&taker) {
                            let value = (price as u128 * q as u128).div_ceil(m.divisor) as u64;
                            let left = taker.budget - Reference::settled(&taker, m.divisor);
                            taker.budget -= value.min(left);
                            taker.budget == Reference::settled(&taker, m.divisor)
                        } else {
                            taker.open -= q;
                            taker.open == 0
                        };
                        if done {
                            return (taker, true);
                        }
                    }
                }
                continue;
            }
            self.trades.push((m.resting[i].id, taker.id, price, q));
            m.last = Some(price);
            m.resting[i].open -= q;
            if m.resting[i].open == 0 {
                m.resting.remove(i);
            }
            if Reference::is_market_buy(&taker) {
                taker.cum_scaled += price as u128 * q as u128;
            } else {
                taker.open -= q;
            }
        }
    }

    fn take(&mut self, mi: usize, taker: RefOrder, rests: bool) {
        let (mut left, expired) = self.matching(mi, taker);
        if !expired && rests && left.price > 0 && left.open > 0 {
            left.priority = self.next_priority;
            self.next_priority += 1;
            self.markets[mi].resting.push(left);
        }
    }

    fn run_stops(&mut self, mi: usize) {
        loop {
            let m = &mut self.markets[mi];
            if m.mode != TradingMode::Open {
                return;
            }
            let Some(last) = m.last else { return };
            let buy = m.stops.iter().enumerate().filter(|(_, o)| o.side == Side::Buy && o.stop <= last).min_by_key(|(_, o)| (o.stop, o.id));
            let sell = m.stops.iter().enumerate().filter(|(_, o)| o.side == Side::Sell && o.stop >= last).min_by_key(|(_, o)| (u64::MAX - o.stop, o.id));
            let Some((i, _)) = buy.or(sell) else { return };
            let order = m.stops.remove(i);
            self.take(mi, order, true);
        }
    }

    fn fok_fillable(&self, mi: usize, taker: &RefOrder) -> bool {
        let m = &self.markets[mi];
        let mut makers: Vec<&RefOrder> = m.resting.iter().filter(|o| o.side != taker.side).collect();
        makers.sort_by_key(|o| (if o.side == Side::Sell { o.price } else { u64::MAX - o.price }, o.priority));
        let mut covered = 0;
        for o in makers {
            let acceptable = if taker.side == Side::Buy { o.price <= taker.price } else { o.price >= taker.price };
            if !acceptable {
                return false;
            }
            if o.group == taker.group {
                if taker.stp == StpMode::ExpireMaker {
                    continue;
                }
                return false;
            }
            covered += o.open;
            if covered >= taker.open {
                return true;
            }
        }
        false
    }

    /// Follows one command the engine applied, given the events it emitted.
    fn follow(&mut self, command: &Command, events: &[Event]) {
        let rejected = matches!(events.first(), Some(Event::Rejected { .. }) | Some(Event::Duplicate { .. }));
        match command {
            Command::PlaceOrder(new) if !rejected => {
                let mi = new.market.index();
                let id = events.iter().find_map(|e| if let Event::OrderAccepted { order, .. } = e { Some(order.0) } else { None }).unwrap();
                let mut o = RefOrder {
                    id,
                    group: self.groups[new.user.index()],
                    side: new.side,
                    price: 0,
                    open: 0,
                    priority: 0,
                    post_only: false,
                    stp: new.stp,
                    stop: 0,
                    budget: 0,
                    cum_scaled: 0,
                };
                match new.kind {
                    OrderKind::Limit { price, qty, tif } => {
                        (o.price, o.open, o.post_only) = (price.0, qty.0, tif == TimeInForce::PostOnly);
                        if tif == TimeInForce::Fok {
                            let killed = events.iter().any(|e| matches!(e, Event::OrderDone { reason: DoneReason::Killed, .. }));
                            assert_eq!(killed, !self.fok_fillable(mi, &o), "FOK decision differs from the reference");
                            if killed {
                                return;
                            }
                        }
                        self.take(mi, o, matches!(tif, TimeInForce::Gtc | TimeInForce::PostOnly));
                    }
                    OrderKind::Market { amount } => {
                        if new.side == Side::Buy {
                            o.budget = amount.0;
                        } else {
                            o.open = amount.0;
                        }
                        self.take(mi, o, false);
                    }
                    OrderKind::StopLimit { stop_price, price, qty } => {
                        (o.stop, o.price, o.open) = (stop_price.0, price.0, qty.0);
                        self.markets[mi].stops.push(o);
                    }
                }
                self.run_stops(mi);
            }
            Command::PlaceOrder(new) => {
                // Rejections that depend only on the book are checked independently.
                if let (OrderKind::Limit { price, tif: TimeInForce::PostOnly, .. }, Some(m)) = (new.kind, self.markets.get(new.market.index())) {
                    let crosses = m.resting.iter().any(|o| o.side != new.side && if new.side == Side::Buy { o.price <= price.0 } else { o.price >= price.0 });
                    if crosses && m.mode != TradingMode::CancelOnly && m.mode != TradingMode::Halted {
                        assert!(matches!(events[0], Event::Rejected { .. } | Event::Duplicate { .. }), "a crossing post-only was accepted");
                    }
                }
            }
            Command::AmendOrder { order, .. } if !rejected => {
                let Some((price, qty, kept_priority)) = events.iter().find_map(|e| match e {
                    Event::OrderAmended { price, qty, kept_priority, .. } => Some((price, qty, kept_priority)),
                    _ => None,
                }) else {
                    panic!("amend emitted {events:?}")
                };
                let mi = self.markets.iter().position(|m| m.resting.iter().any(|o| o.id == order.0)).expect("reference lost an amended order");
                let m = &mut self.markets[mi];
                let i = m.resting.iter().position(|o| o.id == order.0).expect("found above");
                if *kept_priority {
                    assert!(price.0 == m.resting[i].price && qty.0 <= m.resting[i].open, "kept priority wrongly");
                    m.resting[i].open = qty.0;
                } else {
                    let mut o = m.resting.remove(i);
                    (o.price, o.open) = (price.0, qty.0);
                    self.take(mi, o, true);
                    self.run_stops(mi);
                }
            }
            Command::CancelOrder { .. } | Command::CancelAll { .. } if !rejected => {
                for e in events {
                    if let Event::OrderDone { order, reason: DoneReason::Cancelled, .. } = e {
                        for m in &mut self.markets {
                            m.resting.retain(|o| o.id != order.0);
                            m.stops.retain(|o| o.id != order.0);
                        }
                    }
                }
            }
            Command::SetMarketMode { market, mode } if !rejected => self.markets[market.index()].mode = *mode,
            _ => {}
        }
    }
}

// ------------------------------------------------------------------ the command streams ----

const USERS: u32 = 5;
const PRICE_LEVELS: u64 = 21;
const MID_THB: u64 = 1_000_000;
const LOT: u64 = 10_000; // 0.0001 BTC, about 100 THB

fn price_strategy() -> impl Strategy<Value = Price> {
    prop_oneof![
        20 => (0..PRICE_LEVELS).prop_map(|i| Price((MID_THB - 10_000 + i * 1_000) * THB_1)),
        1 => Just(Price(MID_THB * 2 * THB_1)),          // outside the band
        1 => Just(Price(MID_THB * THB_1 + 1)),          // off no grid, but unusual
    ]
}

fn qty_strategy() -> impl Strategy<Value = Qty> {
    prop_oneof![10 => (1u64..40).prop_map(|l| Qty(l * LOT)), 1 => Just(Qty(1)), 1 => Just(Qty(0))]
}

fn stp_strategy() -> impl Strategy<Value = StpMode> {
    prop_oneof![Just(StpMode::ExpireTaker), Just(StpMode::ExpireMaker), Just(StpMode::ExpireBoth), Just(StpMode::Decrement)]
}

fn tif_strategy() -> impl Strategy<Value = TimeInForce> {
    prop_oneof![6 => Just(TimeInForce::Gtc), 2 => Just(TimeInForce::Ioc), 1 => Just(TimeInForce::Fok), 2 => Just(TimeInForce::PostOnly)]
}

fn kind_strategy() -> impl Strategy<Value = OrderKind> {
    prop_oneof![
        12 => (price_strategy(), qty_strategy(), tif_strategy()).prop_map(|(price, qty, tif)| OrderKind::Limit { price, qty, tif }),
        2 => (1u64..2_000_000).prop_map(|a| OrderKind::Market { amount: Amount(a * 100) }),
        2 => (price_strategy(), price_strategy(), qty_strategy()).prop_map(|(stop_price, price, qty)| OrderKind::StopLimit { stop_price, price, qty }),
    ]
}

fn command_strategy() -> impl Strategy<Value = Command> {
    let user = (0..USERS).prop_map(UserId);
    let market = prop_oneof![5 => Just(BTC_THB), 2 => Just(ETH_THB), 1 => Just(MarketId(9))];
    let order_id = (1u64..120).prop_map(OrderId);
    prop_oneof![
        30 => (user.clone(), market.clone(), any::<bool>(), kind_strategy(), stp_strategy(), proptest::option::weighted(0.1, 0u8..4)).prop_map(
            |(user, market, buy, kind, stp, cid)| Command::PlaceOrder(NewOrder {
                user, market, side: if buy { Side::Buy } else { Side::Sell }, kind,
                client_id: cid.map(|c| ClientId(format!("c{c}"))), stp,
            })
        ),
        20 => (user.clone(), order_id.clone(), proptest::option::of(price_strategy()), proptest::option::of(qty_strategy()))
            .prop_map(|(user, order, price, qty)| Command::AmendOrder { user, order, price, qty }),
        6 => (user.clone(), order_id).prop_map(|(user, order)| Command::CancelOrder { user, order }),
        1 => (user.clone(), proptest::option::of(market.clone())).prop_map(|(user, market)| Command::CancelAll { user, market }),
        2 => (user.clone(), 0u16..3, 1u64..1_000_000_000, 0u8..50).prop_map(|(user, a, amount, id)| Command::Deposit {
            user, asset: AssetId(a), amount: Amount(amount), external_id: ExternalId(format!("d{id}")) }),
        2 => (user, 0u16..3, 1u64..100_000_000, 0u8..8).prop_map(|(user, a, amount, id)| Command::WithdrawalHold {
            user, asset: AssetId(a), amount: Amount(amount), fee: Amount(100), withdrawal_id: ExternalId(format!("w{id}")) }),
        1 => (0u8..8, any::<bool>()).prop_map(|(id, settle)| {
            let withdrawal_id = ExternalId(format!("w{id}"));
            if settle { Command::WithdrawalSettle { withdrawal_id } } else { Command::WithdrawalRelease { withdrawal_id } }
        }),
        1 => (market, prop_oneof![6 => Just(TradingMode::Open), 1 => Just(TradingMode::PostOnly), 1 => Just(TradingMode::CancelOnly), 1 => Just(TradingMode::Halted)])
            .prop_map(|(market, mode)| Command::SetMarketMode { market, mode }),
    ]
}

/// Users 0–4 funded (user 4 poorly, so balance rejections happen), users 2 and 3 linked.
fn setup() -> (Harness, Reference) {
    let mut h = Harness::with_markets(|m| m.opening_price = Some(Price(MID_THB * THB_1)));
    for u in 0..USERS {
        let user = h.user();
        let scale = if u == 4 { 1 } else { 1_000 };
        h.deposit(user, THB, 10_000 * THB_1 * scale);
        h.deposit(user, BTC, BTC_1 * scale / 100);
        h.deposit(user, ETH, BTC_1 * scale / 100);
    }
    h.ok(Command::LinkAccounts { a: UserId(2), b: UserId(3) });
    let market = |_| RefMarket {
        resting: Vec::new(),
        stops: Vec::new(),
        last: None,
        opening: Some(MID_THB * THB_1),
        band_bps: 2_000,
        mode: TradingMode::Open,
        qty_step: 1,
        divisor: 100_000_000,
    };
    let reference = Reference { markets: (0..2).map(market).collect(), groups: vec![0, 1, 2, 2, 4], next_priority: 0, trades: Vec::new() };
    (h, reference)
}

fn compare_books(h: &Harness, reference: &Reference) {
    let mut expected: Vec<(u64, u64)> = reference.markets.iter().flat_map(|m| m.resting.iter().chain(&m.stops).map(|o| (o.id, o.open))).collect();
    expected.sort();
    assert_eq!(h.engine.live_order_count(), expected.len(), "live order count differs from the reference");
    for (id, open) in expected {
        let o = h.engine.order(OrderId(id)).unwrap_or_else(|| panic!("order {id} missing from the engine"));
        assert_eq!(o.open_qty.0, open, "open quantity of order {id}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, max_shrink_iters: 2_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn fills_match_the_reference_and_invariants_hold(commands in proptest::collection::vec(command_strategy(), 1..120)) {
        let (mut h, mut reference) = setup();
        for command in &commands {
            let events = h.apply(command.clone());
            reference.trades.clear();
            reference.follow(command, &events);
            prop_assert_eq!(Harness::trades(&events).iter().map(|t| (t.0.0, t.1.0, t.2, t.3)).collect::<Vec<_>>(), reference.trades.clone(), "fills of {:?}", command);
            compare_books(&h, &reference);
        }
        h.engine.check_invariants().unwrap();
    }

    #[test]
    fn snapshot_restore_continue_equals_never_snapshotting(
        commands in proptest::collection::vec(command_strategy(), 2..100),
        cut in any::<prop::sample::Index>(),
    ) {
        let (mut straight, _) = setup();
        let (mut resumed, _) = setup();
        let cut = cut.index(commands.len());
        for (i, command) in commands.iter().enumerate() {
            if i == cut {
                let bytes = resumed.engine.snapshot();
                resumed.engine = Engine::restore(&bytes).unwrap();
                prop_assert_eq!(resumed.engine.snapshot(), bytes);
            }
            let a = straight.apply(command.clone());
            let b = resumed.apply(command.clone());
            prop_assert_eq!(a, b);
        }
        prop_assert_eq!(straight.engine.state_hash(), resumed.engine.state_hash());
    }

    /// Look-ahead hints, right or wrong (the commands' own, or arbitrary ones naming orders that
    /// do not exist), change no event and no state.
    #[test]
    fn lookahead_hints_change_nothing(
        commands in proptest::collection::vec(command_strategy(), 1..100),
        noise in proptest::collection::vec(arbitrary_command(), 1..8),
    ) {
        let (mut plain, _) = setup();
        let (mut hinted, _) = setup();
        for (i, command) in commands.iter().enumerate() {
            for far in commands.get(i + 2).into_iter().chain(noise.get(i % noise.len())) {
                hinted.engine.prefetch_upcoming(far);
            }
            for near in commands.get(i + 1).into_iter().chain(noise.get((i + 1) % noise.len())) {
                hinted.engine.prefetch_next(near);
            }
            prop_assert_eq!(plain.apply(command.clone()), hinted.apply(command.clone()));
        }
        prop_assert_eq!(plain.engine.state_hash(), hinted.engine.state_hash());
    }

    #[test]
    fn arbitrary_commands_never_panic(commands in proptest::collection::vec(arbitrary_command(), 1..60)) {
        let (mut h, _) = setup();
        for command in commands {
            h.apply(command);
        }
        h.engine.check_invariants().unwrap();
    }
}

/// Commands with unconstrained numbers and ids: nonsense must be rejected, never panic.
fn arbitrary_command() -> impl Strategy<Value = Command> {
    let n = any::<u64>();
    let uid = any::<u32>().prop_map(|u| UserId(u % 8));
    let side = any::<bool>().prop_map(|b| if b { Side::Buy } else { Side::Sell });
    let kind = prop_oneof![
        (n, n, tif_strategy()).prop_map(|(p, q, tif)| OrderKind::Limit { price: Price(p), qty: Qty(q), tif }),
        n.prop_map(|a| OrderKind::Market { amount: Amount(a) }),
        (n, n, n).prop_map(|(s, p, q)| OrderKind::StopLimit { stop_price: Price(s), price: Price(p), qty: Qty(q) }),
    ];
    prop_oneof![
        (uid.clone(), any::<u16>(), side, kind, stp_strategy(), ".{0,120}").prop_map(|(user, m, side, kind, stp, cid)| Command::PlaceOrder(NewOrder {
            user,
            market: MarketId(m % 4),
            side,
            kind,
            client_id: Some(ClientId(cid)),
            stp
        })),
        (uid.clone(), n, proptest::option::of(n), proptest::option::of(n)).prop_map(|(user, o, p, q)| Command::AmendOrder {
            user,
            order: OrderId(o % 64),
            price: p.map(Price),
            qty: q.map(Qty)
        }),
        (uid.clone(), n).prop_map(|(user, o)| Command::CancelOrder { user, order: OrderId(o % 64) }),
        (uid.clone(), any::<u16>(), n, ".{0,100}").prop_map(|(user, a, amount, id)| Command::Deposit {
            user,
            asset: AssetId(a % 5),
            amount: Amount(amount),
            external_id: ExternalId(id)
        }),
        (uid.clone(), any::<u16>(), n, n, ".{0,10}").prop_map(|(user, a, amount, fee, id)| Command::WithdrawalHold {
            user,
            asset: AssetId(a % 5),
            amount: Amount(amount),
            fee: Amount(fee),
            withdrawal_id: ExternalId(id)
        }),
        (uid.clone(), any::<u16>(), n, ".{0,10}").prop_map(|(user, a, amount, id)| Command::Compensate {
            user,
            asset: AssetId(a % 5),
            amount: Amount(amount),
            reference: ExternalId(id)
        }),
        (any::<u16>(), any::<u32>(), any::<u32>()).prop_map(|(m, a, b)| Command::SetFees { market: MarketId(m % 4), maker_fee_ppm: a, taker_fee_ppm: b }),
        (any::<u16>(), any::<u32>()).prop_map(|(m, b)| Command::SetBand { market: MarketId(m % 4), band_bps: b }),
        (uid.clone(), uid).prop_map(|(a, b)| Command::LinkAccounts { a, b }),
        ("[A-Z]{0,14}", any::<u8>()).prop_map(|(code, scale)| Command::ListAsset(AssetSpec { code, scale })),
        ("[A-Z]{1,5}", "[A-Z]{1,5}", any::<u8>(), n, n).prop_map(|(b, q, ps, step, qstep)| {
            let mut spec = MarketSpec::with_defaults(&b, &q, ps, step, qstep);
            spec.opening_price = Some(Price(step));
            Command::ListMarket(spec)
        }),
    ]
}
