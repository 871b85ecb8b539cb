//! Crypto funding in `talat serve`: the custody service over the networks `[custody]` names,
//! or, in the demo, over the demo's own chains — a regtest litecoind (LTC) and an anvil node
//! (ETH), each started when its binary is on this machine (`scripts/custody-env` installs both),
//! kept under the data directory, with blocks on a timer and the console's faucet paying from
//! the node's own funds. Without either binary crypto funding is off and the banner says why.

use crate::serve::ServeConfig;
use std::path::Path;
use std::sync::Arc;
use talat_custody::evm::anvil::AnvilNode;
use talat_custody::network::NetworkConfig;
use talat_custody::regtest::RegtestNode;
use talat_gateway::auth::MasterKey;

/// The demo's chains that started, with the networks they carry.
#[derive(Default)]
struct DemoChains {
    networks: Vec<NetworkConfig>,
    litecoin: Option<Arc<RegtestNode>>,
    ethereum: Option<Arc<AnvilNode>>,
}

/// The custody service and its watchers (the demo's chains first, when the demo runs them).
pub async fn start(
    config: &ServeConfig,
    data_dir: &Path,
    master: &MasterKey,
    store: &talat_store::Store,
    gateway: &talat_gateway::AppState,
    notes: &mut Vec<String>,
) -> Result<Option<Arc<talat_custody::Custody>>, String> {
    let demo = if demo_chains_wanted(config, notes) { Some(start_demo_chains(config, data_dir, master, notes).await) } else { None };
    let demo_config = demo.as_ref().filter(|d| !d.networks.is_empty()).map(|d| talat_custody::CustodyConfig { networks: d.networks.clone() });
    if demo.is_some() && demo_config.is_none() {
        return Ok(None);
    }
    let Some(custody) = start_custody(config, demo_config.as_ref(), store, gateway, notes)? else { return Ok(None) };
    if let Some(chains) = demo {
        if let Some(node) = chains.litecoin {
            custody.demo_node.set(Arc::clone(&node)).map_err(|_| "the demo chain is set already")?;
            notes.push(format!(
                "crypto funding: LTC on a local regtest litecoind (a block every {} ms; the console's Crypto custody page has a faucet)",
                config.demo.chain_block_ms
            ));
            spawn_litecoin_miner(Arc::clone(&custody), node, config.demo.chain_block_ms);
        }
        if let Some(node) = chains.ethereum {
            custody.demo_evm.set(Arc::clone(&node)).map_err(|_| "the demo's Ethereum node is set already")?;
            notes.push(format!("crypto funding: ETH on a local anvil node (a block every {} s; the faucet pays ETH too)", eth_block_s(config)));
            // Off the start path: the banner need not wait for the node's answers.
            let (filler, tracked) = (Arc::clone(&custody), Arc::clone(&custody));
            let task = tokio::spawn(async move { fill_ethereum_hot_wallet(&filler, &node).await });
            tracked.track(&task);
        }
    }
    Ok(Some(custody))
}

/// Whether the demo runs chains of its own: the demo is on, `[custody]` names no network,
/// `[demo] crypto` is on, and this node is not one of a replicated pair.
fn demo_chains_wanted(config: &ServeConfig, notes: &mut Vec<String>) -> bool {
    if !config.demo.enabled || !config.custody.networks.is_empty() {
        return false;
    }
    if !config.demo.crypto {
        notes.push("crypto funding: off ([demo] crypto = false)".into());
        return false;
    }
    // Each node of a replicated pair would run a chain of its own, and the pair would disagree
    // about deposits; a drill's nodes also need their cores for the failover they measure.
    let c = &config.continuity;
    if c.replication_listen.is_some() || c.peer.is_some() || c.etcd.is_some() {
        notes.push("crypto funding: off (the demo's own chains run on a single node only)".into());
        return false;
    }
    true
}

/// The demo's Ethereum block time: half the Litecoin chain's, at least a second (ETH waits 12
/// confirmations where LTC waits 3).
fn eth_block_s(config: &ServeConfig) -> u64 {
    (config.demo.chain_block_ms / 2_000).max(1)
}

/// Starts whichever of the demo's chains can start. Deposit keys (and the cold wallets') come
/// from the master key, so they are the same after a restart, and only their public halves are
/// ever formed.
async fn start_demo_chains(config: &ServeConfig, data_dir: &Path, master: &MasterKey, notes: &mut Vec<String>) -> DemoChains {
    let mut chains = DemoChains::default();
    match start_litecoin(config, data_dir, master).await {
        Ok((network, node)) => {
            chains.networks.push(network);
            chains.litecoin = Some(node);
        }
        Err(why) => notes.push(format!("crypto funding: LTC off ({why})")),
    }
    match start_ethereum(config, data_dir, master).await {
        Ok((network, node)) => {
            chains.networks.push(network);
            chains.ethereum = Some(node);
        }
        Err(why) => notes.push(format!("crypto funding: ETH off ({why})")),
    }
    chains
}

async fn start_litecoin(config: &ServeConfig, data_dir: &Path, master: &MasterKey) -> Result<(NetworkConfig, Arc<RegtestNode>), String> {
    if talat_custody::regtest::find_litecoind().is_none() {
        return Err("litecoind not found; scripts/custody-env installs it".into());
    }
    let node = RegtestNode::start_in(&data_dir.join("chain"), true).await.map_err(|e| format!("the demo chain did not start: {e}"))?;
    let xpub = talat_custody::keys::demo_xpub(&master.derive("demo-deposit-key")).map_err(|e| e.to_string())?;
    let mut network = NetworkConfig::litecoin(&node.rpc_url, talat_custody::regtest::RPC_USER, &node.rpc_password, &xpub, "rltc");
    network.poll_ms = config.demo.chain_block_ms.clamp(500, 60_000);
    // A cold wallet too, so the console's transfers to cold and top-ups can be tried.
    network.cold_xpub = talat_custody::keys::demo_xpub(&master.derive("demo-cold-key")).map_err(|e| e.to_string())?;
    Ok((network, Arc::new(node)))
}

async fn start_ethereum(config: &ServeConfig, data_dir: &Path, master: &MasterKey) -> Result<(NetworkConfig, Arc<AnvilNode>), String> {
    if talat_custody::evm::anvil::find_anvil().is_none() {
        return Err("anvil not found; scripts/custody-env installs it".into());
    }
    let node = AnvilNode::start_in(&data_dir.join("ethereum"), eth_block_s(config)).await.map_err(|e| format!("the demo's anvil did not start: {e}"))?;
    let xpub = talat_custody::keys::demo_xpub(&master.derive("demo-eth-deposit-key")).map_err(|e| e.to_string())?;
    let mut network = NetworkConfig::ethereum(&node.rpc_url, &xpub, talat_custody::evm::anvil::CHAIN_ID);
    network.poll_ms = (eth_block_s(config) * 1_000).clamp(500, 60_000);
    Ok((network, Arc::new(node)))
}

/// Mines the demo chain's blocks, so deposits confirm and withdrawals settle, after filling the
/// hot wallet from the faucet (20 LTC) when it holds less than 10 LTC (withdrawals pay from it).
fn spawn_litecoin_miner(custody: Arc<talat_custody::Custody>, node: Arc<RegtestNode>, every_ms: u64) {
    let tracked = Arc::clone(&custody);
    let task = tokio::spawn(async move {
        if let Some(network) = custody.networks.iter().find(|n| !n.config.is_evm()) {
            match custody.hot_signer(network).await {
                Ok((_, hot)) => {
                    let held: u64 = node.rpc().unspent(&hot).await.map(|u| u.iter().map(|u| u.units).sum()).unwrap_or(0);
                    if held < 10 * 100_000_000 {
                        // 20: the first mature coinbase pays 50, and the send pays a fee.
                        if let Err(e) = node.send(&hot, "20").await {
                            tracing::warn!("demo chain: could not fill the hot wallet: {e}");
                        }
                    }
                }
                Err(e) => tracing::warn!("demo chain: no hot wallet: {e}"),
            }
        }
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(every_ms.max(200)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = node.mine(1).await {
                tracing::warn!("demo chain: mining failed: {e}");
            }
        }
    });
    tracked.track(&task);
}

/// 10 ETH in wei: the demo's hot wallet is topped up to twice this when it holds less.
const DEMO_HOT_FLOOR_WEI: u128 = 10 * 1_000_000_000_000_000_000;

/// The demo's ETH hot wallet gets 20 ETH from a development account when it holds under 10
/// (withdrawals pay from it); anvil mines the transfer on its own timer.
async fn fill_ethereum_hot_wallet(custody: &talat_custody::Custody, node: &AnvilNode) {
    let Some(network) = custody.networks.iter().find(|n| n.config.is_evm()) else { return };
    let hot = match custody.evm_hot_signer(network).await {
        Ok((_, hot)) => hot,
        Err(e) => return tracing::warn!("demo ethereum: no hot wallet: {e}"),
    };
    let held = match talat_custody::evm::address::parse_hex(&hot) {
        Some(address) => node.rpc().balance_wei(&address).await.unwrap_or(0),
        None => return tracing::warn!("demo ethereum: the hot wallet's address {hot} does not parse"),
    };
    if held < DEMO_HOT_FLOOR_WEI {
        if let Err(e) = node.send_eth(0, &hot, 2 * DEMO_HOT_FLOOR_WEI).await {
            tracing::warn!("demo ethereum: could not fill the hot wallet: {e}");
        }
    }
}
/// The custody service and its chain watchers, when `[custody]` (or the demo chain) names
/// networks.
fn start_custody(
    config: &ServeConfig,
    demo: Option<&talat_custody::CustodyConfig>,
    store: &talat_store::Store,
    gateway: &talat_gateway::AppState,
    notes: &mut Vec<String>,
) -> Result<Option<Arc<talat_custody::Custody>>, String> {
    let networks = demo.unwrap_or(&config.custody);
    if networks.networks.is_empty() {
        return Ok(None);
    }
    let custody = Arc::new(talat_custody::Custody::new(networks, store.clone(), Arc::clone(gateway)).map_err(|e| format!("[custody]: {e}"))?);
    for n in &custody.networks {
        if gateway.read.asset_id(&n.config.asset).is_none() {
            // A demo data directory made before the demo listed LTC runs on without it.
            if demo.is_some() {
                notes.push(format!("crypto funding: off ({} is not listed in this data directory, made before the demo listed it)", n.config.asset));
                return Ok(None);
            }
            return Err(format!("[custody]: network {} books {}, which is not listed on this exchange", n.config.network, n.config.asset));
        }
        let scale = gateway.read.assets().iter().find(|a| a.code == n.config.asset).map(|a| a.scale);
        if scale != Some(n.config.engine_decimals) {
            return Err(format!(
                "[custody]: network {} says engine_decimals = {}, but {} is listed with scale {scale:?}",
                n.config.network, n.config.engine_decimals, n.config.asset
            ));
        }
    }
    custody.spawn_watchers();
    tracing::info!(networks = custody.networks.len(), "custody: deposit watchers started");
    Ok(Some(custody))
}
