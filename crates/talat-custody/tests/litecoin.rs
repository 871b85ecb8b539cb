//! Deposits on a real chain: a regtest litecoind on loopback (Debian's package, installed by
//! scripts/custody-env), a real exchange (node, sequencer, gateway, store) and the watcher
//! between them. Each test starts its own node and exchange.

use std::sync::Arc;
use talat_api::testkit::TestExchange;
use talat_core::{AssetSpec, Command, UserId};
use talat_custody::network::NetworkConfig;
use talat_custody::regtest::RegtestNode;
use talat_custody::rpc::BitcoinRpc;
use talat_custody::watcher::Watcher;
use talat_custody::{Custody, CustodyConfig};
use talat_gateway::config::ApiConfig;
use talat_sequencer::SequencerConfig;

/// BIP-32 test vector 1's master key (a fixed, public key: fine for a test chain).
const TEST_XPUB: &str = "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8";
const LTC: u64 = 100_000_000;

struct Rig {
    node: RegtestNode,
    exchange: TestExchange,
    custody: Arc<Custody>,
    _dir: tempfile::TempDir,
}

impl Rig {
    async fn start() -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let node = RegtestNode::start(dir.path()).await.expect("litecoind starts (scripts/custody-env installs it)");
        let exchange = TestExchange::start(ApiConfig::default(), 2, SequencerConfig::default()).await;
        exchange.gateway.execute(Command::ListAsset(AssetSpec { code: "LTC".into(), scale: 8 })).await.expect("LTC lists");
        let network = NetworkConfig::litecoin(&node.rpc_url, talat_custody::regtest::RPC_USER, &node.rpc_password, TEST_XPUB, "rltc");
        let store = exchange.gateway.store.clone().expect("the test exchange has a store");
        let custody = Arc::new(Custody::new(&CustodyConfig { networks: vec![network] }, store, Arc::clone(&exchange.gateway)).unwrap());
        Rig { node, exchange, custody, _dir: dir }
    }

    fn watcher(&self) -> Watcher<BitcoinRpc> {
        // From height 0: the whole regtest chain is short.
        self.custody.watcher("LTC", Some(0)).unwrap()
    }

    fn user(&self, i: usize) -> UserId {
        self.exchange.users[i].user
    }

    fn ltc_balance(&self, i: usize) -> u64 {
        let asset = self.exchange.gateway.read.asset_id("LTC").unwrap();
        self.exchange.gateway.read.balance(self.user(i), asset).available
    }

    async fn address(&self, i: usize) -> String {
        self.custody.address_for(u64::from(self.user(i).0), "LTC").await.unwrap().address
    }

    async fn deposit(&self, txid: &str) -> talat_store::CustodyDepositRow {
        let store = self.exchange.gateway.store.as_ref().unwrap();
        for index in 0..2 {
            if let Some(d) = store.custody_deposit("LTC", txid, index).await.unwrap() {
                return d;
            }
        }
        panic!("no deposit recorded for {txid}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deposit_confirms_then_credits_once() {
    let rig = Rig::start().await;
    let w = rig.watcher();
    let address = rig.address(0).await;
    assert!(address.starts_with("rltc1q"), "{address}");
    assert_eq!(rig.address(0).await, address, "one address per customer and network");
    assert_ne!(rig.address(1).await, address);
    w.pass().await.unwrap();

    let txid = rig.node.send(&address, "1.5").await.unwrap();
    rig.node.mine(1).await.unwrap();
    let report = w.pass().await.unwrap();
    assert_eq!(report.found, 1);
    let d = rig.deposit(&txid).await;
    assert_eq!((d.status.as_str(), d.amount_units, d.confirmations, d.required_confirmations), ("confirming", 150_000_000, 1, 3), "{d:?}");
    assert_eq!(rig.ltc_balance(0), 0, "one confirmation of three credits nothing");

    rig.node.mine(1).await.unwrap();
    w.pass().await.unwrap();
    assert_eq!(rig.deposit(&txid).await.confirmations, 2);
    assert_eq!(rig.ltc_balance(0), 0);

    rig.node.mine(1).await.unwrap();
    let report = w.pass().await.unwrap();
    assert_eq!(report.credited, 1, "the third block is the third confirmation");
    let d = rig.deposit(&txid).await;
    assert_eq!((d.status.as_str(), d.confirmations), ("credited", 3));
    assert_eq!(rig.ltc_balance(0), 150_000_000);

    // Later passes, and a pass by a second watcher on the same cursor, credit nothing again.
    rig.node.mine(2).await.unwrap();
    assert_eq!(w.pass().await.unwrap().credited, 0);
    assert_eq!(rig.watcher().pass().await.unwrap().credited, 0);
    assert_eq!(rig.ltc_balance(0), 150_000_000);
    assert_eq!(rig.ltc_balance(1), 0);
    rig.exchange.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dust_is_recorded_and_a_large_deposit_waits_for_its_tier() {
    let rig = Rig::start().await;
    let w = rig.watcher();
    let address = rig.address(0).await;
    w.pass().await.unwrap();
    let dust = rig.node.send(&address, "0.00005").await.unwrap();
    let large = rig.node.send(&address, "20").await.unwrap();
    rig.node.mine(3).await.unwrap();
    w.pass().await.unwrap();
    let d = rig.deposit(&dust).await;
    assert_eq!((d.status.as_str(), d.amount_units), ("dust", 5_000));
    let l = rig.deposit(&large).await;
    assert_eq!((l.status.as_str(), l.required_confirmations, l.confirmations), ("confirming", 6, 3), "20 LTC is in the 6-confirmation tier");
    assert_eq!(rig.ltc_balance(0), 0);
    rig.node.mine(3).await.unwrap();
    w.pass().await.unwrap();
    assert_eq!(rig.ltc_balance(0), 20 * LTC, "the dust is never credited");
    rig.exchange.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reorg_before_the_credit_drops_the_deposit() {
    let rig = Rig::start().await;
    let w = rig.watcher();
    let address = rig.address(0).await;
    w.pass().await.unwrap();
    let txid = rig.node.send(&address, "2").await.unwrap();
    let mined = rig.node.mine(1).await.unwrap();
    w.pass().await.unwrap();
    assert_eq!(rig.deposit(&txid).await.status, "confirming");

    // The block goes, and a longer chain without the payment grows (it waits in the mempool).
    rig.node.invalidate(&mined[0]).await.unwrap();
    rig.node.mine_empty(4).await.unwrap();
    let report = w.pass().await.unwrap();
    assert_eq!(report.dropped, 1, "{report:?}");
    assert!(report.cases.is_empty());
    let d = rig.deposit(&txid).await;
    assert_eq!((d.status.as_str(), d.block_height), ("dropped", None));
    assert_eq!(rig.ltc_balance(0), 0);

    // Mined again in the new chain, it confirms from its new block and credits once.
    rig.node.mine(1).await.unwrap();
    w.pass().await.unwrap();
    let d = rig.deposit(&txid).await;
    assert_eq!((d.status.as_str(), d.confirmations), ("confirming", 1), "{d:?}");
    rig.node.mine(2).await.unwrap();
    assert_eq!(w.pass().await.unwrap().credited, 1);
    assert_eq!(rig.ltc_balance(0), 2 * LTC);
    rig.exchange.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reorg_below_a_credit_opens_a_case_and_freezes_withdrawals() {
    let rig = Rig::start().await;
    let w = rig.watcher();
    let address = rig.address(0).await;
    w.pass().await.unwrap();
    let txid = rig.node.send(&address, "1").await.unwrap();
    let mined = rig.node.mine(3).await.unwrap();
    assert_eq!(w.pass().await.unwrap().credited, 1);

    rig.node.invalidate(&mined[0]).await.unwrap();
    rig.node.mine_empty(5).await.unwrap();
    let report = w.pass().await.unwrap();
    assert_eq!(report.cases.len(), 1, "{report:?}");
    let store = rig.exchange.gateway.store.as_ref().unwrap();
    let d = rig.deposit(&txid).await;
    assert_eq!(d.status, "reorged");
    let cases = store.custody_cases(true).await.unwrap();
    assert_eq!((cases.len(), cases[0].kind.as_str(), cases[0].txid.as_str()), (1, "reorg_below_credit", txid.as_str()));
    let user = u64::from(rig.user(0).0);
    assert!(store.custody_frozen(user, "LTC").await.unwrap(), "the customer's LTC withdrawals are frozen");
    assert!(!store.custody_frozen(u64::from(rig.user(1).0), "LTC").await.unwrap());
    assert!(store.resolve_custody_case(cases[0].id, 7, "clawed back by staff", 1).await.unwrap());
    assert!(!store.custody_frozen(user, "LTC").await.unwrap(), "resolving the case lifts the freeze");
    rig.exchange.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rescan_finds_a_missed_deposit_and_credits_it_once() {
    let rig = Rig::start().await;
    let w = rig.watcher();
    let address = rig.address(1).await;
    w.pass().await.unwrap();
    let txid = rig.node.send(&address, "0.75").await.unwrap();
    rig.node.mine(3).await.unwrap();
    assert_eq!(w.pass().await.unwrap().credited, 1);
    let height = rig.deposit(&txid).await.block_height.unwrap();
    let store = rig.exchange.gateway.store.as_ref().unwrap();

    // A second payment the watcher "missed": its row is gone, the cursor is past its block.
    let missed = rig.node.send(&address, "0.25").await.unwrap();
    rig.node.mine(3).await.unwrap();
    w.pass().await.unwrap();
    let missed_index = rig.deposit(&missed).await.output_index;
    let missed_height = rig.deposit(&missed).await.block_height.unwrap();
    store.custody_forget_deposit_for_tests("LTC", &missed, missed_index).await.unwrap();
    // The first was credited and its row kept; forget it too, to show a rescan cannot credit
    // the same output twice even when the watcher's own record is lost.
    let first_index = rig.deposit(&txid).await.output_index;
    store.custody_forget_deposit_for_tests("LTC", &txid, first_index).await.unwrap();
    let before = rig.ltc_balance(1);
    assert_eq!(before, 75_000_000 + 25_000_000, "the missed one had been credited before its row was lost");

    assert_eq!(w.rescan(height, missed_height).await.unwrap(), 2);
    w.pass().await.unwrap();
    assert_eq!(rig.ltc_balance(1), before, "the engine's key (network, txid, output) makes each credit happen once");
    assert_eq!(rig.deposit(&missed).await.status, "credited");
    assert_eq!(w.rescan(height, missed_height).await.unwrap(), 0, "nothing is missing any more");
    rig.exchange.stop().await;
}
