//! The Ethereum family on a real chain: a throwaway anvil node on loopback (npm's
//! `@foundry-rs/anvil`, installed by scripts/custody-env), an ERC-20 token of our own compiled
//! with solc-js at test time and deployed on it, a real exchange (node, sequencer, gateway,
//! store) and the generic watcher and withdrawal pipeline between them. Each test starts its
//! own anvil and exchange. anvil mines only when told, so every confirmation is counted here.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use talat_api::testkit::TestExchange;
use talat_core::{Amount, AssetSpec, Command, ExternalId, TierLimits, UserId, WithdrawalBudget};
use talat_custody::chain::Chain;
use talat_custody::evm::address::{keccak256, parse_hex, to_checksum, to_lower_hex};
use talat_custody::evm::anvil::{AnvilNode, CHAIN_ID};
use talat_custody::evm::rpc::EvmRpc;
use talat_custody::evm::signer::{sign_transaction, EvmSigner, LocalEvmSigner};
use talat_custody::evm::tx::{bytes_of_hex, decode_unsigned, Eip1559Tx};
use talat_custody::network::{ConfirmationTier, NetworkConfig};
use talat_custody::withdrawals::{Requester, WithdrawError};
use talat_custody::{Custody, CustodyConfig};
use talat_gateway::config::ApiConfig;
use talat_sequencer::SequencerConfig;
use talat_store::WhitelistRow;

/// BIP-32 test vector 1's master key (a fixed, public key: fine for a test chain).
const TEST_XPUB: &str = "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8";
/// One whole ETH or token in on-chain units (18 decimals) and in engine units (8).
const ETH_WEI: u128 = 1_000_000_000_000_000_000;
const UNIT: u64 = 100_000_000;
const DAY_MS: u64 = 86_400_000;
/// Development account that plays the customers' own wallet (a withdrawal's destination).
const WALLET: usize = 5;

/// The operator's cold wallet key, held offline (here by the test): the BIP-32 master of a
/// fixed seed; talat is configured with its xpub only.
fn cold_key() -> (bitcoin::bip32::Xpriv, String) {
    let master = bitcoin::bip32::Xpriv::new_master(bitcoin::NetworkKind::Main, &[2; 32]).unwrap();
    let xpub = bitcoin::bip32::Xpub::from_priv(&bitcoin::secp256k1::Secp256k1::new(), &master).to_string();
    (master, xpub)
}

/// The offline signer: the cold key's receive key `0/index` signs a prepared unsigned
/// transaction (hex) as it is.
fn sign_offline(index: u32, unsigned_hex: &str) -> talat_custody::evm::signer::SignedTx {
    let tx = decode_unsigned(&bytes_of_hex(unsigned_hex).unwrap()).unwrap();
    sign_as(&cold_signer(index), &tx)
}

fn cold_signer(index: u32) -> LocalEvmSigner {
    use bitcoin::bip32::ChildNumber;
    let (master, _) = cold_key();
    let path = [ChildNumber::Normal { index: 0 }, ChildNumber::Normal { index }];
    let child = master.derive_priv(&bitcoin::secp256k1::Secp256k1::new(), &path).unwrap();
    LocalEvmSigner::from_hex(&hex::encode(child.private_key.secret_bytes())).unwrap()
}

fn sign_as(signer: &LocalEvmSigner, tx: &Eip1559Tx) -> talat_custody::evm::signer::SignedTx {
    sign_transaction(signer, tx).unwrap()
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The test token's creation bytecode: compiled with solc-js once per source text (cached
/// beside the npm packages, keyed by the source's hash, so a rerun skips the compiler).
fn token_bytecode() -> Vec<u8> {
    static CODE: OnceLock<Vec<u8>> = OnceLock::new();
    CODE.get_or_init(|| {
        let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let source = std::fs::read(fixtures.join("TestToken.sol")).unwrap();
        let npm = workspace().join("target/custody-npm");
        let cached = npm.join(format!("TalatTestToken-{}.hex", hex::encode(&keccak256(&source)[..8])));
        let text = match std::fs::read_to_string(&cached) {
            Ok(text) => text,
            Err(_) => {
                assert!(npm.join("node_modules/solc").is_dir(), "solc-js is missing from {}: run scripts/custody-env", npm.display());
                let out = std::process::Command::new("node")
                    .arg(fixtures.join("compile.cjs"))
                    .arg(fixtures.join("TestToken.sol"))
                    .arg("TalatTestToken")
                    .env("NODE_PATH", npm.join("node_modules"))
                    .output()
                    .expect("node runs (scripts/custody-env needs Node and npm)");
                assert!(out.status.success(), "solc-js failed: {}", String::from_utf8_lossy(&out.stderr));
                let text = String::from_utf8(out.stdout).unwrap();
                std::fs::write(&cached, &text).unwrap();
                text
            }
        };
        hex::decode(text.trim()).expect("the compiler prints hex")
    })
    .clone()
}

/// Small confirmation counts keep the tests short; the tiers' logic is the Bitcoin family's.
fn tiers() -> Vec<ConfirmationTier> {
    vec![ConfirmationTier { up_to_units: Some(100 * UNIT), confirmations: 3 }, ConfirmationTier { up_to_units: None, confirmations: 5 }]
}

struct Rig {
    node: AnvilNode,
    exchange: TestExchange,
    config: CustodyConfig,
    custody: Arc<Custody>,
    token: String,
    /// The customers' own wallet (a development account), lower case.
    wallet: String,
}

impl Rig {
    async fn start() -> Rig {
        Rig::start_polling(4_000).await
    }

    /// With the networks' watchers ticking every `poll_ms` once spawned.
    async fn start_polling(poll_ms: u64) -> Rig {
        let node = AnvilNode::start().await.expect("anvil starts (scripts/custody-env installs it)");
        let token = node.deploy(&token_bytecode()).await.unwrap();
        let exchange = TestExchange::start(ApiConfig::default(), 2, SequencerConfig::default()).await;
        let gw = &exchange.gateway;
        gw.install_funds(talat_gateway::funds::Funds::default()).unwrap();
        // ETH (scale 8) is listed by the test exchange, which funds each user with 100 ETH.
        gw.execute(Command::ListAsset(AssetSpec { code: "TTT".into(), scale: 8 })).await.unwrap();
        // Both networks keep their excess in one cold wallet (the key offline: `cold_key`), and
        // keep between 2 and 10 whole coins hot.
        let (_, cold_xpub) = cold_key();
        let tweak = |n: NetworkConfig| NetworkConfig {
            confirmations: tiers(),
            poll_ms,
            cold_xpub: cold_xpub.clone(),
            cold_addresses: 3,
            hot_low_units: 2 * UNIT,
            hot_high_units: 10 * UNIT,
            ..n
        };
        let eth = tweak(NetworkConfig::ethereum(&node.rpc_url, TEST_XPUB, CHAIN_ID));
        let ttt = tweak(NetworkConfig::erc20(&node.rpc_url, TEST_XPUB, CHAIN_ID, "TTT", &token, 18));
        let config = CustodyConfig { networks: vec![eth, ttt] };
        let custody = Arc::new(Custody::new(&config, gw.store.clone().unwrap(), Arc::clone(gw)).unwrap());
        let wallet = node.accounts[WALLET].clone();
        Rig { node, exchange, config, custody, token, wallet }
    }

    fn user(&self, i: usize) -> UserId {
        self.exchange.users[i].user
    }

    fn now(&self) -> u64 {
        self.exchange.gateway.now_ms()
    }

    /// (available, held) of `asset` for user `i`, in engine units.
    fn balance(&self, i: usize, asset: &str) -> (u64, u64) {
        let read = &self.exchange.gateway.read;
        let b = read.balance(self.user(i), read.asset_id(asset).unwrap());
        (b.available, b.held)
    }

    async fn address(&self, i: usize, network: &str) -> String {
        self.custody.address_for(u64::from(self.user(i).0), network).await.unwrap().address
    }

    async fn deposit(&self, network: &str, txid: &str, index: u64) -> talat_store::CustodyDepositRow {
        let store = self.exchange.gateway.store.as_ref().unwrap();
        store.custody_deposit(network, txid, index).await.unwrap().unwrap_or_else(|| panic!("no deposit {network} {txid}:{index}"))
    }

    /// The `n`th `Transfer` log index of a token transaction (its key's second half).
    async fn log_index(&self, txid: &str) -> u64 {
        let receipt: serde_json::Value = self.node.call("eth_getTransactionReceipt", serde_json::json!([txid])).await.unwrap();
        let index = receipt["logs"][0]["logIndex"].as_str().unwrap();
        u64::from_str_radix(index.trim_start_matches("0x"), 16).unwrap()
    }

    fn who(&self, i: usize) -> Requester {
        Requester { user: self.user(i), email: format!("customer{i}@example.com"), account_locked: false, second_factor_ok: true, source: "test".into() }
    }

    async fn whitelist(&self, i: usize, network: &str, address: &str, added_ms: u64) {
        let row = WhitelistRow { user_id: u64::from(self.user(i).0), network: network.into(), address: address.into(), label: "mine".into(), added_ms };
        assert!(self.exchange.gateway.store.as_ref().unwrap().add_custody_whitelist(&row).await.unwrap());
    }

    /// Credits user `i` with `units` of `asset` in the engine (a deposit made earlier).
    async fn seed(&self, i: usize, asset: &str, units: u64) {
        let gw = &self.exchange.gateway;
        let asset_id = gw.read.asset_id(asset).unwrap();
        gw.execute(Command::Deposit { user: self.user(i), asset: asset_id, amount: Amount(units), external_id: ExternalId(format!("seed-{asset}-{i}")) })
            .await
            .unwrap();
    }

    /// Funds a network's hot wallet from development account 0: `wei` of ETH for value and
    /// gas, and `token_raw` of the token.
    async fn fund_hot(&self, network: &str, wei: u128, token_raw: u128) -> String {
        let (_, hot) = self.custody.evm_hot_signer(self.custody.network(network).unwrap()).await.unwrap();
        self.node.send_eth(0, &hot, wei).await.unwrap();
        if token_raw > 0 {
            self.node.send_token(0, &self.token, &hot, token_raw).await.unwrap();
        }
        self.node.mine(1).await.unwrap();
        hot
    }

    /// The service as a restarted process builds it: same store, same node, nothing in memory.
    fn restarted(&self) -> Custody {
        Custody::new(&self.config, self.exchange.gateway.store.clone().unwrap(), Arc::clone(&self.exchange.gateway)).unwrap()
    }

    async fn token_balance(&self, owner: &str) -> u128 {
        self.node.rpc().token_balance(&parse_hex(&self.token).unwrap(), &parse_hex(owner).unwrap()).await.unwrap()
    }

    async fn eth_balance(&self, owner: &str) -> u128 {
        self.node.rpc().balance_wei(&parse_hex(owner).unwrap()).await.unwrap()
    }

    async fn withdrawal_txs(&self, id: &str) -> Vec<talat_store::EvmTxRow> {
        self.exchange.gateway.store.as_ref().unwrap().evm_txs_of(id).await.unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eth_and_token_deposits_confirm_credit_once_and_a_reorg_drops_an_uncredited_one() {
    let rig = Rig::start().await;
    let eth = rig.custody.evm_watcher("ETH", Some(0)).unwrap();
    let ttt = rig.custody.evm_watcher("TTT-ERC20", Some(0)).unwrap();
    let shown = rig.address(0, "ETH").await;
    assert_eq!(rig.address(0, "TTT-ERC20").await, shown, "one address per customer on one chain, whatever the token");
    assert_eq!(shown, to_checksum(&parse_hex(&shown).unwrap()), "shown EIP-55 checksummed");
    let store = rig.exchange.gateway.store.as_ref().unwrap();
    let a0 = store.custody_address(u64::from(rig.user(0).0), &format!("EVM-{CHAIN_ID}")).await.unwrap().unwrap().address;
    assert_eq!(a0, shown.to_ascii_lowercase(), "stored lower case, once for the chain");
    let listed = rig.custody.addresses_of(u64::from(rig.user(0).0)).await.unwrap();
    assert_eq!(listed.iter().map(|r| (r.network.as_str(), r.address.as_str())).collect::<Vec<_>>(), [("ETH", shown.as_str()), ("TTT-ERC20", shown.as_str())]);
    let a1 = rig.address(1, "TTT-ERC20").await.to_ascii_lowercase();
    assert_ne!(a1, a0);
    eth.pass().await.unwrap();
    ttt.pass().await.unwrap();
    let (eth0, eth1) = (rig.balance(0, "ETH").0, rig.balance(1, "ETH").0);

    // 1.5 ETH and one wei; 2.25 tokens.
    let eth_tx = rig.node.send_eth(1, &a0, 3 * ETH_WEI / 2 + 1).await.unwrap();
    let ttt_tx = rig.node.send_token(0, &rig.token, &a0, 9 * ETH_WEI / 4).await.unwrap();
    rig.node.mine(1).await.unwrap();
    assert_eq!(eth.pass().await.unwrap().found, 1);
    assert_eq!(ttt.pass().await.unwrap().found, 1, "the token watcher sees the Transfer log only");
    let d = rig.deposit("ETH", &eth_tx, 0).await;
    assert_eq!(
        (d.status.as_str(), d.amount_units, d.amount_raw.as_deref(), d.confirmations, d.required_confirmations),
        ("confirming", 150_000_000, Some("1500000000000000001"), 1, 3),
        "whole engine units; the wei recorded exactly: {d:?}"
    );
    let log = rig.log_index(&ttt_tx).await;
    let t = rig.deposit("TTT-ERC20", &ttt_tx, log).await;
    assert_eq!((t.status.as_str(), t.amount_units, t.confirmations), ("confirming", 225_000_000, 1));
    assert_eq!((rig.balance(0, "ETH"), rig.balance(0, "TTT")), ((eth0, 0), (0, 0)), "one confirmation of three credits nothing");

    rig.node.mine(1).await.unwrap();
    eth.pass().await.unwrap();
    assert_eq!(rig.deposit("ETH", &eth_tx, 0).await.confirmations, 2);
    rig.node.mine(1).await.unwrap();
    assert_eq!(eth.pass().await.unwrap().credited, 1);
    assert_eq!(ttt.pass().await.unwrap().credited, 1);
    assert_eq!(rig.balance(0, "ETH"), (eth0 + 150_000_000, 0), "the wei below one engine unit is not credited");
    assert_eq!(rig.balance(0, "TTT"), (225_000_000, 0));

    // Later passes, a second watcher on the same cursor, and a rescan credit nothing again —
    // even with the watcher's own row of the credit forgotten.
    rig.node.mine(2).await.unwrap();
    assert_eq!(eth.pass().await.unwrap().credited, 0);
    assert_eq!(rig.custody.evm_watcher("ETH", Some(0)).unwrap().pass().await.unwrap().credited, 0);
    let tip = rig.node.rpc().tip_height().await.unwrap();
    assert_eq!(eth.rescan(0, tip).await.unwrap(), 0, "nothing is missing");
    store.custody_forget_deposit_for_tests("ETH", &eth_tx, 0).await.unwrap();
    assert_eq!(eth.rescan(0, tip).await.unwrap(), 1);
    eth.pass().await.unwrap();
    assert_eq!(rig.deposit("ETH", &eth_tx, 0).await.status, "credited");
    assert_eq!(rig.balance(0, "ETH"), (eth0 + 150_000_000, 0), "the engine's key (network, tx, 0) makes the credit happen once");
    assert_eq!(rig.deposit("ETH", &eth_tx, 0).await.address, a0, "deposits carry the stored form");

    // An amount no exchange could book (2^200 base units) is recorded as refused, not wrapped.
    let mut huge = talat_custody::evm::tx::erc20_transfer_data(&parse_hex(&a1).unwrap(), 0);
    huge[36 + 6] = 1; // byte 6 of the 32-byte amount word: 2^200
    let huge_tx = rig.node.send_data(0, Some(&rig.token), &huge, 100_000).await.unwrap();
    rig.node.mine(3).await.unwrap();
    ttt.pass().await.unwrap();
    let r = rig.deposit("TTT-ERC20", &huge_tx, rig.log_index(&huge_tx).await).await;
    assert_eq!((r.status.as_str(), r.amount_units), ("refused", 0), "{r:?}");
    assert_eq!(r.amount_raw.as_deref().map(|a| a.trim_start_matches("0x").trim_start_matches('0').len()), Some(51), "the raw word is kept");
    assert_eq!(rig.balance(1, "TTT"), (0, 0));

    // A reorg takes the block of an uncredited deposit (the node's own `anvil_reorg`: the
    // block replaced by another of the same height, the transaction gone): it is dropped,
    // nothing is credited.
    let lost = rig.node.send_eth(2, &a1, 2 * ETH_WEI).await.unwrap();
    rig.node.mine(1).await.unwrap();
    eth.pass().await.unwrap();
    assert_eq!(rig.deposit("ETH", &lost, 0).await.status, "confirming");
    let tip = rig.node.rpc().tip_height().await.unwrap();
    let replaced = rig.node.rpc().block_hash(tip).await.unwrap();
    rig.node.reorg(1).await.unwrap();
    assert_eq!(rig.node.rpc().tip_height().await.unwrap(), tip, "the same height");
    assert_ne!(rig.node.rpc().block_hash(tip).await.unwrap(), replaced, "another block");
    assert!(rig.node.rpc().receipt(&lost).await.unwrap().is_none(), "the deposit is no longer mined");
    rig.node.mine(3).await.unwrap();
    let report = eth.pass().await.unwrap();
    assert_eq!(report.dropped, 1, "{report:?}");
    assert!(report.cases.is_empty());
    let d = rig.deposit("ETH", &lost, 0).await;
    assert_eq!((d.status.as_str(), d.block_height), ("dropped", None), "{d:?}");
    rig.node.mine(3).await.unwrap();
    eth.pass().await.unwrap();
    assert_eq!(rig.balance(1, "ETH"), (eth1, 0), "never credited");

    // A reorg below a credited token deposit: a case, and the customer's withdrawals of the
    // token frozen until staff resolve it.
    let before = rig.node.snapshot().await.unwrap();
    let gone = rig.node.send_token(0, &rig.token, &a1, ETH_WEI).await.unwrap();
    rig.node.mine(3).await.unwrap();
    assert_eq!(ttt.pass().await.unwrap().credited, 1);
    rig.node.revert(&before).await.unwrap();
    rig.node.mine(4).await.unwrap();
    let report = ttt.pass().await.unwrap();
    assert_eq!(report.cases.len(), 1, "{report:?}");
    let gone = store.custody_deposits_of(u64::from(rig.user(1).0), 10).await.unwrap().into_iter().find(|d| d.txid == gone).unwrap();
    assert_eq!(gone.status, "reorged");
    assert!(store.custody_frozen(u64::from(rig.user(1).0), "TTT").await.unwrap());
    rig.exchange.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eth_and_token_withdrawals_are_paid_once_even_when_the_broadcast_answer_is_lost() {
    let rig = Rig::start().await;
    rig.seed(1, "TTT", 10 * UNIT).await;
    let hot_eth = rig.fund_hot("ETH", 10 * ETH_WEI, 0).await;
    let hot_ttt = rig.fund_hot("TTT-ERC20", ETH_WEI, 50 * ETH_WEI).await;
    assert_ne!(hot_eth, hot_ttt, "each network has its own hot key");
    rig.whitelist(0, "ETH", &rig.wallet, rig.now() - 2 * DAY_MS).await;
    rig.whitelist(1, "TTT-ERC20", &rig.wallet, rig.now() - 2 * DAY_MS).await;
    let eth0 = rig.balance(0, "ETH").0;

    // ETH, typed with its EIP-55 checksum; priced at 120,000 THB it needs one approver.
    let typed = to_checksum(&parse_hex(&rig.wallet).unwrap());
    let w = rig.custody.request_withdrawal(&rig.who(0), "ETH", &typed, UNIT).await.unwrap();
    assert_eq!((w.status.as_str(), w.approvals_needed, w.address.as_str()), ("awaiting_approval", 1, rig.wallet.as_str()), "{w:?}");
    assert_eq!(rig.balance(0, "ETH"), (eth0 - UNIT, UNIT), "the engine holds amount and fee");
    rig.custody.process_withdrawals("ETH").await.unwrap();
    assert!(rig.withdrawal_txs(&w.id).await.is_empty(), "nothing is signed before approval");
    rig.custody.approve_withdrawal(&w.id, 7, "ops@talat.local").await.unwrap();
    let before = rig.eth_balance(&rig.wallet).await;
    assert_eq!(rig.custody.process_withdrawals("ETH").await.unwrap(), 0);
    let w = rig.custody.withdrawal(&w.id).await.unwrap();
    let txs = rig.withdrawal_txs(&w.id).await;
    assert_eq!((w.status.as_str(), txs.len(), txs[0].nonce), ("broadcast", 1, 0), "{w:?}");
    assert_eq!(w.txid.as_deref(), Some(txs[0].txid.as_str()));
    rig.node.mine(2).await.unwrap();
    assert_eq!(rig.custody.process_withdrawals("ETH").await.unwrap(), 0, "two confirmations of three");
    assert_eq!(rig.custody.withdrawal(&w.id).await.unwrap().confirmations, 2);
    rig.node.mine(1).await.unwrap();
    assert_eq!(rig.custody.process_withdrawals("ETH").await.unwrap(), 1);
    let w = rig.custody.withdrawal(&w.id).await.unwrap();
    assert_eq!(w.status, "completed");
    let sent_wei = u128::from(UNIT - w.fee_units) * 10_000_000_000;
    assert_eq!(rig.eth_balance(&rig.wallet).await - before, sent_wei, "the address received the amount less the fee, exactly");
    assert_eq!(rig.balance(0, "ETH"), (eth0 - UNIT, 0), "settled: the hold left the customer's balance");
    assert_eq!(rig.custody.process_withdrawals("ETH").await.unwrap(), 0, "nothing settles twice");

    // A token: signed and recorded, then the process "dies" with the broadcast sent but its
    // answer never heard (here: the recorded bytes reach the node behind the service's back).
    let w = rig.custody.request_withdrawal(&rig.who(1), "TTT-ERC20", &rig.wallet, 5 * UNIT).await.unwrap();
    rig.custody.approve_withdrawal(&w.id, 7, "ops@talat.local").await.unwrap();
    let signed = rig.custody.sign_withdrawal(&w.id).await.unwrap();
    assert_eq!(signed.status, "signed");
    rig.node.rpc().send_raw(signed.raw_tx.as_deref().unwrap()).await.unwrap();
    let after = rig.restarted();
    assert!(matches!(after.sign_withdrawal(&w.id).await, Err(WithdrawError::Conflict(_))), "a signed withdrawal is never signed again");
    after.process_withdrawals("TTT-ERC20").await.unwrap();
    let w = after.withdrawal(&w.id).await.unwrap();
    assert_eq!((w.status.as_str(), w.txid.as_deref()), ("broadcast", signed.txid.as_deref()), "found by lookup, not sent anew");
    assert_eq!(rig.withdrawal_txs(&w.id).await.len(), 1, "one signature");
    rig.node.mine(3).await.unwrap();
    assert_eq!(after.process_withdrawals("TTT-ERC20").await.unwrap(), 1);
    assert_eq!(rig.token_balance(&rig.wallet).await, u128::from(5 * UNIT - w.fee_units) * 10_000_000_000, "paid once, exactly");
    assert_eq!(rig.balance(1, "TTT"), (5 * UNIT, 0));
    let nonce = EvmRpc::new(&rig.node.rpc_url, None, 18, 8).pending_nonce(&parse_hex(&hot_ttt).unwrap()).await.unwrap();
    assert_eq!(nonce, 1, "the token's hot wallet sent one transaction");

    // ETH again, and this time the process dies before its broadcast left: the restart sends
    // the recorded bytes (the same txid), it is paid once.
    let w = rig.custody.request_withdrawal(&rig.who(0), "ETH", &rig.wallet, UNIT).await.unwrap();
    rig.custody.approve_withdrawal(&w.id, 7, "ops@talat.local").await.unwrap();
    let signed = rig.custody.sign_withdrawal(&w.id).await.unwrap();
    assert!(!rig.node.rpc().knows(signed.txid.as_deref().unwrap()).await.unwrap(), "nothing sent yet");
    let before = rig.eth_balance(&rig.wallet).await;
    let after = rig.restarted();
    after.process_withdrawals("ETH").await.unwrap();
    assert!(rig.node.rpc().knows(signed.txid.as_deref().unwrap()).await.unwrap(), "the recorded transaction went out");
    rig.node.mine(3).await.unwrap();
    assert_eq!(after.process_withdrawals("ETH").await.unwrap(), 1);
    let txs = rig.withdrawal_txs(&w.id).await;
    assert_eq!((txs.len(), txs[0].nonce, Some(txs[0].txid.as_str())), (1, 1, signed.txid.as_deref()), "one signature, the hot wallet's next nonce");
    assert_eq!(rig.eth_balance(&rig.wallet).await - before, u128::from(UNIT - w.fee_units) * 10_000_000_000, "paid once");
    rig.exchange.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_withdrawal_is_replaced_under_two_approvals_and_paid_once() {
    let rig = Rig::start().await;
    let hot = rig.fund_hot("ETH", 10 * ETH_WEI, 0).await;
    rig.whitelist(0, "ETH", &rig.wallet, rig.now() - 2 * DAY_MS).await;
    let w = rig.custody.request_withdrawal(&rig.who(0), "ETH", &rig.wallet, 2 * UNIT).await.unwrap();
    rig.custody.approve_withdrawal(&w.id, 7, "ops@talat.local").await.unwrap();
    rig.custody.process_withdrawals("ETH").await.unwrap();
    let first = rig.withdrawal_txs(&w.id).await.remove(0);
    assert_eq!(rig.custody.withdrawal(&w.id).await.unwrap().status, "broadcast");

    // The base fee jumps above what the transaction offers: it stays in the pool, unmined.
    rig.node.set_next_base_fee(200_000_000_000).await.unwrap();
    rig.node.mine(2).await.unwrap();
    rig.custody.process_withdrawals("ETH").await.unwrap();
    assert!(rig.node.rpc().receipt(&first.txid).await.unwrap().is_none(), "stuck");
    assert_eq!(rig.custody.withdrawal(&w.id).await.unwrap().status, "broadcast");

    let bump = rig.custody.propose_fee_bump(&w.id, 7).await.unwrap();
    assert!(bump.max_fee_per_gas_wei >= first.max_fee_per_gas_wei * 11 / 10 && bump.priority_fee_per_gas_wei >= first.priority_fee_per_gas_wei * 11 / 10);
    assert!(matches!(rig.custody.propose_fee_bump(&w.id, 9).await, Err(WithdrawError::Conflict(_))), "one open proposal at a time");
    assert!(matches!(rig.custody.approve_fee_bump(bump.id, 7).await, Err(WithdrawError::Conflict(_))), "not by the proposer");
    assert_eq!(rig.withdrawal_txs(&w.id).await.len(), 1, "nothing signed without a second person");
    let replaced = rig.custody.approve_fee_bump(bump.id, 8).await.unwrap();
    let txs = rig.withdrawal_txs(&w.id).await;
    assert_eq!(txs.len(), 2);
    assert_eq!((txs[1].nonce, txs[1].max_fee_per_gas_wei), (first.nonce, bump.max_fee_per_gas_wei), "same nonce, the approved fee");
    assert_eq!((replaced.status.as_str(), replaced.txid.as_deref()), ("broadcast", Some(txs[1].txid.as_str())), "recorded, then sent");
    assert!(matches!(rig.custody.approve_fee_bump(bump.id, 9).await, Err(WithdrawError::Conflict(_))), "a bump is signed once");

    let before = rig.eth_balance(&rig.wallet).await;
    rig.node.mine(3).await.unwrap();
    assert_eq!(rig.custody.process_withdrawals("ETH").await.unwrap(), 1);
    let done = rig.custody.withdrawal(&w.id).await.unwrap();
    assert_eq!((done.status.as_str(), done.txid.as_deref()), ("completed", Some(txs[1].txid.as_str())), "completed by the mined one");
    assert!(rig.node.rpc().receipt(&first.txid).await.unwrap().is_none(), "the replaced one can never be mined: its nonce is spent");
    assert_eq!(rig.eth_balance(&rig.wallet).await - before, u128::from(2 * UNIT - done.fee_units) * 10_000_000_000, "paid once");
    assert_eq!(rig.node.rpc().pending_nonce(&parse_hex(&hot).unwrap()).await.unwrap(), 1);
    assert!(matches!(rig.custody.propose_fee_bump(&w.id, 7).await, Err(WithdrawError::Conflict(_))), "nothing to bump once completed");

    // The next withdrawal takes the next nonce.
    let w2 = rig.custody.request_withdrawal(&rig.who(0), "ETH", &rig.wallet, UNIT).await.unwrap();
    rig.custody.approve_withdrawal(&w2.id, 7, "ops@talat.local").await.unwrap();
    rig.custody.sign_withdrawal(&w2.id).await.unwrap();
    assert_eq!(rig.withdrawal_txs(&w2.id).await[0].nonce, 1);
    rig.exchange.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_destinations_and_amounts_are_refused_with_their_codes_and_change_nothing_and_an_unpayable_one_waits() {
    let rig = Rig::start().await;
    rig.whitelist(0, "ETH", &rig.wallet, rig.now() - 2 * DAY_MS).await;
    let eth0 = rig.balance(0, "ETH");
    let checksummed = to_checksum(&parse_hex(&rig.wallet).unwrap());
    // One letter's case flipped: a typo EIP-55 catches.
    let flip = checksummed.char_indices().skip(2).find(|(_, c)| c.is_ascii_alphabetic()).map(|(i, _)| i).unwrap();
    let mut typo = checksummed.clone().into_bytes();
    typo[flip] ^= 0x20;
    let typo = String::from_utf8(typo).unwrap();
    let min = rig.custody.network("ETH").unwrap().config.withdraw_min_units;
    let cases: Vec<(&str, String, u64, &str)> = vec![
        ("ETH", "0x1234".into(), UNIT, "V1006-CW"),
        ("ETH", rig.wallet[2..].to_string(), UNIT, "V1006-CW"),
        ("ETH", typo, UNIT, "V1006-CW"),
        ("ETH", format!("0x{}", "0".repeat(40)), UNIT, "V1006-CW"),
        ("ETH", "ltc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu".into(), UNIT, "V1006-CW"),
        ("ETH", checksummed.clone(), min - 1, "V1006-CW"),
        ("ETH", rig.node.accounts[6].clone(), UNIT, "B1014-CW"),
        ("ETH", checksummed.clone(), 1_000 * UNIT, "B1003-CW"),
        ("DOGE", checksummed.clone(), UNIT, "B1001-CW"),
    ];
    for (network, address, amount, code) in cases {
        let e = rig.custody.request_withdrawal(&rig.who(0), network, &address, amount).await.unwrap_err();
        assert_eq!(e.v4().0, code, "{network} {address} {amount}: {e}");
    }
    // Without the second factor, and past the THB-equivalent daily budget (1 THB a day: no ETH
    // fits, and an asset the engine cannot value is refused as over the budget too).
    let mut no_2fa = rig.who(0);
    no_2fa.second_factor_ok = false;
    let e = rig.custody.request_withdrawal(&no_2fa, "ETH", &checksummed, UNIT).await.unwrap_err();
    assert_eq!(e.v4().0, "A1001-CW", "{e}");
    let thb = rig.exchange.gateway.read.asset_id("THB").expect("the test exchange lists THB");
    let budget = |amount| TierLimits { can_trade: true, daily_withdrawal: Some(WithdrawalBudget { valued_in: thb, amount: Amount(amount) }) };
    rig.exchange.gateway.execute(Command::SetTierLimits { user: rig.user(0), limits: budget(1_00) }).await.unwrap();
    let e = rig.custody.request_withdrawal(&rig.who(0), "ETH", &checksummed, UNIT).await.unwrap_err();
    assert_eq!(e.v4().0, "B1011-CW", "{e}");
    rig.exchange.gateway.execute(Command::SetTierLimits { user: rig.user(0), limits: TierLimits::default() }).await.unwrap();
    let store = rig.exchange.gateway.store.as_ref().unwrap();
    assert!(store.custody_withdrawals_of(u64::from(rig.user(0).0), 10).await.unwrap().is_empty(), "no refused request left a row");
    assert_eq!(rig.balance(0, "ETH"), eth0, "nor held anything");

    // A good request the empty hot wallet cannot pay waits, unsigned, taking no nonce.
    let w = rig.custody.request_withdrawal(&rig.who(0), "ETH", &checksummed, UNIT).await.unwrap();
    rig.custody.approve_withdrawal(&w.id, 7, "ops@talat.local").await.unwrap();
    assert!(matches!(rig.custody.sign_withdrawal(&w.id).await, Err(WithdrawError::Unavailable(m)) if m.contains("top-up")));
    rig.custody.process_withdrawals("ETH").await.unwrap();
    assert_eq!(rig.custody.withdrawal(&w.id).await.unwrap().status, "approved");
    assert!(rig.withdrawal_txs(&w.id).await.is_empty());
    rig.fund_hot("ETH", 2 * ETH_WEI, 0).await;
    rig.custody.process_withdrawals("ETH").await.unwrap();
    let txs = rig.withdrawal_txs(&w.id).await;
    assert_eq!((rig.custody.withdrawal(&w.id).await.unwrap().status.as_str(), txs[0].nonce), ("broadcast", 0), "topped up, it goes with the first nonce");
    rig.exchange.stop().await;
}

/// Waits up to 10 s for `done`, checking every 50 ms.
async fn eventually<F: std::future::Future<Output = bool>>(what: &str, mut done: impl FnMut() -> F) {
    for _ in 0..200 {
        if done().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("not within 10 s: {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_runs_each_ethereum_network_on_its_own_timer() {
    let rig = Rig::start_polling(100).await;
    let store = rig.exchange.gateway.store.clone().unwrap();
    let address = rig.address(0, "TTT-ERC20").await.to_ascii_lowercase();
    rig.custody.spawn_watchers();
    // Each watcher starts at the tip it first sees, once its node proves to be on chain 31337.
    eventually("both watchers have a cursor", || {
        let store = store.clone();
        async move { store.custody_cursor("ETH").await.unwrap().is_some() && store.custody_cursor("TTT-ERC20").await.unwrap().is_some() }
    })
    .await;
    let eth0 = rig.balance(0, "ETH").0;
    rig.node.send_eth(1, &address, ETH_WEI).await.unwrap();
    rig.node.send_token(0, &rig.token, &address, 3 * ETH_WEI).await.unwrap();
    rig.node.mine(3).await.unwrap();
    eventually("both deposits credited", || async { rig.balance(0, "ETH").0 == eth0 + UNIT && rig.balance(0, "TTT").0 == 3 * UNIT }).await;

    // A node on another chain, or a token whose decimals are not the configured ones, is
    // refused before anything is read or signed.
    let wrong_chain = NetworkConfig::ethereum(&rig.node.rpc_url, TEST_XPUB, 1);
    let e = EvmRpc::of(&wrong_chain).check(&wrong_chain).await.unwrap_err();
    assert!(e.contains("chain 31337"), "{e}");
    let wrong_decimals = NetworkConfig { engine_decimals: 6, ..NetworkConfig::erc20(&rig.node.rpc_url, TEST_XPUB, CHAIN_ID, "TTT", &rig.token, 6) };
    let e = EvmRpc::of(&wrong_decimals).check(&wrong_decimals).await.unwrap_err();
    assert!(e.contains("18 decimals"), "{e}");
    rig.exchange.stop().await;
}

/// Hot → cold and back on ETH and a token: the excess above the watermarks' middle goes to the
/// first cold address once a second staff member approves (signed by talat with the hot
/// wallet's next nonce, recorded before it is sent; a repeat sends the same bytes); a top-up
/// is an unsigned transaction the offline cold key signs, broadcast only if it is exactly the
/// prepared one signed by that cold address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hot_excess_goes_to_cold_once_and_cold_tops_up_hot_through_an_offline_signed_transaction() {
    let rig = Rig::start().await;
    let hot = rig.fund_hot("ETH", 20 * ETH_WEI, 0).await;
    let cold0 = rig.custody.evm_cold_holdings(rig.custody.network("ETH").unwrap()).await.unwrap()[0].address.clone();
    assert_eq!(cold0, to_lower_hex(&cold_signer(0).address()), "the cold wallet's first address is the cold key's 0/0");
    assert_eq!(rig.custody.hot_balance("ETH").await.unwrap().units, 20 * UNIT);
    assert_eq!(rig.custody.cold_balance("ETH").await.unwrap().unwrap().units, 0);

    // Hot → cold: 20 − (2 + 10) / 2 = 14 ETH, under four eyes, paid once.
    assert!(matches!(rig.custody.propose_to_cold("ETH", 1, Some(20 * UNIT)).await, Err(WithdrawError::Conflict(_))), "the gas comes on top");
    let to_cold = rig.custody.propose_to_cold("ETH", 1, None).await.unwrap();
    assert_eq!((to_cold.kind.as_str(), to_cold.destination.as_str(), to_cold.send_units), ("to_cold", cold0.as_str(), 14 * UNIT));
    assert!(matches!(rig.custody.propose_to_cold("ETH", 2, None).await, Err(WithdrawError::Conflict(_))), "one open transfer to cold");
    assert!(matches!(rig.custody.approve_transfer(to_cold.id, 1).await, Err(WithdrawError::Conflict(m)) if m.contains("proposed")));
    let owner = talat_store::evm_transfer_owner(to_cold.id);
    assert!(rig.withdrawal_txs(&owner).await.is_empty(), "nothing signed before a second person approves");
    let sent = rig.custody.approve_transfer(to_cold.id, 2).await.unwrap();
    let txs = rig.withdrawal_txs(&owner).await;
    assert_eq!((sent.status.as_str(), txs.len(), txs[0].nonce), ("broadcast", 1, 0), "{sent:?}");
    assert_eq!((sent.unsigned_txid.as_str(), sent.raw_tx.as_deref()), (txs[0].txid.as_str(), Some(txs[0].raw_tx.as_str())), "recorded as sent");
    let again = rig.custody.approve_transfer(to_cold.id, 2).await.unwrap();
    assert_eq!(again.raw_tx, sent.raw_tx, "a repeat approve re-sends the recorded bytes");
    // The node loses it (dropped from its pool, as a restarted node would): approving again
    // sends the recorded transaction, the same id, never a new signature.
    let dropped: serde_json::Value = rig.node.call("anvil_dropTransaction", serde_json::json!([sent.unsigned_txid])).await.unwrap();
    assert!(!dropped.is_null() && !rig.node.rpc().knows(&sent.unsigned_txid).await.unwrap(), "dropped: {dropped}");
    rig.custody.approve_transfer(to_cold.id, 2).await.unwrap();
    assert!(rig.node.rpc().knows(&sent.unsigned_txid).await.unwrap(), "the recorded bytes went out again");
    rig.node.mine(1).await.unwrap();
    let again = rig.custody.approve_transfer(to_cold.id, 2).await.unwrap();
    assert_eq!((again.status.as_str(), again.raw_tx.as_deref()), ("broadcast", sent.raw_tx.as_deref()), "and once mined, it is found, not re-signed");
    assert_eq!(rig.withdrawal_txs(&owner).await.len(), 1, "one signature");
    assert_eq!(rig.eth_balance(&cold0).await, 14 * ETH_WEI, "paid once");
    assert_eq!(rig.custody.cold_balance("ETH").await.unwrap().unwrap(), talat_custody::cold::WalletBalance { units: 14 * UNIT, outputs: 1 });
    let hot_units = rig.custody.hot_balance("ETH").await.unwrap().units;
    assert!(hot_units < 6 * UNIT && hot_units > 6 * UNIT - UNIT / 1_000, "6 ETH less the gas: {hot_units}");
    assert_eq!(rig.node.rpc().pending_nonce(&parse_hex(&hot).unwrap()).await.unwrap(), 1);

    // The hot wallet's next withdrawal takes the next nonce: transfers and withdrawals share them.
    rig.whitelist(0, "ETH", &rig.wallet, rig.now() - 2 * DAY_MS).await;
    let w = rig.custody.request_withdrawal(&rig.who(0), "ETH", &rig.wallet, UNIT).await.unwrap();
    rig.custody.approve_withdrawal(&w.id, 7, "ops@talat.local").await.unwrap();
    rig.custody.sign_withdrawal(&w.id).await.unwrap();
    assert_eq!(rig.withdrawal_txs(&w.id).await[0].nonce, 1);

    // Cold → hot: more than any cold address holds is refused; 3 ETH is prepared unsigned.
    assert!(matches!(rig.custody.propose_top_up("ETH", 1, 15 * UNIT).await, Err(WithdrawError::Conflict(m)) if m.contains("cold address")));
    let top_up = rig.custody.propose_top_up("ETH", 1, 3 * UNIT).await.unwrap();
    assert_eq!((top_up.kind.as_str(), top_up.destination.as_str(), top_up.inputs.as_str()), ("top_up", hot.as_str(), cold0.as_str()));
    let prepared = decode_unsigned(&bytes_of_hex(&top_up.psbt).unwrap()).unwrap();
    assert_eq!((prepared.to, prepared.value_wei, prepared.nonce, prepared.chain_id), (parse_hex(&hot).unwrap(), 3 * ETH_WEI, 0, CHAIN_ID));
    assert!(
        matches!(rig.custody.propose_top_up("ETH", 1, UNIT).await, Err(WithdrawError::Conflict(_))),
        "the only funded cold address has a prepared transaction open: a second would take its nonce"
    );
    let signed = sign_offline(0, &top_up.psbt);
    assert!(matches!(rig.custody.broadcast_sweep(top_up.id, &signed.raw_hex()).await, Err(WithdrawError::Conflict(_))), "not before approval");
    assert!(matches!(rig.custody.approve_transfer(top_up.id, 1).await, Err(WithdrawError::Conflict(_))), "not by the proposer");
    assert_eq!(rig.custody.approve_transfer(top_up.id, 2).await.unwrap().status, "approved");
    let tampered = [
        ("value", sign_as(&cold_signer(0), &Eip1559Tx { value_wei: 4 * ETH_WEI, ..prepared.clone() })),
        ("to", sign_as(&cold_signer(0), &Eip1559Tx { to: parse_hex(&rig.wallet).unwrap(), ..prepared.clone() })),
        ("signed by", sign_as(&cold_signer(1), &prepared)),
        ("signed by", sign_as(&LocalEvmSigner::generate().unwrap().0, &prepared)),
    ];
    for (words, bad) in tampered {
        match rig.custody.broadcast_sweep(top_up.id, &bad.raw_hex()).await {
            Err(WithdrawError::Conflict(m)) => assert!(m.contains(words), "{m:?} should say {words:?}"),
            other => panic!("a tampered transaction ({words}) was not refused: {other:?}"),
        }
        assert!(!rig.node.rpc().knows(&bad.txid_hex()).await.unwrap(), "nothing reached the node");
    }
    assert_eq!(rig.exchange.gateway.store.as_ref().unwrap().custody_sweep(top_up.id).await.unwrap().unwrap().status, "approved", "nor changed");
    let before = rig.eth_balance(&hot).await;
    assert_eq!(rig.custody.broadcast_sweep(top_up.id, &signed.raw_hex()).await.unwrap().status, "broadcast");
    rig.node.mine(1).await.unwrap();
    assert_eq!(rig.eth_balance(&hot).await - before, 3 * ETH_WEI, "the top-up arrived");
    let cold_after = rig.custody.cold_balance("ETH").await.unwrap().unwrap().units;
    assert!(cold_after < 11 * UNIT && cold_after > 11 * UNIT - UNIT / 1_000, "the cold address paid 3 ETH and the gas: {cold_after}");

    // A token: the excess to cold (the gas in the hot wallet's ETH), and a top-up whose gas
    // the cold address pays in ETH.
    let hot_ttt = rig.fund_hot("TTT-ERC20", ETH_WEI, 20 * ETH_WEI).await;
    let to_cold = rig.custody.propose_to_cold("TTT-ERC20", 1, None).await.unwrap();
    assert_eq!(to_cold.send_units, 14 * UNIT);
    assert_eq!(rig.custody.approve_transfer(to_cold.id, 2).await.unwrap().status, "broadcast");
    rig.node.mine(1).await.unwrap();
    assert_eq!(rig.token_balance(&cold0).await, 14 * ETH_WEI);
    assert_eq!(rig.custody.cold_balance("TTT-ERC20").await.unwrap().unwrap().units, 14 * UNIT);
    assert_eq!(rig.custody.hot_balance("TTT-ERC20").await.unwrap().units, 6 * UNIT, "tokens exactly: the gas was ETH");
    let top_up = rig.custody.propose_top_up("TTT-ERC20", 1, 2 * UNIT).await.unwrap();
    rig.custody.approve_transfer(top_up.id, 2).await.unwrap();
    let signed = sign_offline(0, &top_up.psbt);
    assert_eq!(rig.custody.broadcast_sweep(top_up.id, &signed.raw_hex()).await.unwrap().status, "broadcast");
    rig.node.mine(1).await.unwrap();
    assert_eq!(rig.token_balance(&hot_ttt).await, 8 * ETH_WEI, "6 left hot and 2 topped up");
    assert_eq!(rig.custody.cold_balance("TTT-ERC20").await.unwrap().unwrap().units, 12 * UNIT);
    rig.exchange.stop().await;
}

/// A token withdrawal whose transfer reverts on chain (the hot wallet's token balance is gone
/// by the time it is mined: here its storage slot is zeroed on the node) keeps its hold; one
/// staff member proposes releasing it, a different one approves, and only then does the
/// engine return the hold to the customer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reverted_withdrawal_keeps_its_hold_until_two_staff_members_release_it() {
    let rig = Rig::start().await;
    rig.seed(1, "TTT", 10 * UNIT).await;
    let hot = rig.fund_hot("TTT-ERC20", ETH_WEI, 50 * ETH_WEI).await;
    rig.whitelist(1, "TTT-ERC20", &rig.wallet, rig.now() - 2 * DAY_MS).await;
    let w = rig.custody.request_withdrawal(&rig.who(1), "TTT-ERC20", &rig.wallet, 5 * UNIT).await.unwrap();
    rig.custody.approve_withdrawal(&w.id, 7, "ops@talat.local").await.unwrap();
    rig.custody.process_withdrawals("TTT-ERC20").await.unwrap();
    assert_eq!(rig.custody.withdrawal(&w.id).await.unwrap().status, "broadcast");
    assert!(
        matches!(rig.custody.propose_reverted_release(&w.id, 7, "not mined yet").await, Err(WithdrawError::Conflict(_))),
        "nothing mined: nothing to release"
    );

    // balanceOf is the token's storage slot 1: the hot wallet's entry is keccak(hot . 1).
    let mut key = [0u8; 64];
    key[12..32].copy_from_slice(&parse_hex(&hot).unwrap());
    key[63] = 1;
    let slot = format!("0x{}", hex::encode(keccak256(&key)));
    let _: serde_json::Value = rig.node.call("anvil_setStorageAt", serde_json::json!([rig.token, slot, format!("0x{}", "0".repeat(64))])).await.unwrap();
    assert_eq!(rig.token_balance(&hot).await, 0);
    rig.node.mine(3).await.unwrap();
    assert_eq!(rig.custody.process_withdrawals("TTT-ERC20").await.unwrap(), 0);
    let txid = rig.withdrawal_txs(&w.id).await[0].txid.clone();
    assert_eq!(rig.node.rpc().receipt(&txid).await.unwrap().map(|r| r.success), Some(false), "mined and reverted");
    let stuck = rig.custody.withdrawal(&w.id).await.unwrap();
    assert_eq!(stuck.status, "broadcast");
    assert!(stuck.reason.as_deref().is_some_and(|r| r.contains("reverted")), "{stuck:?}");
    assert_eq!(rig.balance(1, "TTT"), (5 * UNIT, 5 * UNIT), "the hold stays");

    // Four eyes: a reason is required, one open proposal, not approved by its proposer.
    assert!(matches!(rig.custody.propose_reverted_release(&w.id, 7, "  ").await, Err(WithdrawError::Conflict(_))));
    assert!(matches!(rig.custody.propose_reverted_release("no-such-id", 7, "why").await, Err(WithdrawError::NotFound(_))));
    assert!(matches!(rig.custody.approve_reverted_release(&w.id, 8).await, Err(WithdrawError::NotFound(_))), "nothing proposed yet");
    let release = rig.custody.propose_reverted_release(&w.id, 7, "the hot wallet had no tokens when it was mined").await.unwrap();
    assert_eq!(release.txid, txid);
    assert!(matches!(rig.custody.propose_reverted_release(&w.id, 9, "again").await, Err(WithdrawError::Conflict(_))));
    assert!(matches!(rig.custody.approve_reverted_release(&w.id, 7).await, Err(WithdrawError::Conflict(m)) if m.contains("proposed")));
    assert_eq!(rig.balance(1, "TTT"), (5 * UNIT, 5 * UNIT), "still held");
    let released = rig.custody.approve_reverted_release(&w.id, 8).await.unwrap();
    assert_eq!(released.status, "rejected");
    assert!(released.reason.as_deref().is_some_and(|r| r.contains(&txid) && r.contains("staff 7 and 8")), "audited in the row: {released:?}");
    assert_eq!(rig.balance(1, "TTT"), (10 * UNIT, 0), "the hold is back with the customer");
    assert!(matches!(rig.custody.approve_reverted_release(&w.id, 9).await, Err(WithdrawError::Conflict(_))), "released once");
    rig.custody.process_withdrawals("TTT-ERC20").await.unwrap();
    assert_eq!(rig.custody.withdrawal(&w.id).await.unwrap().status, "rejected");
    assert_eq!(rig.balance(1, "TTT"), (10 * UNIT, 0));
    rig.exchange.stop().await;
}

/// BIP-32 test vector 1's master private key: TEST_XPUB's own (public, fine for a test chain).
const TEST_XPRV: &str = "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi";

/// The deposit key's signer for the deposit address `address` (searched among the first 20).
fn deposit_signer(address: &str) -> LocalEvmSigner {
    use bitcoin::bip32::{ChildNumber, Xpriv};
    use std::str::FromStr;
    let master = Xpriv::from_str(TEST_XPRV).unwrap();
    let secp = bitcoin::secp256k1::Secp256k1::new();
    (0..20)
        .map(|index| {
            let child = master.derive_priv(&secp, &[ChildNumber::Normal { index: 0 }, ChildNumber::Normal { index }]).unwrap();
            LocalEvmSigner::from_hex(&hex::encode(child.private_key.secret_bytes())).unwrap()
        })
        .find(|s| to_lower_hex(&s.address()) == address)
        .expect("a deposit address of the test key")
}

/// Sweeps of deposit addresses: ETH's balance less its gas, and a token's whole balance once
/// the hot wallet (after a second approval) has sent the address the gas, each an unsigned
/// transaction the offline deposit key signs, broadcast only if it is exactly that one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deposit_addresses_are_swept_through_offline_signed_transactions_with_gas_topped_up() {
    let rig = Rig::start().await;
    let eth = rig.custody.evm_watcher("ETH", Some(0)).unwrap();
    let ttt = rig.custody.evm_watcher("TTT-ERC20", Some(0)).unwrap();
    let a0 = rig.address(0, "ETH").await.to_ascii_lowercase();
    assert!(matches!(rig.custody.propose_sweep("ETH", 1).await, Err(WithdrawError::Conflict(_))), "nothing credited yet");
    rig.node.send_eth(1, &a0, 2 * ETH_WEI).await.unwrap();
    rig.node.send_token(0, &rig.token, &a0, 3 * ETH_WEI).await.unwrap();
    rig.node.mine(3).await.unwrap();
    assert_eq!(eth.pass().await.unwrap().credited + ttt.pass().await.unwrap().credited, 2);
    let (_, hot_eth) = rig.custody.evm_hot_signer(rig.custody.network("ETH").unwrap()).await.unwrap();

    // ETH: one transaction from the deposit address, its balance less the most its gas costs.
    let sweeps = rig.custody.propose_sweeps("ETH", 1).await.unwrap();
    assert_eq!(sweeps.len(), 1, "no gas top-up for ETH: {sweeps:?}");
    let sweep = &sweeps[0];
    let prepared = decode_unsigned(&bytes_of_hex(&sweep.psbt).unwrap()).unwrap();
    assert_eq!(
        (sweep.inputs.as_str(), sweep.destination.as_str(), prepared.to, prepared.nonce),
        (a0.as_str(), hot_eth.as_str(), parse_hex(&hot_eth).unwrap(), 0)
    );
    assert_eq!(prepared.value_wei + prepared.max_gas_cost_wei(), 2 * ETH_WEI, "everything but the gas");
    assert!(matches!(rig.custody.propose_sweep("ETH", 1).await, Err(WithdrawError::Conflict(_))), "the address has a sweep open");
    let key = deposit_signer(&a0);
    let signed = sign_as(&key, &prepared);
    assert!(matches!(rig.custody.broadcast_sweep(sweep.id, &signed.raw_hex()).await, Err(WithdrawError::Conflict(_))), "not before approval");
    assert!(matches!(rig.custody.approve_transfer(sweep.id, 1).await, Err(WithdrawError::Conflict(_))), "not by the proposer");
    assert_eq!(rig.custody.approve_transfer(sweep.id, 2).await.unwrap().status, "approved");
    let elsewhere = sign_as(&key, &Eip1559Tx { to: parse_hex(&rig.wallet).unwrap(), ..prepared.clone() });
    assert!(matches!(rig.custody.broadcast_sweep(sweep.id, &elsewhere.raw_hex()).await, Err(WithdrawError::Conflict(m)) if m.contains("to")));
    assert!(!rig.node.rpc().knows(&elsewhere.txid_hex()).await.unwrap(), "nothing sent");
    assert_eq!(rig.custody.broadcast_sweep(sweep.id, &signed.raw_hex()).await.unwrap().status, "broadcast");
    rig.node.mine(1).await.unwrap();
    assert_eq!(rig.eth_balance(&hot_eth).await, prepared.value_wei, "the hot wallet received the sweep");

    // The token: the deposit address has too little ETH left for the transfer's gas, so the
    // proposal carries a gas top-up from the token network's hot wallet.
    let hot_ttt = rig.fund_hot("TTT-ERC20", ETH_WEI, 0).await;
    let sweeps = rig.custody.propose_sweeps("TTT-ERC20", 1).await.unwrap();
    assert_eq!(sweeps.iter().map(|s| s.kind.as_str()).collect::<Vec<_>>(), ["sweep", "gas"], "{sweeps:?}");
    let (sweep, gas) = (&sweeps[0], &sweeps[1]);
    let prepared = decode_unsigned(&bytes_of_hex(&sweep.psbt).unwrap()).unwrap();
    assert_eq!((prepared.to, prepared.value_wei, sweep.send_units), (parse_hex(&rig.token).unwrap(), 0, 3 * UNIT));
    assert_eq!(prepared.data, talat_custody::evm::tx::erc20_transfer_data(&parse_hex(&hot_ttt).unwrap(), 3 * ETH_WEI), "transfer(hot, balance)");
    let left_wei = rig.eth_balance(&a0).await;
    assert_eq!((gas.destination.as_str(), u128::from(gas.send_units)), (a0.as_str(), prepared.max_gas_cost_wei() - left_wei), "exactly the missing gas");
    assert!(rig.withdrawal_txs(&talat_store::evm_transfer_owner(gas.id)).await.is_empty(), "nothing sent before approval");
    assert_eq!(rig.custody.approve_transfer(sweep.id, 2).await.unwrap().status, "approved");
    let gas_row = rig.exchange.gateway.store.as_ref().unwrap().custody_sweep(gas.id).await.unwrap().unwrap();
    assert_eq!((gas_row.status.as_str(), gas_row.approved_by), ("broadcast", Some(2)), "approved with the sweep and sent by talat");
    rig.node.mine(1).await.unwrap();
    assert_eq!(rig.eth_balance(&a0).await, prepared.max_gas_cost_wei(), "the address now holds its gas");
    let signed = sign_as(&key, &prepared);
    let stranger = sign_as(&cold_signer(0), &prepared);
    assert!(matches!(rig.custody.broadcast_sweep(sweep.id, &stranger.raw_hex()).await, Err(WithdrawError::Conflict(m)) if m.contains("signed by")));
    assert!(matches!(rig.custody.broadcast_sweep(gas.id, &signed.raw_hex()).await, Err(WithdrawError::Conflict(_))), "a gas top-up takes no outside signature");
    assert_eq!(rig.custody.broadcast_sweep(sweep.id, &signed.raw_hex()).await.unwrap().status, "broadcast");
    rig.node.mine(1).await.unwrap();
    assert_eq!((rig.token_balance(&hot_ttt).await, rig.token_balance(&a0).await), (3 * ETH_WEI, 0), "swept whole");
    rig.exchange.stop().await;
}

/// Proof of reserves' assets side on Ethereum: hot and cold balances of ETH and the token, the
/// unswept deposit addresses', and the hot key's EIP-191 signature of the message — the same
/// bytes anvil's own `personal_sign` makes for a key, and one a cold key signs offline checks
/// against its cold address and no other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserves_list_hot_cold_and_deposits_with_eip191_signatures() {
    use talat_custody::evm::message::{sign_personal, verify_personal};
    let rig = Rig::start().await;
    // anvil signs personal messages for its unlocked account 0, whose key is published.
    let dev = LocalEvmSigner::from_hex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80").unwrap();
    assert_eq!(to_lower_hex(&dev.address()), rig.node.accounts[0]);
    let message = "talat proof of reserves: report 7, root 00ff, as of 2026-12-06";
    let by_node: String = rig.node.call("personal_sign", serde_json::json!([format!("0x{}", hex::encode(message)), rig.node.accounts[0]])).await.unwrap();
    assert_eq!(sign_personal(&dev, message).unwrap(), by_node, "our EIP-191 signature is the node's");

    let hot = rig.fund_hot("ETH", 20 * ETH_WEI, 0).await;
    let hot_ttt = rig.fund_hot("TTT-ERC20", ETH_WEI, 4 * ETH_WEI).await;
    let cold0 = to_lower_hex(&cold_signer(0).address());
    rig.node.send_eth(1, &cold0, 7 * ETH_WEI).await.unwrap();
    rig.node.send_token(0, &rig.token, &cold0, 5 * ETH_WEI).await.unwrap();
    let ttt = rig.custody.evm_watcher("TTT-ERC20", Some(0)).unwrap();
    let a0 = rig.address(0, "TTT-ERC20").await.to_ascii_lowercase();
    rig.node.send_token(0, &rig.token, &a0, 2 * ETH_WEI).await.unwrap();
    rig.node.mine(3).await.unwrap();
    assert_eq!(ttt.pass().await.unwrap().credited, 1);

    let reserves = rig.custody.reserves(message).await.unwrap();
    let eth = reserves.iter().find(|r| r.network == "ETH").unwrap();
    assert_eq!((eth.hot_address.as_str(), eth.hot_units, eth.cold_units, eth.deposit_units), (hot.as_str(), 20 * UNIT, Some(7 * UNIT), 0));
    assert_eq!((eth.scheme.as_str(), eth.cold.len(), eth.cold[0].address.as_str()), ("eip191", 1, cold0.as_str()));
    assert!(verify_personal(&eth.hot_address, message, &eth.signature));
    assert!(!verify_personal(&eth.hot_address, "another message", &eth.signature));
    let token = reserves.iter().find(|r| r.network == "TTT-ERC20").unwrap();
    assert_eq!((token.hot_address.as_str(), token.hot_units, token.cold_units, token.deposit_units), (hot_ttt.as_str(), 4 * UNIT, Some(5 * UNIT), 2 * UNIT));
    assert_eq!(token.total_units(), u128::from(11 * UNIT));
    assert!(verify_personal(&token.hot_address, message, &token.signature));
    assert!(!verify_personal(&eth.hot_address, message, &token.signature), "each network's own hot key");

    // Cold control, checked as the console checks it: the cold key's own signature only.
    let config = &rig.custody.network("ETH").unwrap().config;
    let by_cold = sign_personal(&cold_signer(0), message).unwrap();
    assert!(talat_custody::reserves::verify_control(config, &cold0, message, &by_cold));
    assert!(!talat_custody::reserves::verify_control(config, &cold0, message, &sign_personal(&cold_signer(1), message).unwrap()));
    assert!(!talat_custody::reserves::verify_control(config, &to_lower_hex(&cold_signer(1).address()), message, &by_cold));
    rig.exchange.stop().await;
}
