//! Runs the evaluation with the defaults (or `SEED`, `HOURS`, `INSTANCES` from the environment)
//! and prints the table; `talat surveillance eval` is the operator's way to run it.
fn main() {
    let get = |k: &str, d: u64| std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d);
    let config = talat_surveillance::eval::EvalConfig {
        seed: get("SEED", 1),
        hours: get("HOURS", 72),
        instances: get("INSTANCES", 10) as u32,
        retail_accounts: get("RETAIL", 60) as u32,
    };
    if let Ok(kind) = std::env::var("SHOW") {
        let clean = std::env::var("CLEAN").is_ok();
        let (alerts, labels) = talat_surveillance::eval::run_scenario(&config, &Default::default(), !clean).expect("run");
        let h = |ts: u64| (ts - talat_surveillance::eval::START_TS_MS) as f64 / 3_600_000.0;
        for l in labels.iter().filter(|l| l.kind.as_str() == kind) {
            println!("LABEL {:.3}-{:.3}h {:?}", h(l.from_ts_ms), h(l.to_ts_ms), l.accounts.iter().map(|u| u.0).collect::<Vec<_>>());
        }
        for a in alerts.iter().filter(|a| a.detector.as_str() == kind) {
            println!(
                "ALERT {:.3}-{:.3}h {:?} {} {:?}",
                h(a.from_ts_ms),
                h(a.to_ts_ms),
                a.accounts.iter().map(|u| u.0).collect::<Vec<_>>(),
                a.summary,
                a.figures
            );
        }
        return;
    }
    let started = std::time::Instant::now();
    let report = talat_surveillance::eval::evaluate(&config, &Default::default(), |h, t| eprint!("\r{h}/{t} h")).expect("evaluation");
    eprintln!("\r{:.1} s", started.elapsed().as_secs_f64());
    print!("{}", talat_surveillance::eval::table(&report));
    if std::env::var("DUMP").is_ok() {
        println!("{}", serde_json::to_string_pretty(&report).unwrap());
    }
}
