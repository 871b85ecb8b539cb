//! The read models against the engine itself: a seeded real command stream (every order type,
//! amends, cancels, stops, all STP modes, deposits, withdrawals, retries) is applied to an
//! engine and published to a `ReadModel` batch by batch; after every batch the read model's
//! books, balances, open orders and daily withdrawal budgets must equal the engine's. A read model that disagrees (or
//! panics, which would stop the sequencer) fails here first.

use talat_core::{Amount, Applied, AssetId, Command, Input, MarketId, Side, TierLimits, UserId, WithdrawalBudget};
use talat_engine::{Engine, EngineConfig};
use talat_gateway::read::ReadModel;
use talat_sequencer::workload::{Workload, WorkloadConfig};

fn check(engine: &Engine, read: &ReadModel, users: u32) {
    for m in 0..engine.market_count() {
        let market = read.market(MarketId(m)).expect("listed");
        let market = market.read();
        for side in [Side::Buy, Side::Sell] {
            let expected: Vec<(u64, u64)> = engine.depth(MarketId(m), side, usize::MAX).into_iter().map(|(p, q)| (p.0, q)).collect();
            let got: Vec<(u64, u64)> = market.levels(side, usize::MAX).into_iter().map(|(p, l)| (p, l.qty)).collect();
            assert_eq!(got, expected, "market {m} {side:?} levels after seq {}", engine.last_seq());
        }
        assert_eq!(market.last_price, engine.last_price(MarketId(m)).map(|p| p.0), "market {m} last price");
    }
    for u in 0..users {
        let user = UserId(u);
        for a in 0..engine.assets().len() {
            let e = engine.balance(user, AssetId(a as u16)).unwrap_or_default();
            let r = read.balance(user, AssetId(a as u16));
            assert_eq!((r.available, r.held), (e.available, e.held), "user {u} asset {a} after seq {}", engine.last_seq());
        }
        let mut expected: Vec<(u64, u64)> = engine.open_orders(user).iter().map(|o| (o.id.0, o.open_qty.0)).collect();
        expected.sort();
        let got: Vec<(u64, u64)> = read.open_orders(user, None).iter().map(|o| (o.id.0, o.open_qty)).collect();
        assert_eq!(got, expected, "user {u} open orders after seq {}", engine.last_seq());
    }
    let now_ms = engine.last_ts_ms();
    let today = talat_core::calendar::bangkok_days(now_ms) as u32;
    let mut budgets = 0;
    for (user, budget, (day, used)) in engine.withdrawal_budgets() {
        let view = read.withdrawal_budget(user, now_ms).unwrap_or_else(|| panic!("user {} has a budget the read model lacks", user.0));
        let used_today = if day == today { used } else { 0 };
        assert_eq!((view.daily, view.used_today), (budget.amount.0, used_today), "user {} budget after seq {}", user.0, engine.last_seq());
        budgets += 1;
    }
    assert_eq!((0..users).filter(|u| read.withdrawal_budget(UserId(*u), now_ms).is_some()).count(), budgets, "budgets the engine does not keep");
}

fn run(seed: u64, commands: usize, batch: usize) {
    let config = WorkloadConfig { seed, users: 40, markets: 3, target_live_per_market: 300 };
    let users = config.users;
    let mut workload = Workload::new(config);
    let mut engine = Engine::new(EngineConfig { check_invariants_every_command: false, ..EngineConfig::default() });
    let read = ReadModel::from_engine(&engine);
    let mut seq = 0u64;
    let mut apply = |engine: &mut Engine, workload: &mut Workload, command, out: &mut Vec<Applied>| {
        seq += 1;
        let input = Input { seq, ts_ms: 1_700_000_000_000 + seq, command };
        let mut events = Vec::new();
        engine.apply(&input, &mut events);
        workload.observe(&events);
        out.push(Applied { input, events });
    };
    let mut pending = Vec::new();
    for command in workload.setup() {
        apply(&mut engine, &mut workload, command, &mut pending);
    }
    // Every other user gets a daily budget valued in the first market's quote asset, small
    // enough that some withdrawals are refused and releases give value back.
    let quote_code = engine.market_spec(MarketId(0)).expect("the workload lists markets").quote.clone();
    let quote = AssetId(engine.assets().iter().position(|a| a.code == quote_code).expect("the quote asset is listed") as u16);
    for u in (0..users).step_by(2) {
        let limits = TierLimits { can_trade: true, daily_withdrawal: Some(WithdrawalBudget { valued_in: quote, amount: Amount(3_000_000) }) };
        apply(&mut engine, &mut workload, Command::SetTierLimits { user: UserId(u), limits }, &mut pending);
    }
    read.apply_batch(&std::mem::take(&mut pending));
    check(&engine, &read, users);
    let mut done = 0;
    while done < commands {
        for _ in 0..batch {
            let command = workload.next_command();
            apply(&mut engine, &mut workload, command, &mut pending);
        }
        done += batch;
        read.apply_batch(&std::mem::take(&mut pending));
        check(&engine, &read, users);
    }
    let charged = (0..users).filter(|u| read.withdrawal_budget(UserId(*u), engine.last_ts_ms()).is_some_and(|b| b.used_today > 0)).count();
    assert!(charged > 0, "no withdrawal was charged to a budget: the check above compared nothing");
    // A read model built from the engine's state now equals the one kept by events.
    let rebuilt = ReadModel::from_engine(&engine);
    check(&engine, &rebuilt, users);
}

#[test]
fn the_read_model_follows_the_engine_command_by_command() {
    run(7, 6_000, 1);
}

#[test]
fn the_read_model_follows_the_engine_in_batches() {
    for seed in [1, 2, 3] {
        run(seed, 20_000, 97);
    }
}
