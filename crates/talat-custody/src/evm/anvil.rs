//! A local Ethereum node: npm's `@foundry-rs/anvil` (installed by `scripts/custody-env` into
//! `target/custody-npm`), on a free loopback port, killed with its parent. For tests a throwaway
//! chain mining only when told (`--no-mining`), killed on drop; for the demo a chain kept on disk
//! with a block on a timer, stopped on drop with SIGTERM so it writes its state. Its development
//! accounts are unlocked and funded: they stand for customers' own wallets
//! (`eth_sendTransaction`) and the demo's faucet.
//!
//! A missing binary is an error naming `scripts/custody-env`: a suite that needs the node must
//! fail, not pass by silently not running.

use super::rpc::EvmRpc;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const CHAIN_ID: u64 = 31_337;
const START_ATTEMPTS_MAX: u32 = 5;
const READY_TIMEOUT_MS: u64 = 20_000;
const POLL_INTERVAL_MS: u64 = 50;

pub struct AnvilNode {
    child: Child,
    pub rpc_url: String,
    rpc: EvmRpc,
    /// The funded development accounts (lower-case `0x…`).
    pub accounts: Vec<String>,
    /// A node whose chain is kept on disk stops on SIGTERM, so it writes its state first.
    keeps_state: bool,
}

/// How long a node keeping its state gets to write it after SIGTERM before it is killed.
const STOP_TIMEOUT_MS: u64 = 5_000;

/// `anvil` from `TALAT_ANVIL`, else the platform binary npm installed under
/// `target/custody-npm` (where `scripts/custody-env` puts it), else `anvil` in PATH.
pub fn find_anvil() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("TALAT_ANVIL").map(PathBuf::from).filter(|p| p.is_file()) {
        return Some(path);
    }
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let scoped = workspace.join("target/custody-npm/node_modules/@foundry-rs");
    if let Ok(entries) = std::fs::read_dir(&scoped) {
        let mut found: Vec<PathBuf> = entries.flatten().map(|e| e.path().join("bin/anvil")).filter(|p| p.is_file()).collect();
        found.sort();
        if let Some(bin) = found.into_iter().next() {
            return Some(bin);
        }
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).map(|dir| dir.join("anvil")).find(|bin| bin.is_file())
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

impl AnvilNode {
    /// Starts a node with chain id [`CHAIN_ID`] and waits for its RPC.
    pub async fn start() -> Result<AnvilNode, String> {
        AnvilNode::start_with(&["--no-mining"], false).await
    }

    /// The demo's node: its chain kept in `dir/state.json` (read at start, written every 5 s
    /// and on stop), a block every `block_time_s` seconds.
    pub async fn start_in(dir: &std::path::Path, block_time_s: u64) -> Result<AnvilNode, String> {
        assert!(block_time_s >= 1, "anvil mines at most a block a second on a timer");
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let state = dir.join("state.json").to_string_lossy().into_owned();
        AnvilNode::start_with(&["--state", &state, "--state-interval", "5", "--block-time", &block_time_s.to_string()], true).await
    }

    async fn start_with(extra: &[&str], keeps_state: bool) -> Result<AnvilNode, String> {
        let bin = find_anvil()
            .ok_or("anvil was not found (TALAT_ANVIL, target/custody-npm or PATH); install it with scripts/custody-env (npm's @foundry-rs/anvil)")?;
        let mut failure = String::new();
        for attempt in 0..START_ATTEMPTS_MAX {
            let port = free_port()?;
            let mut command = Command::new(&bin);
            crate::regtest::die_with_parent(&mut command);
            let child = command
                .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--chain-id", &CHAIN_ID.to_string(), "--silent"])
                .args(extra)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| format!("starting {}: {e}", bin.display()))?;
            let url = format!("http://127.0.0.1:{port}");
            let mut node = AnvilNode { child, rpc: EvmRpc::new(&url, None, 18, 8), rpc_url: url, accounts: Vec::new(), keeps_state };
            match node.wait_ready().await {
                Ok(()) => {
                    node.accounts = node.call("eth_accounts", json!([])).await?;
                    node.accounts.iter_mut().for_each(|a| *a = a.to_ascii_lowercase());
                    return Ok(node);
                }
                Err(e) => failure = format!("attempt {attempt}: {e}"),
            }
        }
        Err(format!("anvil did not start: {failure}"))
    }

    async fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_millis(READY_TIMEOUT_MS);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("anvil exited: {status}"));
            }
            match self.rpc.chain_id().await {
                Ok(_) => return Ok(()),
                Err(e) if Instant::now() > deadline => return Err(format!("no RPC answer in {READY_TIMEOUT_MS} ms: {e}")),
                Err(_) => tokio::time::sleep(Duration::from_millis(POLL_INTERVAL_MS)).await,
            }
        }
    }

    pub fn rpc(&self) -> &EvmRpc {
        &self.rpc
    }

    pub async fn call<T: serde::de::DeserializeOwned>(&self, method: &str, params: Value) -> Result<T, String> {
        self.rpc.call(method, params).await.map_err(|e| e.to_string())
    }

    /// Mines `n` blocks (with whatever the pool holds that pays the base fee).
    pub async fn mine(&self, n: u64) -> Result<(), String> {
        self.call::<Value>("anvil_mine", json!([format!("{n:#x}")])).await.map(|_| ())
    }

    /// A snapshot of the chain to go back to with [`AnvilNode::revert`] (a reorg, for tests).
    pub async fn snapshot(&self) -> Result<String, String> {
        self.call("evm_snapshot", json!([])).await
    }

    pub async fn revert(&self, snapshot: &str) -> Result<(), String> {
        let done: bool = self.call("evm_revert", json!([snapshot])).await?;
        if done {
            Ok(())
        } else {
            Err(format!("evm_revert {snapshot} refused"))
        }
    }

    /// A reorg by the node itself (`anvil_reorg`): the last `depth` blocks are replaced by as
    /// many new, empty ones, their transactions gone.
    pub async fn reorg(&self, depth: u64) -> Result<(), String> {
        self.call::<Value>("anvil_reorg", json!([depth, []])).await.map(|_| ())
    }

    /// The base fee of the next block (to make a low-fee transaction stuck).
    pub async fn set_next_base_fee(&self, wei: u64) -> Result<(), String> {
        self.call::<Value>("anvil_setNextBlockBaseFeePerGas", json!([format!("{wei:#x}")])).await.map(|_| ())
    }

    /// Development account `from` sends `wei` to `to`; returns the transaction hash (pending
    /// until mined).
    pub async fn send_eth(&self, from: usize, to: &str, wei: u128) -> Result<String, String> {
        self.call("eth_sendTransaction", json!([{"from": self.accounts[from], "to": to, "value": format!("{wei:#x}")}])).await
    }

    /// Development account `from` sends a transaction with call data (a contract call, or a
    /// deployment when `to` is `None`).
    pub async fn send_data(&self, from: usize, to: Option<&str>, data: &[u8], gas: u64) -> Result<String, String> {
        let mut tx = json!({"from": self.accounts[from], "data": format!("0x{}", hex::encode(data)), "gas": format!("{gas:#x}")});
        if let Some(to) = to {
            tx["to"] = json!(to);
        }
        self.call("eth_sendTransaction", json!([tx])).await
    }

    /// Deploys `bytecode` from development account 0, mines it, returns the contract address.
    pub async fn deploy(&self, bytecode: &[u8]) -> Result<String, String> {
        let txid = self.send_data(0, None, bytecode, 3_000_000).await?;
        self.mine(1).await?;
        let receipt: Value = self.call("eth_getTransactionReceipt", json!([txid])).await?;
        if receipt["status"] != "0x1" {
            return Err(format!("the deployment reverted: {receipt}"));
        }
        receipt["contractAddress"].as_str().map(str::to_ascii_lowercase).ok_or_else(|| format!("no contract address in {receipt}"))
    }

    /// Development account `from` sends `amount_raw` of the token at `token` to `to`.
    pub async fn send_token(&self, from: usize, token: &str, to: &str, amount_raw: u128) -> Result<String, String> {
        let to = super::address::parse_hex(to).ok_or_else(|| format!("{to} is not an address"))?;
        self.send_data(from, Some(token), &super::tx::erc20_transfer_data(&to, amount_raw), 100_000).await
    }
}

impl AnvilNode {
    /// Stops a node that keeps its state: SIGTERM, then waits (at most [`STOP_TIMEOUT_MS`]) until
    /// it has exited, so its chain is on disk. The process is reaped on drop.
    pub fn terminate(&self) {
        if !self.keeps_state {
            return;
        }
        let pid = self.child.id();
        // SAFETY: kill(2) on our own child's pid, which has not been reaped (only drop waits).
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_millis(STOP_TIMEOUT_MS);
        while Instant::now() < deadline && !exited(pid) {
            std::thread::sleep(Duration::from_millis(POLL_INTERVAL_MS));
        }
    }
}

/// Whether our child `pid` has exited (a zombie until reaped, or gone).
fn exited(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name in parentheses: "pid (comm) S ...".
        Ok(stat) => stat.rsplit_once(')').is_none_or(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => true,
    }
}

impl Drop for AnvilNode {
    fn drop(&mut self) {
        self.terminate();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
