//! `talat resume [STEP]`: the documented order after an outage from a terminal, through the
//! running exchange's console API (the same confirmed, audited, journaled steps as the console's
//! Resume page). Without a step it prints where the resume stands.

use crate::console_client::{ask, login, run_command, Failure};
use clap::Args;
use serde_json::{json, Value};
use std::process::ExitCode;

#[derive(Args)]
pub struct ResumeArgs {
    /// The step to take: begin, deposits, cancel-only, post-only, open, withdrawals. Without
    /// one, prints the state.
    step: Option<String>,
    /// The running exchange.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    server: String,
    /// A staff account with the operator or admin role; its password comes from
    /// `TALAT_STAFF_PASSWORD` or is asked for.
    #[arg(long)]
    staff: String,
    /// The staff member's current 2FA code, where 2FA is on.
    #[arg(long)]
    totp: Option<String>,
    /// Why (kept in the audit log with the step).
    #[arg(long, default_value = "")]
    reason: String,
    /// `begin` only: minutes cancel-only lasts at least (default 10).
    #[arg(long)]
    cancel_only_min: Option<u64>,
    /// Takes the step without asking to type its name.
    #[arg(long)]
    yes: bool,
}

pub fn run(args: ResumeArgs) -> ExitCode {
    run_command("talat resume", resume(&args))
}

fn describe(state: &Value) -> String {
    let order: Vec<&str> = state["order"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    let last = state["last"].as_str();
    let mut out = String::from("Resume after an outage\n");
    for step in &order {
        let done = match last {
            Some(l) => order.iter().position(|s| s == step) <= order.iter().position(|s| *s == l),
            None => false,
        };
        out.push_str(&format!("  [{}] {step}\n", if done { "x" } else { " " }));
    }
    let next = state["next"].as_str().unwrap_or("?");
    match state["next_blocked"].as_str() {
        Some(why) if state["active"] == true => out.push_str(&format!("next: {next} (not yet: {why})")),
        _ => out.push_str(&format!("next: {next}")),
    }
    out.push_str(&format!(
        "\ndeposits {}, withdrawals {}",
        if state["funding"]["deposits_open"] == true { "open" } else { "suspended" },
        if state["funding"]["withdrawals_open"] == true { "open" } else { "suspended" }
    ));
    out
}

async fn resume(args: &ResumeArgs) -> Result<String, Failure> {
    if let Some(step) = &args.step {
        if talat_core::ResumeStep::parse(step).is_none() {
            return Err((2, format!("no step {step}: the steps are {}", talat_core::ResumeStep::ORDER.join(", "))));
        }
        if args.reason.trim().is_empty() {
            return Err((2, "say why with --reason (it goes in the audit log)".into()));
        }
    }
    let console = login(&args.server, &args.staff, args.totp.as_deref()).await?;
    let state = console.call(reqwest::Method::GET, "/web/api/console/resume", None).await?;
    let Some(step) = &args.step else { return Ok(describe(&state)) };
    if !args.yes {
        eprintln!("{}", describe(&state));
        let typed = ask(&format!("type {step} to take this step: "))?;
        if typed != *step {
            return Err((2, "not confirmed: nothing was done".into()));
        }
    }
    let mut body = json!({"confirm": step, "reason": args.reason});
    if let Some(min) = args.cancel_only_min {
        body["cancel_only_ms"] = json!(min.saturating_mul(60_000));
    }
    let done = console.call(reqwest::Method::POST, &format!("/web/api/console/resume/{step}"), Some(body)).await?;
    let state = console.call(reqwest::Method::GET, "/web/api/console/resume", None).await?;
    Ok(format!("step {step} taken (journal seq {})\n{}", done["seq"], describe(&state)))
}
