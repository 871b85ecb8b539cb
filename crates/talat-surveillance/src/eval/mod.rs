//! Measured, not claimed: `talat surveillance eval` runs a labelled scenario through the real
//! engine and the live [`Monitor`], and prints for each detector its precision, its recall and
//! its false alerts per 10,000 orders of clean background.
//!
//! A scenario is background trading ([`sim`]) with manipulations of every typology injected at
//! random times ([`scenario`]): `instances` of each account-level typology in non-overlapping
//! half-hour slots, marking the close at two of the three midnights, two staff-linked insiders
//! before two listing announcements, and two abnormal drifts (up, then down). The same seed
//! also runs without any injection: the false-alert rate is measured there.
//!
//! Scoring: an alert is a true positive when a label of its own typology names one of its
//! accounts (or is market-wide) and their windows overlap (within five minutes). An alert that
//! matches only another typology's injection is counted apart ("cross"): it caught a real
//! manipulation under another name; every other alert is false. Recall is the share of labels
//! some alert matched.

pub mod rng;
pub mod scenario;
pub mod sim;

use crate::alert::{Alert, DetectorKind};
use crate::config::{SurveillanceConfig, DAY_MS, HOUR_MS};
use crate::monitor::Monitor;
use rng::Rng;
use scenario::{Body, Label, Script};
use serde::Serialize;
use sim::{secs, Sim};

/// Slack on both sides of a label's window.
const SLACK_MS: u64 = 5 * 60_000;
/// 2026-11-01 00:30 Bangkok time: the simulations start half an hour after a midnight.
pub const START_TS_MS: u64 = 1_761_931_800_000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EvalConfig {
    pub seed: u64,
    /// Simulated hours (at least 72: three midnights and a day of history before each drift).
    pub hours: u64,
    /// Injections of each account-level typology.
    pub instances: u32,
    pub retail_accounts: u32,
}

impl Default for EvalConfig {
    fn default() -> Self {
        EvalConfig { seed: 1, hours: 72, instances: 10, retail_accounts: 60 }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DetectorScore {
    pub detector: &'static str,
    pub injected: usize,
    pub detected: usize,
    pub alerts: usize,
    pub true_alerts: usize,
    pub cross_alerts: usize,
    pub false_alerts: usize,
    pub recall: f64,
    pub precision: f64,
    /// Alerts in the clean run, and per 10,000 of its orders.
    pub clean_alerts: usize,
    pub clean_false_per_10k_orders: f64,
    pub meets_targets: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EvalReport {
    pub config: EvalConfig,
    pub commands_injected_run: u64,
    pub orders_injected_run: u64,
    pub orders_clean_run: u64,
    pub detectors: Vec<DetectorScore>,
    pub all_targets_met: bool,
}

/// The targets of the issue, for every detector at its defaults.
pub const TARGET_RECALL: f64 = 0.9;
pub const TARGET_PRECISION: f64 = 0.8;
pub const TARGET_FALSE_PER_10K: f64 = 1.0;

struct RunResult {
    alerts: Vec<Alert>,
    labels: Vec<Label>,
    orders: u64,
    commands: u64,
}

/// Runs the labelled scenario and its clean twin and scores every detector.
pub fn evaluate(config: &EvalConfig, detectors: &SurveillanceConfig, mut progress: impl FnMut(u64, u64)) -> Result<EvalReport, String> {
    if config.hours < 72 {
        return Err(format!("hours must be at least 72 (three midnights, a day before each drift), got {}", config.hours));
    }
    if config.instances == 0 || config.instances > 40 {
        return Err(format!("instances must be between 1 and 40, got {}", config.instances));
    }
    if config.retail_accounts < 20 || config.retail_accounts > 10_000 {
        return Err(format!("retail_accounts must be between 20 and 10000, got {}", config.retail_accounts));
    }
    let total = config.hours * 2;
    let injected = run(config, detectors, true, |h| progress(h, total))?;
    let clean = run(config, detectors, false, |h| progress(config.hours + h, total))?;
    let mut rows = Vec::new();
    for kind in DetectorKind::ALL {
        rows.push(score(kind, &injected, &clean));
    }
    let all = rows.iter().all(|r| r.meets_targets);
    Ok(EvalReport {
        config: config.clone(),
        commands_injected_run: injected.commands,
        orders_injected_run: injected.orders,
        orders_clean_run: clean.orders,
        detectors: rows,
        all_targets_met: all,
    })
}

fn overlaps(alert: &Alert, label: &Label) -> bool {
    let accounts_match = label.accounts.is_empty() || alert.accounts.iter().any(|a| label.accounts.contains(a));
    accounts_match && alert.from_ts_ms <= label.to_ts_ms + SLACK_MS && alert.to_ts_ms + SLACK_MS >= label.from_ts_ms
}

fn score(kind: DetectorKind, injected: &RunResult, clean: &RunResult) -> DetectorScore {
    let labels: Vec<&Label> = injected.labels.iter().filter(|l| l.kind == kind).collect();
    let alerts: Vec<&Alert> = injected.alerts.iter().filter(|a| a.detector == kind).collect();
    let detected = labels.iter().filter(|l| alerts.iter().any(|a| overlaps(a, l))).count();
    let mut true_alerts = 0;
    let mut cross = 0;
    for a in &alerts {
        if labels.iter().any(|l| overlaps(a, l)) {
            true_alerts += 1;
        } else if injected.labels.iter().any(|l| overlaps(a, l)) {
            cross += 1;
        }
    }
    let false_alerts = alerts.len() - true_alerts - cross;
    let clean_alerts = clean.alerts.iter().filter(|a| a.detector == kind).count();
    let recall = if labels.is_empty() { 1.0 } else { detected as f64 / labels.len() as f64 };
    let judged = true_alerts + false_alerts;
    let precision = if judged == 0 { 1.0 } else { true_alerts as f64 / judged as f64 };
    let per_10k = clean_alerts as f64 * 10_000.0 / clean.orders.max(1) as f64;
    DetectorScore {
        detector: kind.as_str(),
        injected: labels.len(),
        detected,
        alerts: alerts.len(),
        true_alerts,
        cross_alerts: cross,
        false_alerts,
        recall,
        precision,
        clean_alerts,
        clean_false_per_10k_orders: per_10k,
        meets_targets: recall >= TARGET_RECALL && precision >= TARGET_PRECISION && per_10k <= TARGET_FALSE_PER_10K,
    }
}

/// Half-hour slots the account-level injections may use: not the first two hours (the pump
/// detector's warm-up), not the hour around a midnight.
fn free_slots(config: &EvalConfig) -> Vec<u64> {
    let slot_ms = HOUR_MS / 2;
    let slots = config.hours * 2;
    (4..slots - 1)
        .filter(|s| {
            let at = START_TS_MS + s * slot_ms;
            let since_midnight = talat_core::calendar::bangkok_ms_of_day(at);
            (HOUR_MS..DAY_MS - HOUR_MS).contains(&since_midnight)
        })
        .collect()
}

/// The injections of one scenario: scripts with their start times.
fn schedule(config: &EvalConfig, sim: &mut Sim, rng: &mut Rng) -> Result<Vec<Script>, String> {
    let mut slots = free_slots(config);
    // Shuffle the slots (Fisher–Yates) and take them in order.
    for i in (1..slots.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        slots.swap(i, j);
    }
    let mut take = || slots.pop().map(|s| START_TS_MS + s * HOUR_MS / 2 + 60_000 + rng.below(10 * 60_000));
    let mut scripts = Vec::new();
    let short: [(DetectorKind, usize); 8] = [
        (DetectorKind::SelfMatch, 1),
        (DetectorKind::LinkedWash, 2),
        (DetectorKind::Circular, 3),
        (DetectorKind::Spoofing, 1),
        (DetectorKind::Layering, 1),
        (DetectorKind::OrderToTrade, 1),
        (DetectorKind::Pump, 4),
        (DetectorKind::StaffFrontRunning, 1),
    ];
    for (kind, accounts_needed) in short {
        for _ in 0..config.instances {
            let start = take().ok_or("not enough free slots for the injections: raise --hours or lower --instances")?;
            let accounts: Vec<_> = (0..accounts_needed).map(|_| sim.new_account()).collect();
            let body = match kind {
                DetectorKind::SelfMatch => Body::SelfMatch,
                DetectorKind::LinkedWash => Body::Wash,
                DetectorKind::Circular => Body::Circular,
                DetectorKind::Spoofing => Body::Spoof { levels: 2 },
                DetectorKind::Layering => Body::Spoof { levels: 4 },
                DetectorKind::OrderToTrade => Body::OrderToTrade,
                DetectorKind::Pump => Body::Pump,
                _ => {
                    sim.monitor.links_mut().add_staff(accounts[0]);
                    let client = sim.new_account();
                    Body::StaffFrontRunning { client }
                }
            };
            scripts.push(Script::new(kind, accounts, start, body));
        }
    }
    // Marking the close at the first and third midnights.
    let midnights: Vec<u64> = (0..config.hours / 24).map(|d| START_TS_MS - 30 * 60_000 + (d + 1) * DAY_MS).collect();
    for &midnight in midnights.iter().step_by(2) {
        let user = sim.new_account();
        scripts.push(Script::new(DetectorKind::MarkingClose, vec![user], midnight - 5 * 60_000 + 5_000, Body::MarkingClose));
    }
    // Two insiders, each accumulating for 20 hours before an announcement.
    for announce in [START_TS_MS + 22 * HOUR_MS, START_TS_MS + (config.hours - 2) * HOUR_MS] {
        let insider = sim.new_account();
        sim.monitor.links_mut().add_staff(insider);
        scripts.push(Script::new(
            DetectorKind::ListingFrontRunning,
            vec![insider],
            announce - 20 * HOUR_MS,
            Body::ListingFrontRunning { announce_ts_ms: announce },
        ));
    }
    // Two abnormal moves of 35 % over six hours: up on the second day, down on the third.
    let up = 35 * sim::START_PRICE as i64 / 100 / sim::TICK as i64;
    let down = -(35 * (sim::START_PRICE as i64 * 135 / 100) / 100 / sim::TICK as i64);
    for (start_h, ticks) in [(26, up), (56, down)] {
        scripts.push(Script::new(
            DetectorKind::AbnormalMove,
            Vec::new(),
            START_TS_MS + start_h * HOUR_MS,
            Body::Drift { total_ticks: ticks, seconds: 6 * 3_600, applied_ticks: 0 },
        ));
    }
    Ok(scripts)
}

/// One run of the scenario (with or without injections): every alert raised and every label,
/// for a reviewer who wants to see what was matched with what.
pub fn run_scenario(config: &EvalConfig, detectors: &SurveillanceConfig, inject: bool) -> Result<(Vec<Alert>, Vec<Label>), String> {
    let result = run(config, detectors, inject, |_| {})?;
    Ok((result.alerts, result.labels))
}

/// A run with injections that also returns every executed command and the final account links,
/// so a test can replay it through a fresh monitor.
pub fn run_recorded(config: &EvalConfig, detectors: &SurveillanceConfig) -> Result<(Vec<Alert>, Vec<talat_core::Applied>, crate::LinkGraph), String> {
    let (result, sim) = run_with(config, detectors, true, &mut |_| {}, true)?;
    let applied = sim.recorded.ok_or("the run recorded nothing")?;
    Ok((result.alerts, applied, sim.monitor.links().clone()))
}

fn run(config: &EvalConfig, detectors: &SurveillanceConfig, inject: bool, mut progress: impl FnMut(u64)) -> Result<RunResult, String> {
    Ok(run_with(config, detectors, inject, &mut progress, false)?.0)
}

fn run_with(
    config: &EvalConfig,
    detectors: &SurveillanceConfig,
    inject: bool,
    progress: &mut dyn FnMut(u64),
    record: bool,
) -> Result<(RunResult, Sim), String> {
    let monitor = Monitor::new(detectors.clone()).map_err(|e| e.to_string())?;
    let mut sim = Sim::new(config.seed, START_TS_MS, config.retail_accounts, monitor, record);
    let mut rng = Rng::new(config.seed.wrapping_mul(31).wrapping_add(7));
    let mut scripts = if inject { schedule(config, &mut sim, &mut rng)? } else { Vec::new() };
    let end_ms = START_TS_MS + config.hours * HOUR_MS;
    let mut second = secs(START_TS_MS);
    while second * 1_000 < end_ms {
        sim.ts_ms = second * 1_000;
        sim.background_second();
        // Scripts due within this second, in time order.
        loop {
            let due = scripts.iter_mut().filter(|s| s.next_ts_ms.is_some_and(|t| t < (second + 1) * 1_000)).min_by_key(|s| s.next_ts_ms);
            let Some(script) = due else { break };
            sim.ts_ms = script.next_ts_ms.expect("filtered on it").max(sim.ts_ms);
            script.step(&mut sim);
        }
        second += 1;
        if second.is_multiple_of(3_600) {
            progress((second * 1_000 - START_TS_MS) / HOUR_MS);
        }
    }
    let commands = sim.monitor.commands_seen();
    let result = RunResult { alerts: std::mem::take(&mut sim.alerts), labels: scripts.iter().map(Script::label).collect(), orders: sim.orders, commands };
    Ok((result, sim))
}

/// The report as a table for people.
pub fn table(report: &EvalReport) -> String {
    let mut out = format!(
        "Scenario: seed {}, {} h simulated, {} injections per typology, {} retail accounts; {} commands and {} orders with injections, {} orders clean.\n\n",
        report.config.seed,
        report.config.hours,
        report.config.instances,
        report.config.retail_accounts,
        report.commands_injected_run,
        report.orders_injected_run,
        report.orders_clean_run
    );
    out.push_str(&format!(
        "{:<22} {:>8} {:>8} {:>7} {:>6} {:>6} {:>7} {:>9} {:>9} {:>11}  {}\n",
        "detector", "injected", "detected", "alerts", "false", "cross", "recall", "precision", "clean", "false/10k", "targets"
    ));
    for r in &report.detectors {
        out.push_str(&format!(
            "{:<22} {:>8} {:>8} {:>7} {:>6} {:>6} {:>7.2} {:>9.2} {:>9} {:>11.3}  {}\n",
            r.detector,
            r.injected,
            r.detected,
            r.alerts,
            r.false_alerts,
            r.cross_alerts,
            r.recall,
            r.precision,
            r.clean_alerts,
            r.clean_false_per_10k_orders,
            if r.meets_targets { "met" } else { "MISSED" }
        ));
    }
    out.push_str(&format!(
        "\nTargets: recall ≥ {TARGET_RECALL}, precision ≥ {TARGET_PRECISION}, at most {TARGET_FALSE_PER_10K} false alert per 10,000 clean orders — {}.\n",
        if report.all_targets_met { "all met" } else { "NOT all met" }
    ));
    out
}
