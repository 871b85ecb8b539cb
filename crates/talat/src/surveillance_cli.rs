//! `talat surveillance eval` (the detectors' precision and recall on labelled scenarios) and
//! `talat surveillance replay` (the alerts a data directory's journal raises, for any past
//! window, by the same code the live follower runs).

use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use talat_core::calendar;
use talat_surveillance::eval::{self, EvalConfig};
use talat_surveillance::{Monitor, SurveillanceConfig};

#[derive(Subcommand)]
pub enum SurveillanceCmd {
    /// Runs labelled scenarios through the real engine and prints each detector's precision,
    /// recall and false alerts per 10,000 clean orders (exit 1 when a target is missed).
    Eval(EvalArgs),
    /// Replays a data directory's journal through the detectors and prints the alerts raised in
    /// a window (read only).
    Replay(ReplayArgs),
}

#[derive(Args)]
pub struct EvalArgs {
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Simulated hours (at least 72).
    #[arg(long, default_value_t = 72)]
    hours: u64,
    /// Injections of each account-level typology.
    #[arg(long, default_value_t = 10)]
    instances: u32,
    #[arg(long, default_value_t = 60)]
    retail_accounts: u32,
    /// Detector thresholds from this talat.toml's `[surveillance]` (defaults otherwise).
    #[arg(long)]
    config: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct ReplayArgs {
    #[arg(long, default_value = "./data")]
    data: PathBuf,
    /// Start of the window: Unix milliseconds, `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM` (Bangkok).
    #[arg(long)]
    from: Option<String>,
    /// End of the window (same forms; a bare date means the end of that day).
    #[arg(long)]
    to: Option<String>,
    #[arg(long)]
    config: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

pub fn run(cmd: SurveillanceCmd) -> ExitCode {
    let result = match cmd {
        SurveillanceCmd::Eval(args) => run_eval(&args),
        SurveillanceCmd::Replay(args) => run_replay(&args).map(|text| (text, true)),
    };
    match result {
        Ok((text, ok)) => {
            print!("{text}");
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(message) => {
            eprintln!("talat surveillance: {message}");
            ExitCode::from(2)
        }
    }
}

fn detectors(config: &Option<PathBuf>) -> Result<SurveillanceConfig, String> {
    Ok(crate::serve::load_config(config.as_deref())?.surveillance)
}

fn run_eval(args: &EvalArgs) -> Result<(String, bool), String> {
    let config = EvalConfig { seed: args.seed, hours: args.hours, instances: args.instances, retail_accounts: args.retail_accounts };
    let thresholds = detectors(&args.config)?;
    let bar = crate::progress::bar(args.hours * 2, !args.json, "simulating", "h");
    let report = eval::evaluate(&config, &thresholds, |done, _| bar.set_position(done))?;
    bar.finish_and_clear();
    let text = if args.json { serde_json::to_string_pretty(&report).map_err(|e| e.to_string())? + "\n" } else { eval::table(&report) };
    Ok((text, report.all_targets_met))
}

/// Unix ms from the accepted forms; `end` makes a bare date mean its last millisecond.
pub fn parse_instant(text: &str, end: bool) -> Result<u64, String> {
    if let Ok(ms) = text.parse::<u64>() {
        return Ok(ms);
    }
    let bad = || format!("{text:?} is not Unix milliseconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM");
    let (date, time) = match text.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (text, None),
    };
    let (y, m, d) = calendar::split_iso_date(date).ok_or_else(bad)?;
    if !calendar::is_date(y as i32, m as u8, d as u8) {
        return Err(bad());
    }
    let day = calendar::days_from_civil(y as i32, m as u8, d as u8);
    let minutes = match time {
        None if end => 24 * 60,
        None => 0,
        Some(t) => {
            let (h, mi) = t.split_once(':').ok_or_else(bad)?;
            let (h, mi): (u64, u64) = (h.parse().map_err(|_| bad())?, mi.parse().map_err(|_| bad())?);
            if h > 23 || mi > 59 {
                return Err(bad());
            }
            h * 60 + mi
        }
    };
    // Midnight in Bangkok of that day, then the minutes after it (24:00 for a whole day's end).
    if day < 1 {
        return Err(bad());
    }
    let midnight_ms = calendar::bangkok_midnight_ms(day);
    Ok(midnight_ms.saturating_add(minutes * calendar::MINUTE_MS) - u64::from(end && time.is_none()))
}

fn run_replay(args: &ReplayArgs) -> Result<String, String> {
    let from = args.from.as_deref().map(|t| parse_instant(t, false)).transpose()?.unwrap_or(0);
    let to = args.to.as_deref().map(|t| parse_instant(t, true)).transpose()?.unwrap_or(u64::MAX);
    if from > to {
        return Err("--from is after --to".into());
    }
    let mut monitor = Monitor::new(detectors(&args.config)?).map_err(|e| e.to_string())?;
    let mut alerts = Vec::new();
    let mut actions = Vec::new();
    let bar = crate::progress::bar(0, !args.json, "replaying", "records");
    let mut on_command = |input: &talat_core::Input, events: &[talat_core::Event]| {
        let applied = talat_core::Applied { input: input.clone(), events: events.to_vec() };
        let output = monitor.observe(&applied);
        alerts.extend(output.alerts.into_iter().filter(|a| a.to_ts_ms >= from && a.to_ts_ms <= to));
        actions.extend(output.actions.into_iter().filter(|a| a.at_ts_ms >= from && a.at_ts_ms <= to));
    };
    let report = talat_sequencer::offline::verify(
        &args.data,
        talat_sequencer::offline::VerifyOptions { every_command: false },
        &mut |p| {
            bar.set_length(p.records_total);
            bar.set_position(p.records_done);
        },
        &mut on_command,
    )
    .map_err(|e| e.to_string())?;
    bar.finish_and_clear();
    if args.json {
        let value = serde_json::json!({
            "from_ts_ms": from,
            "to_ts_ms": to,
            "commands": report.last_command_seq,
            "alerts": alerts,
            "breaker": actions.iter().map(|a| serde_json::json!({"market": a.market.0, "mode": a.mode.name(), "reason": a.reason, "at_ts_ms": a.at_ts_ms})).collect::<Vec<_>>(),
        });
        return Ok(serde_json::to_string_pretty(&value).map_err(|e| e.to_string())? + "\n");
    }
    let mut out = format!("{} alert(s) and {} circuit-breaker step(s) in the window.\n", alerts.len(), actions.len());
    for a in &alerts {
        out.push_str(&format!(
            "{}  {:<22} {:<10} accounts {:?}  {}\n    id {}\n",
            calendar::bangkok_iso_datetime(a.to_ts_ms),
            a.detector.as_str(),
            a.symbol,
            a.accounts.iter().map(|u| u.0).collect::<Vec<_>>(),
            a.summary,
            a.id
        ));
    }
    for a in &actions {
        out.push_str(&format!("{}  breaker market {} → {}: {}\n", calendar::bangkok_iso_datetime(a.at_ts_ms), a.market.0, a.mode.name(), a.reason));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants() {
        assert_eq!(parse_instant("1700000000000", false), Ok(1_700_000_000_000));
        // 2026-12-06 00:00 in Bangkok is 2026-12-05 17:00 UTC.
        assert_eq!(parse_instant("2026-12-06", false), Ok(1_796_490_000_000));
        assert_eq!(parse_instant("2026-12-06", true), Ok(1_796_490_000_000 + 86_400_000 - 1));
        assert_eq!(parse_instant("2026-12-06T07:30", false), Ok(1_796_490_000_000 + 450 * 60_000));
        assert!(parse_instant("2026-12-06T25:00", false).is_err());
        assert!(parse_instant("yesterday", false).unwrap_err().contains("not Unix milliseconds"));
    }
}
