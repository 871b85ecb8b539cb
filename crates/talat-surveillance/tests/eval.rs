//! The detectors measured on the labelled scenario at their defaults (the targets), and
//! a replay of a recorded run raising exactly the alerts the run raised.

use talat_surveillance::eval::{self, EvalConfig, TARGET_FALSE_PER_10K, TARGET_PRECISION, TARGET_RECALL};
use talat_surveillance::{DetectorKind, Monitor, SurveillanceConfig};

#[test]
fn every_detector_fires_on_its_scenario_and_stays_quiet_on_clean_background() {
    let report = eval::evaluate(&EvalConfig::default(), &SurveillanceConfig::default(), |_, _| {}).expect("the evaluation runs");
    let table = eval::table(&report);
    assert_eq!(report.detectors.len(), DetectorKind::ALL.len(), "{table}");
    assert!(report.orders_clean_run > 100_000, "the clean run is large enough to measure 1 in 10,000: {table}");
    for row in &report.detectors {
        assert!(row.injected > 0, "{} has a scenario:\n{table}", row.detector);
        assert!(row.recall >= TARGET_RECALL, "{} recall {}:\n{table}", row.detector, row.recall);
        assert!(row.precision >= TARGET_PRECISION, "{} precision {}:\n{table}", row.detector, row.precision);
        assert!(row.clean_false_per_10k_orders <= TARGET_FALSE_PER_10K, "{} on clean background:\n{table}", row.detector);
    }
    assert!(report.all_targets_met, "{table}");
}

#[test]
fn a_replayed_journal_raises_the_alerts_the_live_run_raised() {
    let config = EvalConfig { seed: 7, hours: 12, instances: 1, retail_accounts: 30 };
    let (live, applied, links) = eval::run_recorded(&config, &SurveillanceConfig::default()).expect("the run");
    assert!(live.len() >= 5, "the run raised alerts of several typologies: {:?}", live.iter().map(|a| a.detector).collect::<Vec<_>>());
    let mut replay = Monitor::new(SurveillanceConfig::default()).expect("defaults are valid");
    *replay.links_mut() = links;
    let mut replayed = Vec::new();
    for command in &applied {
        replayed.extend(replay.observe(command).alerts);
    }
    // The listing sweep is a console action, not a journaled command: the live run's sweep
    // alerts are not in the journal's replay.
    let live: Vec<_> = live.into_iter().filter(|a| a.detector != DetectorKind::ListingFrontRunning).collect();
    assert_eq!(replayed.len(), live.len());
    for (a, b) in replayed.iter().zip(&live) {
        assert_eq!(a, b, "alert {} differs between replay and live", b.id);
    }
}
