//! The custody service one server runs: its networks, each with its address book, and the
//! customer-facing operations both HTTP surfaces share (an address per customer and network,
//! the deposit list, the coins list).

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
}

impl Custody {
    pub fn new(config: &CustodyConfig, store: Store, gateway: Arc<Gateway>) -> Result<Custody, CustodyError> {
        let mut networks = Vec::new();
        for n in &config.networks {
            n.validate().map_err(CustodyError::Config)?;
            if networks.iter().any(|m: &Network| m.config.network == n.network) {
                return Err(CustodyError::Config(format!("network {} is configured twice", n.network)));
            }
            networks.push(Network { addresses: AddressBook::new(&n.deposit_xpub, &n.hrp)?, config: n.clone() });
        }
        Ok(Custody { networks, store, gateway, demo_node: Default::default() })
    }

    pub fn network(&self, id: &str) -> Result<&Network, CustodyError> {
        self.networks.iter().find(|n| n.config.network.eq_ignore_ascii_case(id)).ok_or_else(|| CustodyError::UnknownNetwork(id.into()))
    }

    /// The networks that carry `asset`.
    pub fn networks_of(&self, asset: &str) -> Vec<&Network> {
        self.networks.iter().filter(|n| n.config.asset.eq_ignore_ascii_case(asset)).collect()
    }

    /// The customer's deposit address on `network`, derived on first use.
    pub async fn address_for(&self, user_id: u64, network: &str) -> Result<CustodyAddressRow, CustodyError> {
        let n = self.network(network)?;
        if !n.config.deposit_enable {
            return Err(CustodyError::DepositsDisabled(n.config.network.clone()));
        }
        let book = &n.addresses;
        let assigned = self
            .store
            .assign_custody_address(user_id, &n.config.network, self.gateway.now_ms(), |index| book.address(index).map_err(|e| e.to_string()))
            .await?;
        assigned.map_err(CustodyError::Config)
    }

    /// A watcher for `network` over its node's RPC.
    pub fn watcher(&self, network: &str, start_height: Option<u64>) -> Result<Watcher<BitcoinRpc>, CustodyError> {
        let n = &self.network(network)?.config;
        let rpc = BitcoinRpc::new(&n.rpc_url, &n.rpc_user, &n.rpc_password, n.decimals);
        Ok(Watcher::new(n.clone(), rpc, self.store.clone(), Arc::clone(&self.gateway), start_height))
    }

    /// Runs every network's deposit watcher and withdrawal pass on its own timer, beating
    /// `deposits-<network>` and `withdrawals-<network>` on the status page after each good
    /// pass. A deep reorg stops that watcher (the status page shows it stopped); a node that
    /// cannot be reached is retried on the next tick.
    pub fn spawn_watchers(self: &Arc<Self>) {
        for n in &self.networks {
            let Ok(watcher) = self.watcher(&n.config.network, None) else { continue };
            let gateway = Arc::clone(&self.gateway);
            let custody = Arc::clone(self);
            let network = n.config.network.clone();
            let component = format!("deposits-{}", n.config.network.to_ascii_lowercase());
            let outgoing = format!("withdrawals-{}", n.config.network.to_ascii_lowercase());
            let every = Duration::from_millis(n.config.poll_ms);
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
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
            });
        }
    }
}
