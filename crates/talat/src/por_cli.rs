//! `talat por verify PROOF_FILE` (a customer's inclusion proof checked against its root, and
//! optionally against the published root hash) and `talat bench por` (a tree over synthetic
//! accounts: build, proof and verification rates). The rules are `talat-por`'s; this is I/O.

use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use talat_por::{Account, Proof, Tree, VerifiedRoot};

#[derive(Subcommand)]
pub enum PorCmd {
    /// Checks an inclusion proof (JSON, as the exchange hands it out): the leaf from the account
    /// id, salt and balances, every step up to the root, the root's hash and totals. Exits 1
    /// naming what failed.
    Verify(VerifyArgs),
}

#[derive(Args)]
pub struct VerifyArgs {
    /// The proof file.
    proof: PathBuf,
    /// The root hash the exchange published (hex); the proof's root must be it.
    #[arg(long)]
    root: Option<String>,
}

pub fn run(cmd: PorCmd) -> ExitCode {
    let PorCmd::Verify(args) = cmd;
    match verify_file(&args) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("talat por verify: FAILED: {error}");
            ExitCode::FAILURE
        }
    }
}

fn verify_file(args: &VerifyArgs) -> Result<String, String> {
    let text = std::fs::read_to_string(&args.proof).map_err(|e| format!("{}: {e}", args.proof.display()))?;
    let proof = Proof::from_json(&text).map_err(|e| format!("{}: not a proof: {e}", args.proof.display()))?;
    let verified = talat_por::verify(&proof).map_err(|e| e.to_string())?;
    if let Some(published) = &args.root {
        if !published.trim().eq_ignore_ascii_case(&verified.root.hash_hex) {
            return Err(format!("the proof's root {} is not the published root {}", verified.root.hash_hex, published.trim()));
        }
    }
    Ok(report(&verified, args.root.is_some()))
}

fn report(v: &VerifiedRoot, checked_published: bool) -> String {
    let root = &v.root;
    let mut out = String::from("inclusion proof OK\n");
    out.push_str(&format!("root hash   {}{}\n", root.hash_hex, if checked_published { " (the published root)" } else { "" }));
    out.push_str(&format!("account     {} (leaf {} of {})\n", v.account_id, v.leaf_index, root.leaf_count));
    out.push_str("\namounts in each asset's smallest unit\n");
    out.push_str(&format!("{:<8} {:>26} {:>40}\n", "asset", "your balance", "published total"));
    for ((asset, balance), total) in root.assets.iter().zip(&v.balances).zip(&root.totals) {
        out.push_str(&format!("{asset:<8} {balance:>26} {total:>40}\n"));
    }
    if !checked_published {
        out.push_str("\nCompare the root hash with the one the exchange published for that day (or pass --root).\n");
    }
    out
}

#[derive(Args)]
pub struct BenchPorArgs {
    /// Synthetic accounts in the tree.
    #[arg(long, default_value_t = 1_000_000)]
    accounts: u64,
    /// Seed of the synthetic balances and salts (the same seed gives the same root).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

const BENCH_ASSETS: [&str; 3] = ["THB", "BTC", "ETH"];
/// Proofs are generated for every 10th account (the generation rate) and verified for every
/// 1,000th (the verification rate, and a check that they all verify).
const PROOF_EVERY: u64 = 10;
const VERIFY_EVERY: u64 = 1_000;

pub fn bench(args: &BenchPorArgs) -> Result<String, String> {
    if args.accounts == 0 || args.accounts > talat_por::MAX_LEAVES as u64 {
        return Err(format!("--accounts must be 1 to {}", talat_por::MAX_LEAVES));
    }
    let count = args.accounts;
    let bar = crate::progress::bar(count, !args.quiet, "accounts", "accounts");
    let started = Instant::now();
    let mut rng = SplitMix(args.seed);
    let mut accounts = Vec::with_capacity(count as usize);
    for id in 1..=count {
        accounts.push(synthetic_account(&mut rng, id));
        if id.is_multiple_of(10_000) {
            bar.set_position(id);
        }
    }
    bar.finish_and_clear();
    let generated = started.elapsed();

    let started = Instant::now();
    let tree = Tree::build(&BENCH_ASSETS, &accounts).map_err(|e| e.to_string())?;
    let built = started.elapsed();
    let root = tree.root();
    for (asset, total) in root.totals.iter().enumerate() {
        let sum: u128 = accounts.iter().map(|a| a.balances[asset] as u128).sum();
        if *total != sum {
            return Err(format!("the {} total {total} is not the accounts' sum {sum}", BENCH_ASSETS[asset]));
        }
    }

    let sampled = count.div_ceil(PROOF_EVERY);
    let bar = crate::progress::bar(sampled, !args.quiet, "proofs", "proofs");
    let started = Instant::now();
    let mut to_verify = Vec::new();
    let mut path_steps = 0usize;
    for (n, id) in (1..=count).step_by(PROOF_EVERY as usize).enumerate() {
        let proof = tree.proof(id).ok_or_else(|| format!("no proof for account {id}"))?;
        path_steps += proof.path.len();
        if (id - 1).is_multiple_of(VERIFY_EVERY) {
            to_verify.push(proof);
        }
        if n.is_multiple_of(10_000) {
            bar.set_position(n as u64);
        }
    }
    bar.finish_and_clear();
    let proved = started.elapsed();

    let started = Instant::now();
    let mut failed = Vec::new();
    for proof in &to_verify {
        if let Err(e) = talat_por::verify(proof) {
            failed.push(format!("account {}: {e}", proof.account_id));
        }
    }
    let verified = started.elapsed();
    if !failed.is_empty() {
        return Err(format!("{} of {} sampled proofs did not verify; first: {}", failed.len(), to_verify.len(), failed[0]));
    }

    let mut out = format!("talat bench por: {count} accounts × {} assets ({}), seed {}\n", BENCH_ASSETS.len(), BENCH_ASSETS.join(", "), args.seed);
    out.push_str(&format!("accounts generated  {:>10}\n", seconds(generated)));
    out.push_str(&format!(
        "tree built          {:>10}   {:>12.0} accounts/s   depth {}\n",
        seconds(built),
        rate(count, built),
        talat_por::depth(count as usize)
    ));
    out.push_str(&format!(
        "proofs generated    {:>10}   {:>12.0} proofs/s     {sampled} (every {PROOF_EVERY}th account, {path_steps} steps)\n",
        seconds(proved),
        rate(sampled, proved)
    ));
    out.push_str(&format!(
        "proofs verified     {:>10}   {:>12.0} proofs/s     {} of {} (every {VERIFY_EVERY}th account): all OK\n",
        seconds(verified),
        rate(to_verify.len() as u64, verified),
        to_verify.len(),
        to_verify.len()
    ));
    out.push_str(&format!("root hash           {}\n", root.hash_hex));
    for (asset, total) in BENCH_ASSETS.iter().zip(&root.totals) {
        out.push_str(&format!("total {asset:<5}         {total}\n"));
    }
    Ok(out)
}

fn seconds(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

fn rate(count: u64, d: Duration) -> f64 {
    count as f64 / d.as_secs_f64().max(1e-9)
}

/// Balances in each asset's smallest unit at talat's scales: THB to 10 m (satang), BTC to 10
/// (satoshi), ETH to 100 (scale 8); a third of the accounts hold no ETH, as real books have
/// many zero balances.
fn synthetic_account(rng: &mut SplitMix, id: u64) -> Account {
    let mut salt = [0u8; 32];
    for chunk in salt.chunks_mut(8) {
        chunk.copy_from_slice(&rng.next().to_le_bytes());
    }
    let thb = rng.next() % 10_000_000_00;
    let btc = rng.next() % 10_00000000;
    let eth = if rng.next().is_multiple_of(3) { 0 } else { rng.next() % 100_00000000 };
    Account { id, salt, balances: vec![i128::from(thb), i128::from(btc), i128::from(eth)] }
}

/// splitmix64: a seeded stream for synthetic data only (salts of a real publication come from
/// the operating system's random source).
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}
