//! Crypto withdrawals on a real chain (a regtest litecoind on loopback, scripts/custody-env):
//! with and without approval, each paid exactly once across a crash between signing and
//! broadcast and one between broadcast and settle (a new service over the same store stands
//! for the restarted process), and every refusal with its v4 code, changing nothing — a
//! destination a sanctions list names among them.

use std::sync::Arc;
use talat_api::testkit::TestExchange;
use talat_core::{Amount, AssetSpec, Command, ExternalId, MarketSpec, Price, TierLimits, UserId, WithdrawalBudget};
use talat_custody::network::NetworkConfig;
use talat_custody::regtest::{RegtestNode, RPC_USER};
use talat_custody::withdrawals::{Requester, WithdrawError};
use talat_custody::{Custody, CustodyConfig};
use talat_funds::crypto::CryptoWithdrawalStatus as S;
use talat_gateway::config::ApiConfig;
use talat_sequencer::SequencerConfig;
use talat_store::WhitelistRow;

const TEST_XPUB: &str = "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8";
const LTC: u64 = 100_000_000;
const DAY_MS: u64 = 86_400_000;

struct Rig {
    node: RegtestNode,
    exchange: TestExchange,
    config: CustodyConfig,
    custody: Custody,
    /// A whitelisted address of the customer's own wallet, past its cooling-off.
    destination: String,
    _dir: tempfile::TempDir,
}

impl Rig {
    /// `priced`: an LTC_THB market at 3,000 THB, so withdrawals have a THB value; approvals
    /// are automatic below 50,000 THB.
    async fn start(priced: bool) -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let node = RegtestNode::start(dir.path()).await.expect("litecoind starts (scripts/custody-env installs it)");
        let exchange = TestExchange::start(ApiConfig::default(), 2, SequencerConfig::default()).await;
        let gw = &exchange.gateway;
        let mut funds = talat_gateway::funds::Funds::default();
        funds.config.approval.auto_approve_below_satang = 50_000_00;
        gw.install_funds(funds).unwrap();
        gw.execute(Command::ListAsset(AssetSpec { code: "LTC".into(), scale: 8 })).await.unwrap();
        if priced {
            let mut spec = MarketSpec::with_defaults("LTC", "THB", 2, 1, 1);
            spec.opening_price = Some(Price(300_000));
            gw.execute(Command::ListMarket(spec)).await.unwrap();
        }
        let ltc = gw.read.asset_id("LTC").unwrap();
        for u in &exchange.users {
            gw.execute(Command::Deposit { user: u.user, asset: ltc, amount: Amount(5 * LTC), external_id: ExternalId(format!("seed-ltc-{}", u.user.0)) })
                .await
                .unwrap();
        }
        let network = NetworkConfig::litecoin(&node.rpc_url, RPC_USER, &node.rpc_password, TEST_XPUB, "rltc");
        let config = CustodyConfig { networks: vec![network] };
        let custody = Custody::new(&config, gw.store.clone().unwrap(), Arc::clone(gw)).unwrap();
        // The hot wallet gets 20 LTC in one confirmed output.
        let (_, hot) = custody.hot_signer(custody.network("LTC").unwrap()).await.unwrap();
        node.send(&hot, "20").await.unwrap();
        node.mine(1).await.unwrap();
        let destination = node.wallet_address().await.unwrap();
        let rig = Rig { node, exchange, config, custody, destination, _dir: dir };
        rig.whitelist(0, &rig.destination.clone(), rig.now() - 2 * DAY_MS).await;
        rig
    }

    fn now(&self) -> u64 {
        self.exchange.gateway.now_ms()
    }

    async fn whitelist(&self, i: usize, address: &str, added_ms: u64) {
        let row = WhitelistRow { user_id: u64::from(self.user(i).0), network: "LTC".into(), address: address.into(), label: "mine".into(), added_ms };
        assert!(self.exchange.gateway.store.as_ref().unwrap().add_custody_whitelist(&row).await.unwrap());
    }

    fn user(&self, i: usize) -> UserId {
        self.exchange.users[i].user
    }

    fn who(&self, i: usize) -> Requester {
        Requester { user: self.user(i), email: format!("customer{i}@example.com"), account_locked: false, second_factor_ok: true, source: "test".into() }
    }

    /// (available, held) LTC of user `i`.
    fn ltc(&self, i: usize) -> (u64, u64) {
        let read = &self.exchange.gateway.read;
        let b = read.balance(self.user(i), read.asset_id("LTC").unwrap());
        (b.available, b.held)
    }

    /// The service as a restarted process builds it: same store, same node, nothing in memory.
    fn restarted(&self) -> Custody {
        Custody::new(&self.config, self.exchange.gateway.store.clone().unwrap(), Arc::clone(&self.exchange.gateway)).unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawal_below_the_threshold_is_sent_confirmed_and_settled() {
    let rig = Rig::start(true).await;
    let w = rig.custody.request_withdrawal(&rig.who(0), "LTC", &rig.destination, LTC).await.unwrap();
    assert_eq!((w.status.as_str(), w.approvals_needed, w.fee_units), ("approved", 0, 100_000), "3,000 THB needs nobody: {w:?}");
    assert_eq!(rig.ltc(0), (4 * LTC, LTC), "the engine holds amount and fee");

    assert_eq!(rig.custody.process_withdrawals("LTC").await.unwrap(), 0);
    let w = rig.custody.withdrawal(&w.id).await.unwrap();
    assert_eq!(w.status, "broadcast");
    let txid = w.txid.clone().unwrap();
    rig.node.mine(2).await.unwrap();
    assert_eq!(rig.custody.process_withdrawals("LTC").await.unwrap(), 0, "two confirmations of three");
    assert_eq!(rig.custody.withdrawal(&w.id).await.unwrap().confirmations, 2);
    rig.node.mine(1).await.unwrap();
    assert_eq!(rig.custody.process_withdrawals("LTC").await.unwrap(), 1);
    let w = rig.custody.withdrawal(&w.id).await.unwrap();
    assert_eq!((w.status.as_str(), w.txid.as_deref()), ("completed", Some(txid.as_str())));
    assert!(w.completed_ms.is_some());
    assert_eq!(rig.ltc(0), (4 * LTC, 0), "settled: the hold left the customer's balance");
    assert_eq!(rig.node.received(&rig.destination, 1).await.unwrap(), LTC - 100_000, "the address received the amount less the fee, once");
    assert_eq!(rig.custody.process_withdrawals("LTC").await.unwrap(), 0, "nothing settles twice");
    rig.exchange.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawal_without_a_price_waits_for_an_approver() {
    let rig = Rig::start(false).await;
    let w = rig.custody.request_withdrawal(&rig.who(0), "LTC", &rig.destination, 2 * LTC).await.unwrap();
    assert_eq!((w.status.as_str(), w.approvals_needed), ("awaiting_approval", 1), "a value that cannot be priced needs an approver");
    rig.custody.process_withdrawals("LTC").await.unwrap();
    assert_eq!(rig.custody.withdrawal(&w.id).await.unwrap().status, "awaiting_approval", "nothing is signed before approval");
    assert!(matches!(rig.custody.sign_withdrawal(&w.id).await, Err(WithdrawError::Conflict(_))));

    let approved = rig.custody.approve_withdrawal(&w.id, 7, "ops@talat.local").await.unwrap();
    assert_eq!(approved.status, "approved");
    assert!(matches!(rig.custody.approve_withdrawal(&w.id, 7, "ops@talat.local").await, Err(WithdrawError::Conflict(_))));
    rig.custody.process_withdrawals("LTC").await.unwrap();
    rig.node.mine(3).await.unwrap();
    assert_eq!(rig.custody.process_withdrawals("LTC").await.unwrap(), 1);
    assert_eq!(rig.node.received(&rig.destination, 1).await.unwrap(), 2 * LTC - 100_000);

    // A second one, rejected by staff: the hold goes back.
    let w2 = rig.custody.request_withdrawal(&rig.who(0), "LTC", &rig.destination, LTC).await.unwrap();
    assert_eq!(rig.ltc(0), (2 * LTC, LTC));
    let rejected = rig.custody.stop_withdrawal(&w2.id, S::Rejected, "destination under review").await.unwrap();
    assert_eq!((rejected.status.as_str(), rejected.reason.as_deref()), ("rejected", Some("destination under review")));
    assert_eq!(rig.ltc(0), (3 * LTC, 0));
    rig.exchange.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_signing_and_broadcast_pays_once() {
    let rig = Rig::start(true).await;
    let w = rig.custody.request_withdrawal(&rig.who(0), "LTC", &rig.destination, LTC).await.unwrap();
    let signed = rig.custody.sign_withdrawal(&w.id).await.unwrap();
    assert_eq!(signed.status, "signed");
    let txid = signed.txid.clone().unwrap();
    // The process dies here: signed and recorded, never sent.
    let after = rig.restarted();
    assert!(matches!(after.sign_withdrawal(&w.id).await, Err(WithdrawError::Conflict(_))), "a signed withdrawal is never signed again");
    after.process_withdrawals("LTC").await.unwrap();
    let w = after.withdrawal(&w.id).await.unwrap();
    assert_eq!((w.status.as_str(), w.txid.as_deref()), ("broadcast", Some(txid.as_str())), "the recorded bytes went out");
    // And again, as a second restart would: the node already has it.
    after.broadcast_withdrawal(&w.id).await.unwrap();
    rig.node.mine(3).await.unwrap();
    assert_eq!(after.process_withdrawals("LTC").await.unwrap(), 1);
    assert_eq!(rig.node.received(&rig.destination, 1).await.unwrap(), LTC - 100_000, "paid exactly once");
    assert_eq!(rig.ltc(0), (4 * LTC, 0));
    rig.exchange.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_broadcast_and_settle_settles_once() {
    let rig = Rig::start(true).await;
    let w = rig.custody.request_withdrawal(&rig.who(0), "LTC", &rig.destination, LTC).await.unwrap();
    rig.custody.sign_withdrawal(&w.id).await.unwrap();
    rig.custody.broadcast_withdrawal(&w.id).await.unwrap();
    rig.node.mine(3).await.unwrap();
    // The process dies here: sent and confirmed, not settled.
    let after = rig.restarted();
    assert_eq!(after.process_withdrawals("LTC").await.unwrap(), 1);
    assert_eq!(after.process_withdrawals("LTC").await.unwrap(), 0);
    assert_eq!(rig.custody.process_withdrawals("LTC").await.unwrap(), 0, "the old instance, had it survived, settles nothing twice");
    assert_eq!(rig.node.received(&rig.destination, 1).await.unwrap(), LTC - 100_000, "paid exactly once");
    assert_eq!(rig.ltc(0), (4 * LTC, 0), "settled once");
    rig.exchange.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_carry_their_v4_codes_and_change_nothing() {
    let rig = Rig::start(true).await;
    let fresh = rig.node.wallet_address().await.unwrap();
    rig.whitelist(0, &fresh, rig.now()).await;
    let unlisted = rig.node.wallet_address().await.unwrap();
    let mainnet = talat_custody::keys::AddressBook::new(TEST_XPUB, "ltc").unwrap().address(0).unwrap();
    let mut no_2fa = rig.who(0);
    no_2fa.second_factor_ok = false;
    let cases: Vec<(Requester, String, u64, &str)> = vec![
        (no_2fa, rig.destination.clone(), LTC, "A1001-CW"),
        (rig.who(0), unlisted, LTC, "B1014-CW"),
        (rig.who(0), fresh, LTC, "B1012-CW"),
        (rig.who(0), mainnet, LTC, "V1006-CW"),
        (rig.who(0), "rltc1notanaddress".into(), LTC, "V1006-CW"),
        (rig.who(0), rig.destination.clone(), 50_000, "V1006-CW"),
        (rig.who(0), rig.destination.clone(), 6 * LTC, "B1003-CW"),
    ];
    for (who, address, amount, code) in cases {
        let e = rig.custody.request_withdrawal(&who, "LTC", &address, amount).await.unwrap_err();
        assert_eq!(e.v4().0, code, "{address} {amount}: {e}");
    }
    // The THB-equivalent daily budget: 100 THB a day cannot take 1 LTC (3,000 THB).
    let thb = rig.exchange.gateway.read.asset_id("THB").unwrap();
    let limits = TierLimits { can_trade: true, daily_withdrawal: Some(WithdrawalBudget { valued_in: thb, amount: Amount(100_00) }) };
    rig.exchange.gateway.execute(Command::SetTierLimits { user: rig.user(0), limits }).await.unwrap();
    let e = rig.custody.request_withdrawal(&rig.who(0), "LTC", &rig.destination, LTC).await.unwrap_err();
    assert_eq!(e.v4().0, "B1011-CW", "{e}");
    assert!(matches!(rig.custody.request_withdrawal(&rig.who(0), "DOGE", &rig.destination, LTC).await, Err(e) if e.v4().0 == "B1001-CW"));
    let store = rig.exchange.gateway.store.as_ref().unwrap();
    assert!(store.custody_withdrawals_of(u64::from(rig.user(0).0), 10).await.unwrap().is_empty(), "no refused request left a row");
    assert_eq!(rig.ltc(0), (5 * LTC, 0), "nor held anything");

    // One pending at a time.
    rig.whitelist(1, &rig.destination, rig.now() - 2 * DAY_MS).await;
    rig.custody.request_withdrawal(&rig.who(1), "LTC", &rig.destination, LTC).await.unwrap();
    let e = rig.custody.request_withdrawal(&rig.who(1), "LTC", &rig.destination, LTC).await.unwrap_err();
    assert_eq!(e.v4().0, "B1009-CW");
    assert_eq!(rig.ltc(1), (4 * LTC, LTC));

    // A destination a sanctions list names: refused, and compliance gets a hit on the account,
    // whose open hit then stops its other withdrawals too.
    let listed = rig.node.wallet_address().await.unwrap();
    rig.whitelist(0, &listed, rig.now() - 2 * DAY_MS).await;
    let account = store.insert_web_account("customer0@example.com", "x", rig.user(0), rig.now()).await.unwrap().unwrap();
    let entry = talat_store::SanctionsEntryRow {
        entity_id: "36001".into(),
        version: 3,
        entry: "{}".into(),
        addresses: vec![("LTC".into(), listed.to_ascii_lowercase())],
    };
    let list = talat_store::NewSanctionsList { name: "ofac-sdn".into(), format: "ofac_sdn_csv".into(), sha256: "s".into(), loaded_by: 1, loaded_ms: rig.now() };
    store.load_sanctions_list(&list, &[entry]).await.unwrap();
    let e = rig.custody.request_withdrawal(&rig.who(0), "LTC", &listed.to_ascii_uppercase(), LTC).await.unwrap_err();
    assert_eq!((e.v4().0, e.v3()), ("B1012-CW", 9), "{e}");
    let hits = store.screening_hits_of_account(account, 10).await.unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!((hits[0].list_name.as_str(), hits[0].entity_id.as_str(), hits[0].entity_version, hits[0].status.as_str()), ("ofac-sdn", "36001", 3, "open"));
    assert!(hits[0].matched_name.contains(&listed.to_ascii_lowercase()), "{:?}", hits[0]);
    let e = rig.custody.request_withdrawal(&rig.who(0), "LTC", &rig.destination, LTC).await.unwrap_err();
    assert_eq!(e.v4().0, "B1010-CW", "an open hit stops the account's withdrawals: {e}");
    assert!(rig.custody.request_withdrawal(&rig.who(0), "LTC", &listed, LTC).await.is_err());
    assert_eq!(store.screening_hits_of_account(account, 10).await.unwrap().len(), 1, "one hit per list entry and version");
    assert!(store.custody_withdrawals_of(u64::from(rig.user(0).0), 10).await.unwrap().is_empty());
    assert_eq!(rig.ltc(0), (5 * LTC, 0), "nothing held");
    rig.exchange.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_whose_hold_was_lost_is_held_or_ended_by_the_next_pass() {
    let rig = Rig::start(true).await;
    let store = rig.exchange.gateway.store.as_ref().unwrap();
    let old = rig.now() - 60_000;
    let row = |id: &str, user: usize, amount_units: u64| talat_store::CustodyWithdrawalRow {
        id: id.into(),
        user_id: u64::from(rig.user(user).0),
        network: "LTC".into(),
        asset: "LTC".into(),
        address: rig.destination.clone(),
        amount_units,
        fee_units: 100_000,
        status: "requested".into(),
        approvals_needed: 0,
        source: "test".into(),
        engine_held: false,
        txid: None,
        raw_tx: None,
        inputs: None,
        network_fee_units: None,
        confirmations: 0,
        reason: None,
        created_ms: old,
        updated_ms: old,
        completed_ms: None,
    };
    // As a crash between writing the row and hearing the engine's answer leaves them.
    assert!(store.insert_custody_withdrawal(&row("LTCWDLOST1", 0, LTC), &["requested"]).await.unwrap());
    assert!(store.insert_custody_withdrawal(&row("LTCWDLOST2", 1, 50 * LTC), &["requested"]).await.unwrap());
    rig.custody.process_withdrawals("LTC").await.unwrap();
    let held = rig.custody.withdrawal("LTCWDLOST1").await.unwrap();
    assert!(held.engine_held && held.status != "requested", "held and on its way: {held:?}");
    assert_eq!(rig.ltc(0), (4 * LTC, LTC), "held once, until it settles");
    let ended = rig.custody.withdrawal("LTCWDLOST2").await.unwrap();
    assert_eq!(ended.status, "rejected", "the engine refused it (5 LTC held by nobody): {ended:?}");
    assert!(ended.reason.unwrap().contains("InsufficientBalance"));
    assert_eq!(rig.ltc(1), (5 * LTC, 0), "nothing held");
    rig.exchange.stop().await;
}
