//! A throwaway regtest litecoind (Debian's `litecoind`, Bitcoin Core 0.21's RPC) on free
//! loopback ports, its data in a directory the caller owns, killed on drop: the tests' chain
//! and the demo's. A funded wallet (`faucet`) mines and sends, as a customer's wallet would.
//!
//! A missing binary is an error naming `scripts/custody-env`: a suite that needs the node must
//! fail, not pass by silently not running.

use crate::rpc::BitcoinRpc;
use serde_json::{json, Value};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const START_ATTEMPTS_MAX: u32 = 5;
const READY_TIMEOUT_MS: u64 = 30_000;
const POLL_INTERVAL_MS: u64 = 100;
/// Coinbase outputs mature after 100 blocks: 101 gives the faucet one spendable reward.
pub const MATURITY_BLOCKS: u64 = 101;
pub const RPC_USER: &str = "talat";

pub struct RegtestNode {
    child: Child,
    pub rpc_url: String,
    pub rpc_password: String,
    /// The faucet wallet's RPC (`/wallet/faucet`).
    faucet: BitcoinRpc,
    node: BitcoinRpc,
    mine_to: String,
}

/// `litecoind` in PATH, else in /usr/bin (where Debian's package puts it).
pub fn find_litecoind() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).chain([PathBuf::from("/usr/bin")]).map(|dir| dir.join("litecoind")).find(|bin| bin.is_file())
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

impl RegtestNode {
    /// Starts a throwaway node with its data under `dir`, waits for its RPC, makes the faucet
    /// wallet and mines it a spendable reward.
    pub async fn start(dir: &Path) -> Result<RegtestNode, String> {
        RegtestNode::start_in(dir, false).await
    }

    /// [`RegtestNode::start`], or with `keep` the same chain across restarts (the demo's): the
    /// data directory is `dir` itself and the faucet wallet is loaded if it exists.
    pub async fn start_in(dir: &Path, keep: bool) -> Result<RegtestNode, String> {
        let bin = find_litecoind().ok_or("litecoind was not found in PATH or /usr/bin; install it with scripts/custody-env (Debian's litecoind)")?;
        let mut failure = String::new();
        for attempt in 0..START_ATTEMPTS_MAX {
            let data = if keep { dir.to_path_buf() } else { dir.join(format!("litecoind-{attempt}")) };
            std::fs::create_dir_all(&data).map_err(|e| format!("creating {}: {e}", data.display()))?;
            let (rpc_port, p2p_port) = (free_port()?, free_port()?);
            let password = format!("pw{}{attempt}", std::process::id());
            let mut command = Command::new(&bin);
            die_with_parent(&mut command);
            let child = command
                .arg("-regtest")
                .arg(format!("-datadir={}", data.display()))
                .arg(format!("-rpcport={rpc_port}"))
                .arg(format!("-port={p2p_port}"))
                .arg("-rpcbind=127.0.0.1")
                .arg("-rpcallowip=127.0.0.1")
                .arg(format!("-rpcuser={RPC_USER}"))
                .arg(format!("-rpcpassword={password}"))
                .arg("-listen=0")
                .arg("-server=1")
                .arg("-fallbackfee=0.0001")
                .arg("-txindex=1")
                .arg("-printtoconsole=0")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| format!("starting {}: {e}", bin.display()))?;
            let url = format!("http://127.0.0.1:{rpc_port}");
            let node = BitcoinRpc::new(&url, RPC_USER, &password, 8);
            let mut started = RegtestNode {
                child,
                faucet: BitcoinRpc::new(&format!("{url}/wallet/faucet"), RPC_USER, &password, 8),
                node,
                rpc_url: url,
                rpc_password: password,
                mine_to: String::new(),
            };
            match started.wait_ready().await {
                Ok(()) => {
                    if let Err(e) = started.node.call::<Value>("createwallet", json!(["faucet"])).await {
                        // A kept chain has the wallet on disk already.
                        started.node.call::<Value>("loadwallet", json!(["faucet"])).await.map_err(|l| format!("createwallet: {e}; loadwallet: {l}"))?;
                    }
                    started.mine_to = started.faucet.call("getnewaddress", json!(["", "bech32"])).await.map_err(|e| e.to_string())?;
                    let spendable: Box<serde_json::value::RawValue> = started.faucet.call("getbalance", json!([])).await.map_err(|e| e.to_string())?;
                    if crate::chain::parse_units(spendable.get(), 8).unwrap_or(0) < 100_000_000 {
                        started.mine(MATURITY_BLOCKS).await?;
                    }
                    return Ok(started);
                }
                Err(e) => failure = format!("attempt {attempt}: {e}"),
            }
        }
        Err(format!("litecoind did not start: {failure}"))
    }

    async fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_millis(READY_TIMEOUT_MS);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("litecoind exited: {status}"));
            }
            match self.node.call::<u64>("getblockcount", json!([])).await {
                Ok(_) => return Ok(()),
                Err(e) if Instant::now() > deadline => return Err(format!("no RPC answer in {READY_TIMEOUT_MS} ms: {e}")),
                Err(_) => tokio::time::sleep(Duration::from_millis(POLL_INTERVAL_MS)).await,
            }
        }
    }

    /// The node's RPC (no wallet).
    pub fn rpc(&self) -> &BitcoinRpc {
        &self.node
    }

    /// Mines `n` blocks to the faucet; returns their hashes.
    pub async fn mine(&self, n: u64) -> Result<Vec<String>, String> {
        self.node.call("generatetoaddress", json!([n, self.mine_to])).await.map_err(|e| e.to_string())
    }

    /// The faucet pays `amount` (a decimal string of LTC) to `address`; returns the txid.
    pub async fn send(&self, address: &str, amount: &str) -> Result<String, String> {
        let amount: Value = serde_json::from_str(amount).map_err(|e| format!("amount {amount}: {e}"))?;
        self.faucet.call("sendtoaddress", json!([address, amount])).await.map_err(|e| e.to_string())
    }

    /// Reorg tooling: marks a block (and its descendants) invalid, so the node's best chain
    /// goes back to its parent.
    pub async fn invalidate(&self, hash: &str) -> Result<(), String> {
        self.node.call::<Value>("invalidateblock", json!([hash])).await.map(|_| ()).map_err(|e| e.to_string())
    }

    /// A new address of the faucet wallet (a customer's own wallet, as a withdrawal's
    /// destination).
    pub async fn wallet_address(&self) -> Result<String, String> {
        self.faucet.call("getnewaddress", json!(["", "bech32"])).await.map_err(|e| e.to_string())
    }

    /// What the faucet wallet received on `address`, in smallest units, from transactions with
    /// at least `min_confirmations`.
    pub async fn received(&self, address: &str, min_confirmations: u32) -> Result<u64, String> {
        let amount: Box<serde_json::value::RawValue> =
            self.faucet.call("getreceivedbyaddress", json!([address, min_confirmations])).await.map_err(|e| e.to_string())?;
        crate::chain::parse_units(amount.get(), 8).ok_or_else(|| format!("amount {}", amount.get()))
    }

    pub async fn best_hash(&self) -> Result<String, String> {
        self.node.call("getbestblockhash", json!([])).await.map_err(|e| e.to_string())
    }

    /// Mines `n` blocks holding no transaction (`generateblock`): after an `invalidate`, the
    /// reorged-out payments wait in the mempool instead of being mined again.
    pub async fn mine_empty(&self, n: u64) -> Result<Vec<String>, String> {
        let mut hashes = Vec::new();
        for _ in 0..n {
            let block: Value = self.node.call("generateblock", json!([self.mine_to, []])).await.map_err(|e| e.to_string())?;
            hashes.push(block["hash"].as_str().ok_or("generateblock answered no hash")?.to_string());
        }
        Ok(hashes)
    }
}

/// The node dies with the thread that started it (Linux's parent-death signal), so a test or a
/// `talat serve` killed with SIGKILL leaves no node behind holding its ports and data.
#[cfg(target_os = "linux")]
pub(crate) fn die_with_parent(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs in the child between fork and exec and calls only prctl, which
    // is async-signal-safe.
    unsafe {
        command.pre_exec(|| if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == 0 { Ok(()) } else { Err(std::io::Error::last_os_error()) });
    }
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn die_with_parent(_command: &mut Command) {}

impl Drop for RegtestNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
