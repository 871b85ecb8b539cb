//! `talat staffing`: the Erlang C staffing answer for one interval, as a short table or JSON.
//! The maths lives in `talat_support::erlang`; this only formats it.

use talat_support::erlang::{self, StaffingInput, StaffingPlan};

/// The command line's figures.
pub struct StaffingOptions {
    pub arrivals: f64,
    pub interval_min: u32,
    pub aht_s: f64,
    pub target_pct: f64,
    pub answer_s: f64,
    pub shrinkage_pct: f64,
    pub json: bool,
}

/// The report, or a readable reason the figures have no answer.
pub fn report(options: &StaffingOptions) -> Result<String, String> {
    let interval_s = options.interval_min.checked_mul(60).ok_or_else(|| format!("--interval-min {} is too long", options.interval_min))?;
    let input = StaffingInput { arrivals: options.arrivals, interval_s, aht_s: options.aht_s, target_pct: options.target_pct, answer_s: options.answer_s };
    erlang::validate_shrinkage_pct(options.shrinkage_pct).map_err(|e| e.to_string())?;
    let plan = erlang::agents_needed(&input).map_err(|e| e.to_string())?;
    let rostered = erlang::rostered(plan.agents, options.shrinkage_pct);
    if options.json {
        let value = serde_json::json!({
            "agents": plan.agents,
            "rostered": rostered,
            "shrinkage_pct": options.shrinkage_pct,
            "traffic_erlangs": plan.traffic_erlangs,
            "p_wait": plan.p_wait,
            "service_level": plan.service_level,
            "asa_s": plan.asa_s,
            "occupancy": plan.occupancy,
            "input": input,
        });
        return Ok(format!("{value}\n"));
    }
    Ok(table(&input, options, &plan, rostered))
}

fn table(input: &StaffingInput, options: &StaffingOptions, plan: &StaffingPlan, rostered: u32) -> String {
    let mut out = format!(
        "{} contacts per {} min at {} s handling = {:.2} Erlangs; target {} % answered within {} s\n",
        input.arrivals, options.interval_min, input.aht_s, plan.traffic_erlangs, input.target_pct, input.answer_s
    );
    if plan.agents == 0 {
        out.push_str("no contacts expected: no agents needed\n");
        return out;
    }
    out.push_str("\nagents   P(wait)  service level       ASA  occupancy\n");
    let row = |agents: u32, p_wait: f64, service_level: f64, asa_s: f64, occupancy: f64, verdict: &str| {
        format!("{agents:>6}  {:>6.2} %       {:>6.2} %  {asa_s:>6.2} s    {:>5.1} %  {verdict}\n", p_wait * 100.0, service_level * 100.0, occupancy * 100.0)
    };
    // One agent fewer, to show what the last agent buys (absent when the queue would overflow).
    if let Some(fewer) = erlang::evaluate(plan.traffic_erlangs, plan.agents - 1, input.aht_s, input.answer_s) {
        out.push_str(&row(plan.agents - 1, fewer.p_wait, fewer.service_level, fewer.asa_s, fewer.occupancy, "misses"));
    }
    out.push_str(&row(plan.agents, plan.p_wait, plan.service_level, plan.asa_s, plan.occupancy, "meets"));
    out.push_str(&format!(
        "\n{} agents needed: service level {:.2} %, ASA {:.2} s; {} rostered at {} % shrinkage\n",
        plan.agents,
        plan.service_level * 100.0,
        plan.asa_s,
        rostered,
        options.shrinkage_pct
    ));
    out
}
