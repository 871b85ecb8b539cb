//! The custody service one server runs: its networks, each with its address book, and the
//! customer-facing operations both HTTP surfaces share (an address per customer and network,
//! the deposit list, the coins list).

use crate::chain::Chain;
use crate::evm::rpc::EvmRpc;
use crate::keys::{AddressBook, KeyError};
use crate::network::NetworkConfig;
use crate::rpc::BitcoinRpc;
use crate::watcher::Watcher;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use talat_gateway::gateway::Gateway;
use talat_store::{CustodyAddressRow, Store, StoreError};

/// `[custody]` in talat.toml.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CustodyConfig {
    pub networks: Vec<NetworkConfig>,
}

pub struct Network {
    pub config: NetworkConfig,
    pub addresses: AddressBook,
}

impl Network {
    /// Whether `address` (as typed) is a valid destination on this network: a SegWit address
    /// of its human-readable part, or on Ethereum `0x` + 40 hex digits whose mixed case, if
    /// any, is EIP-55's checksum (and not the zero address, which burns what it receives).
    pub fn valid_destination(&self, address: &str) -> bool {
        let address = address.trim();
        if self.config.is_evm() {
            crate::evm::address::parse_destination(address).is_some_and(|a| !crate::evm::address::is_zero(&a))
        } else {
            crate::hot::script_of_address(&address.to_ascii_lowercase(), &self.config.hrp).is_some()
        }
    }

    /// An address as customers are shown it: EIP-55 checksummed on Ethereum, as stored otherwise.
    pub fn display_address(&self, stored: &str) -> String {
        match crate::evm::address::parse_hex(stored) {
            Some(a) if self.config.is_evm() => crate::evm::address::to_checksum(&a),
            _ => stored.to_string(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CustodyError {
    #[error("network {0} is not served here")]
    UnknownNetwork(String),
    #[error("deposits on {0} are disabled")]
    DepositsDisabled(String),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("the store failed: {0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Config(String),
}

pub struct Custody {
    pub networks: Vec<Network>,
    pub store: Store,
    pub gateway: Arc<Gateway>,
    /// The demo's own regtest node, whose wallet the console's faucet pays from.
    pub demo_node: std::sync::OnceLock<Arc<crate::regtest::RegtestNode>>,
    /// The demo's own anvil node, whose development accounts the faucet pays ETH from.
    pub demo_evm: std::sync::OnceLock<Arc<crate::evm::anvil::AnvilNode>>,
    /// The background tasks (each network's timer, the demo's miner), stopped by [`Custody::stop`].
    tasks: std::sync::Mutex<Vec<tokio::task::AbortHandle>>,
}

impl Custody {
    pub fn new(config: &CustodyConfig, store: Store, gateway: Arc<Gateway>) -> Result<Custody, CustodyError> {
        let mut networks = Vec::new();
        for n in &config.networks {
            n.validate().map_err(CustodyError::Config)?;
            if networks.iter().any(|m: &Network| m.config.network == n.network) {
                return Err(CustodyError::Config(format!("network {} is configured twice", n.network)));
            }
            // Networks of one chain share their addresses, so they must derive them alike.
            if let Some(m) =
                networks.iter().find(|m: &&Network| m.config.address_scope() == n.address_scope() && m.config.deposit_xpub.trim() != n.deposit_xpub.trim())
            {
                return Err(CustodyError::Config(format!(
                    "networks {} and {} are on one chain and share addresses: give them the same deposit_xpub",
                    m.config.network, n.network
                )));
            }
            let addresses = if n.is_evm() { AddressBook::evm(&n.deposit_xpub)? } else { AddressBook::new(&n.deposit_xpub, &n.hrp)? };
            networks.push(Network { addresses, config: n.clone() });
        }
        Ok(Custody { networks, store, gateway, demo_node: Default::default(), demo_evm: Default::default(), tasks: Default::default() })
    }

    pub fn network(&self, id: &str) -> Result<&Network, CustodyError> {
        self.networks.iter().find(|n| n.config.network.eq_ignore_ascii_case(id)).ok_or_else(|| CustodyError::UnknownNetwork(id.into()))
    }

    /// The networks that carry `asset`.
    pub fn networks_of(&self, asset: &str) -> Vec<&Network> {
        self.networks.iter().filter(|n| n.config.asset.eq_ignore_ascii_case(asset)).collect()
    }

    /// The customer's deposit address on `network`, derived on first use, as it is shown
    /// (EIP-55 checksummed on Ethereum; stored lower case).
    pub async fn address_for(&self, user_id: u64, network: &str) -> Result<CustodyAddressRow, CustodyError> {
        let n = self.network(network)?;
        if !n.config.deposit_enable {
            return Err(CustodyError::DepositsDisabled(n.config.network.clone()));
        }
        let book = &n.addresses;
        let assigned = self
            .store
            .assign_custody_address(user_id, &n.config.address_scope(), self.gateway.now_ms(), |index| book.address(index).map_err(|e| e.to_string()))
            .await?;
        // Stored under the chain's scope on Ethereum, lower case; the caller asked for this
        // network, and shows the address to a customer.
        assigned
            .map(|row| CustodyAddressRow { network: n.config.network.clone(), address: n.display_address(&row.address), ..row })
            .map_err(CustodyError::Config)
    }

    /// The customer's deposit addresses as shown, one row per configured network that has one
    /// (an Ethereum chain's one address is listed under each of its networks).
    pub async fn addresses_of(&self, user_id: u64) -> Result<Vec<CustodyAddressRow>, CustodyError> {
        let stored = self.store.custody_addresses_of(user_id).await?;
        Ok(self
            .networks
            .iter()
            .filter_map(|n| {
                let scope = n.config.address_scope();
                stored.iter().find(|r| r.network == scope).map(|r| CustodyAddressRow {
                    network: n.config.network.clone(),
                    address: n.display_address(&r.address),
                    ..r.clone()
                })
            })
            .collect())
    }

    /// A watcher for a Bitcoin-family `network` over its node's RPC.
    pub fn watcher(&self, network: &str, start_height: Option<u64>) -> Result<Watcher<BitcoinRpc>, CustodyError> {
        let n = &self.network(network)?.config;
        if n.is_evm() {
            return Err(CustodyError::Config(format!("{network} is an Ethereum-family network: its watcher is evm_watcher's")));
        }
        let rpc = n.bitcoin_rpc();
        Ok(Watcher::new(n.clone(), rpc, self.store.clone(), Arc::clone(&self.gateway), start_height))
    }

    /// A watcher for an Ethereum-family `network` (native ETH or its token) over its node's RPC.
    pub fn evm_watcher(&self, network: &str, start_height: Option<u64>) -> Result<Watcher<EvmRpc>, CustodyError> {
        let n = &self.network(network)?.config;
        if !n.is_evm() {
            return Err(CustodyError::Config(format!("{network} is not an Ethereum-family network")));
        }
        Ok(Watcher::new(n.clone(), EvmRpc::of(n), self.store.clone(), Arc::clone(&self.gateway), start_height))
    }

    /// Re-reads heights `from..=to` of `network` with its family's watcher (see
    /// [`Watcher::rescan`]); returns how many deposits were missing.
    pub async fn rescan(&self, network: &str, from: u64, to: u64) -> Result<usize, CustodyError> {
        let failed = |e: crate::watcher::WatchError| CustodyError::Config(e.to_string());
        if self.network(network)?.config.is_evm() {
            self.evm_watcher(network, None)?.rescan(from, to).await.map_err(failed)
        } else {
            self.watcher(network, None)?.rescan(from, to).await.map_err(failed)
        }
    }

    /// Runs every network's deposit watcher and withdrawal pass on its own timer, beating
    /// `deposits-<network>` and `withdrawals-<network>` on the status page after each good
    /// pass. A deep reorg stops that watcher (the status page shows it stopped); a node that
    /// cannot be reached is retried on the next tick.
    pub fn spawn_watchers(self: &Arc<Self>) {
        for n in &self.networks {
            let network = n.config.network.clone();
            let task = if n.config.is_evm() {
                let Ok(watcher) = self.evm_watcher(&network, None) else { continue };
                tokio::spawn(run_network(Arc::clone(self), network, watcher))
            } else {
                let Ok(watcher) = self.watcher(&network, None) else { continue };
                tokio::spawn(run_network(Arc::clone(self), network, watcher))
            };
            self.track(&task);
        }
    }

    /// Adds a background task [`Custody::stop`] ends.
    pub fn track(&self, task: &tokio::task::JoinHandle<()>) {
        self.tasks.lock().unwrap_or_else(|p| p.into_inner()).push(task.abort_handle());
    }

    /// Ends the background tasks, first thing at shutdown: their chain reads and store writes
    /// would otherwise compete with the store's last projection, and under load keep the
    /// server from stopping. Ending one anywhere is what a crash does, which every step is
    /// built to survive (a block's records commit together; a signed withdrawal is recorded
    /// before it is sent; engine commands are keyed).
    pub fn stop(&self) {
        for task in self.tasks.lock().unwrap_or_else(|p| p.into_inner()).drain(..) {
            task.abort();
        }
        // The demo's Ethereum chain lives in memory until its node writes it out.
        if let Some(node) = self.demo_evm.get() {
            node.terminate();
        }
    }
}

/// One network's timer: the withdrawal pass, then the deposit watcher's pass, each tick. An
/// Ethereum-family network first checks its node is on the configured chain (and its token
/// has the configured decimals); until it is, nothing is read or signed.
async fn run_network<C: Chain + 'static>(custody: Arc<Custody>, network: String, watcher: Watcher<C>) {
    let gateway = Arc::clone(&custody.gateway);
    let component = format!("deposits-{}", network.to_ascii_lowercase());
    let outgoing = format!("withdrawals-{}", network.to_ascii_lowercase());
    let every = Duration::from_millis(watcher.network.poll_ms);
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut checked = !watcher.network.is_evm();
    loop {
        tick.tick().await;
        if !checked {
            match EvmRpc::of(&watcher.network).check(&watcher.network).await {
                Ok(()) => checked = true,
                Err(e) => {
                    tracing::error!("custody {network}: {e}");
                    continue;
                }
            }
        }
        match custody.process_withdrawals(&network).await {
            Ok(_) => gateway.health.beat(&outgoing, every.as_millis() as u64, gateway.now_ms()),
            Err(e) => tracing::warn!("custody {outgoing}: pass failed: {e}"),
        }
        match watcher.pass().await {
            Ok(_) => gateway.health.beat(&component, every.as_millis() as u64, gateway.now_ms()),
            Err(crate::watcher::WatchError::DeepReorg { .. }) => {
                tracing::error!("custody {component}: stopped: deep reorg");
                gateway.health.stopped(&component);
                return;
            }
            Err(e) => tracing::warn!("custody {component}: pass failed: {e}"),
        }
    }
}
