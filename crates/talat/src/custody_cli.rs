//! `talat custody rescan --chain C --from HEIGHT`: re-reads a range of a chain's blocks through
//! the running exchange's console API (the same audited rescan as the console's Crypto custody
//! page) and reports the deposits the watcher did not have; its next pass credits them, once.

use crate::console_client::{login, run_command, Failure};
use clap::{Args, Subcommand};
use serde_json::json;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum CustodyCmd {
    /// Re-reads heights FROM..=TO (default: up to what the watcher has scanned) and records the
    /// deposits it missed.
    Rescan(RescanArgs),
}

#[derive(Args)]
pub struct RescanArgs {
    /// The network, e.g. LTC.
    #[arg(long)]
    chain: String,
    #[arg(long)]
    from: u64,
    #[arg(long)]
    to: Option<u64>,
    /// The running exchange.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    server: String,
    /// A staff account with the finance or admin role; its password comes from
    /// `TALAT_STAFF_PASSWORD` or is asked for.
    #[arg(long)]
    staff: String,
    /// The staff member's current 2FA code, where 2FA is on.
    #[arg(long)]
    totp: Option<String>,
}

pub fn run(cmd: CustodyCmd) -> ExitCode {
    let CustodyCmd::Rescan(args) = cmd;
    run_command("talat custody", rescan(&args))
}

async fn rescan(args: &RescanArgs) -> Result<String, Failure> {
    let console = login(&args.server, &args.staff, args.totp.as_deref()).await?;
    let mut body = json!({"network": args.chain, "from": args.from});
    if let Some(to) = args.to {
        body["to"] = json!(to);
    }
    let v = console.call(reqwest::Method::POST, "/web/api/console/custody/rescan", Some(body)).await?;
    Ok(format!(
        "{}: re-read heights {} to {}: {} deposits were missing and are recorded; the watcher credits them on its next pass",
        v["network"].as_str().unwrap_or(&args.chain),
        v["from"],
        v["to"],
        v["missing"]
    ))
}
