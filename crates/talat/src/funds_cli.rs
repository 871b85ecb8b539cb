//! `talat funds reconcile --data DIR --date YYYY-MM-DD`: the day's reconciliation of the THB
//! ledger against the bank statement, from the query store of a data directory (read only;
//! the console's Reconciliation page keeps reports as evidence).

use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum FundsCmd {
    /// Prints one Bangkok day's reconciliation: ledger, statement, items in transit, difference.
    Reconcile(ReconcileArgs),
}

#[derive(Args)]
pub struct ReconcileArgs {
    /// The data directory of a `talat serve` (its query store is read).
    #[arg(long, default_value = "./data")]
    data: PathBuf,
    /// The query store, when it is not the data directory's SQLite (`postgres://…`).
    #[arg(long)]
    store_url: Option<String>,
    /// The day, `YYYY-MM-DD` (Bangkok).
    #[arg(long)]
    date: String,
    /// Print CSV (the evidence format) instead of the table.
    #[arg(long)]
    csv: bool,
}

pub fn run(cmd: FundsCmd) -> ExitCode {
    let FundsCmd::Reconcile(args) = cmd;
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(&e.to_string()),
    };
    match runtime.block_on(reconcile(&args)) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("talat funds reconcile: {message}");
    ExitCode::from(2)
}

async fn reconcile(args: &ReconcileArgs) -> Result<String, String> {
    let db = args.data.join("store.db");
    let url = match &args.store_url {
        Some(url) => url.clone(),
        None if db.exists() => format!("sqlite://{}", db.display()),
        None => return Err(format!("{} has no query store (store.db)", args.data.display())),
    };
    let store = talat_store::Store::connect(&url).await.map_err(|e| format!("query store {url}: {e}"))?;
    let thb = store.assets().await.map_err(|e| e.to_string())?.into_iter().find(|a| a.code == "THB").ok_or("THB is not listed in this exchange")?;
    let report = talat_gateway::funds::reconcile::report(&store, thb.asset, &args.date).await.map_err(|e| e.message)?;
    Ok(if args.csv { report.to_csv() } else { table(&report) })
}

fn thb(v: i64) -> String {
    format!("{}{}", if v < 0 { "-" } else { "" }, talat_funds::format_thb(v.unsigned_abs()))
}

fn table(r: &talat_funds::recon::Report) -> String {
    let mut out = format!("Reconciliation of THB for {} (Bangkok)\n\n", r.date);
    let rows = [
        ("customers' THB (available + held)", r.ledger.customers_satang),
        ("+ fee revenue not swept", r.ledger.fee_revenue_satang),
        ("- compensation not funded", -r.ledger.compensation_satang),
        ("= ledger custody", r.ledger_custody_satang),
        ("+/- items in transit", r.in_transit_satang),
        ("= expected on the statement", r.expected_bank_satang),
        ("statement closing balance", r.bank_satang),
        ("difference (statement - expected)", r.difference_satang),
    ];
    for (label, v) in rows {
        out.push_str(&format!("{label:<38} {:>20}\n", thb(v)));
    }
    if !r.items.is_empty() {
        out.push_str("\nitems in transit:\n");
        for i in &r.items {
            out.push_str(&format!("  {:<26} {:<24} {:>16}  {}\n", format!("{:?}", i.kind), i.reference, thb(i.kind.sign() * i.amount_satang), i.note));
        }
    }
    out.push_str(if r.balanced() { "\nbalanced\n" } else { "\nDIFFERENCE: investigate before withdrawals resume\n" });
    out
}
