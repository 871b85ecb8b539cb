//! Every threshold of every detector and of the circuit breaker, with the defaults proposed in
//! the domain reference (§6.2). A configuration is checked once, before use: a bad value is
//! refused with the full name of its field (`[surveillance.spoofing] cancel_within_ms`), so an
//! operator can find it in `talat.toml`.

use serde::{Deserialize, Serialize};

// Units of time and the Bangkok offset come from the one calendar module.
pub use talat_core::calendar::{DAY_MS, HOUR_MS, MINUTE_MS};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SurveillanceConfig {
    /// Run the live follower (on by default; off only to measure what it costs).
    #[serde(default = "yes")]
    pub enabled: bool,
    pub self_match: SelfMatchConfig,
    pub linked_wash: LinkedWashConfig,
    pub circular: CircularConfig,
    pub spoofing: SpoofingConfig,
    pub order_to_trade: OrderToTradeConfig,
    pub pump: PumpConfig,
    pub marking_close: MarkingCloseConfig,
    pub front_running: FrontRunningConfig,
    pub abnormal_move: AbnormalMoveConfig,
    pub breaker: BreakerConfig,
    pub audit: AuditConfig,
}

fn yes() -> bool {
    true
}

/// Self-matches that self-trade prevention stopped, per account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SelfMatchConfig {
    /// Prevented matches of one account within `window_ms` that raise an alert ("any": 1).
    pub min_prevented: u32,
    pub window_ms: u64,
}

/// Trades between accounts linked by identity, bank account, deposit address, device or IP.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LinkedWashConfig {
    /// Round trips (a buy and a sell back between the same linked pair) within `window_ms`.
    pub min_round_trips: u32,
    pub window_ms: u64,
    /// The pair's net position change, as a share of what they traded, at most this (bps).
    pub max_net_change_bps: u32,
    /// Or: the linked pair's trades reach this share of the market's volume within
    /// `share_window_ms` (bps), over at least `min_trades_for_share` trades.
    pub min_volume_share_bps: u32,
    pub share_window_ms: u64,
    pub min_trades_for_share: u32,
}

/// Cycles A→B→…→A in the trade graph (seller → buyer) among a small group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CircularConfig {
    pub window_ms: u64,
    /// Longest cycle looked for (3 or more accounts; 2 is a round trip, linked_wash's case).
    pub max_group: usize,
    /// Each member's net change at most this share of what it traded inside the cycle (bps).
    pub max_net_bps: u32,
    /// The cycle's trades are at least this share of each member's volume in the window (bps):
    /// a market maker trades with everyone, so chance cycles through it are a small share.
    pub min_cycle_share_bps: u32,
    /// Times the goods went round the cycle.
    pub min_laps: u32,
}

/// Large orders away from the touch, cancelled soon after a fill on the other side.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpoofingConfig {
    /// The spoof side's open quantity at least this multiple of the account's opposite resting
    /// quantity at the fill.
    pub min_size_multiple: u32,
    /// And at least this share of the top five levels of its side (bps).
    pub min_depth_share_bps: u32,
    /// Cancelled within this long of the opposite fill (the reference's UI bound; API clients
    /// cancel faster, and anything faster is inside it).
    pub cancel_within_ms: u64,
    /// At least this share of the spoof quantity cancelled (bps).
    pub min_cancelled_bps: u32,
    /// Episodes of one account within `window_ms` that raise an alert.
    pub min_episodes: u32,
    pub window_ms: u64,
    /// Distinct price levels of the spoof orders from which the alert is layering.
    pub layering_min_levels: u32,
}

/// The order-to-trade ratio against the account's own baseline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrderToTradeConfig {
    pub window_ms: u64,
    /// (orders + amends + cancels) / trades above max(min_ratio, baseline_multiple × the
    /// account's median of its earlier windows).
    pub min_ratio: u32,
    pub baseline_multiple: u32,
    /// Windows with fewer messages are not judged.
    pub min_messages: u32,
    /// Earlier windows remembered per account for its baseline.
    pub baseline_windows: usize,
}

/// Pump-and-dump and ramping: return and volume z-scores per window length.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PumpConfig {
    /// Window lengths in seconds (the reference's 5, 15 and 25 s chunks and minute windows).
    pub windows_s: Vec<u64>,
    pub min_return_z: f64,
    pub min_volume_z: f64,
    /// Smoothing of the baseline (an EWMA over windows): the weight of the newest window.
    pub ewma_alpha: f64,
    /// Windows seen before a market is judged.
    pub warmup_windows: u32,
    /// The pump must also move the price at least this much (bps) within the window ...
    pub min_move_bps: u32,
    /// ... with at least this many market orders the way it moved (a rush) ...
    pub min_rush_orders: u32,
    /// ... and no single order more than this share of the window's volume (bps): one large
    /// order that moves the price is not a pump.
    pub max_single_order_share_bps: u32,
    /// Net buyers listed as evidence, from this far before the alert.
    pub buyers_lookback_ms: u64,
    pub top_buyers: usize,
    /// One alert per market within this long.
    pub cooldown_ms: u64,
}

/// Marking the close around reference times.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MarkingCloseConfig {
    /// Reference times, minutes after midnight Bangkok time (00:00 is the daily candle's close).
    pub reference_minutes_ict: Vec<u32>,
    /// The window before each reference time.
    pub window_ms: u64,
    /// One account's share of the window's volume (bps).
    pub min_share_bps: u32,
    /// The window's last price against the VWAP of the hour before it (bps).
    pub min_move_bps: u32,
}

/// Staff-linked accounts trading ahead: of a listing announcement, or of a large client order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FrontRunningConfig {
    /// Net buyers of the announced asset over this long before the announcement are swept.
    pub listing_lookback_ms: u64,
    /// ... whose net purchase is at least this share of what they traded there (bps): they
    /// accumulated, rather than traded both ways.
    pub listing_min_net_share_bps: u32,
    /// A staff order at most this long before a same-side client order ...
    pub staff_within_ms: u64,
    /// ... of at least this multiple of the market's median order size.
    pub client_size_multiple: u32,
    /// Orders the median is taken over.
    pub median_orders: usize,
}

/// A price far from its level 24 hours earlier (Bitkub's P30 flag).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AbnormalMoveConfig {
    pub min_move_bps: u32,
    /// The reference is the median price of trades within ±span around now − `reference_ago_ms`.
    pub reference_ago_ms: u64,
    pub reference_span_ms: u64,
    /// One alert per market within this long.
    pub cooldown_ms: u64,
}

/// The circuit breaker: a move of more than `move_bps` within `window_ms` halts the market for
/// `halt_ms`; it then resumes through `cancel_only_ms` of cancel-only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BreakerConfig {
    pub enabled: bool,
    pub move_bps: u32,
    pub window_ms: u64,
    pub halt_ms: u64,
    pub cancel_only_ms: u64,
}

/// The daily self-audit of each market's tape (Cong et al.).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditConfig {
    /// Fewer trades in a day are reported but not judged.
    pub min_trades: usize,
    /// χ² with 8 degrees of freedom above which first digits are not Benford's (1 %: 20.09).
    pub benford_chi2_reject: f64,
}

impl Default for SelfMatchConfig {
    fn default() -> Self {
        SelfMatchConfig { min_prevented: 1, window_ms: HOUR_MS }
    }
}

impl Default for LinkedWashConfig {
    fn default() -> Self {
        LinkedWashConfig {
            min_round_trips: 3,
            window_ms: 10 * MINUTE_MS,
            max_net_change_bps: 1_000,
            min_volume_share_bps: 500,
            share_window_ms: HOUR_MS,
            min_trades_for_share: 5,
        }
    }
}

impl Default for CircularConfig {
    fn default() -> Self {
        CircularConfig { window_ms: DAY_MS, max_group: 4, max_net_bps: 500, min_cycle_share_bps: 5_000, min_laps: 2 }
    }
}

impl Default for SpoofingConfig {
    fn default() -> Self {
        SpoofingConfig {
            min_size_multiple: 3,
            min_depth_share_bps: 2_000,
            cancel_within_ms: 5_000,
            min_cancelled_bps: 8_000,
            min_episodes: 3,
            window_ms: 10 * MINUTE_MS,
            layering_min_levels: 3,
        }
    }
}

impl Default for OrderToTradeConfig {
    fn default() -> Self {
        OrderToTradeConfig { window_ms: HOUR_MS, min_ratio: 100, baseline_multiple: 5, min_messages: 300, baseline_windows: 30 * 24 }
    }
}

impl Default for PumpConfig {
    fn default() -> Self {
        PumpConfig {
            windows_s: vec![5, 15, 25, 60, 300],
            min_return_z: 4.0,
            min_volume_z: 4.0,
            ewma_alpha: 0.02,
            warmup_windows: 60,
            min_move_bps: 200,
            min_rush_orders: 5,
            max_single_order_share_bps: 5_000,
            buyers_lookback_ms: HOUR_MS,
            top_buyers: 5,
            cooldown_ms: 15 * MINUTE_MS,
        }
    }
}

impl Default for MarkingCloseConfig {
    fn default() -> Self {
        MarkingCloseConfig { reference_minutes_ict: vec![0], window_ms: 5 * MINUTE_MS, min_share_bps: 2_500, min_move_bps: 200 }
    }
}

impl Default for FrontRunningConfig {
    fn default() -> Self {
        FrontRunningConfig {
            listing_lookback_ms: 14 * DAY_MS,
            listing_min_net_share_bps: 5_000,
            staff_within_ms: 1_000,
            client_size_multiple: 10,
            median_orders: 501,
        }
    }
}

impl Default for AbnormalMoveConfig {
    fn default() -> Self {
        AbnormalMoveConfig { min_move_bps: 3_000, reference_ago_ms: DAY_MS, reference_span_ms: 30 * MINUTE_MS, cooldown_ms: DAY_MS }
    }
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig { enabled: true, move_bps: 1_000, window_ms: 5 * MINUTE_MS, halt_ms: 15 * MINUTE_MS, cancel_only_ms: 5 * MINUTE_MS }
    }
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig { min_trades: 1_000, benford_chi2_reject: 20.09 }
    }
}

impl Default for SurveillanceConfig {
    fn default() -> Self {
        SurveillanceConfig {
            enabled: true,
            self_match: SelfMatchConfig::default(),
            linked_wash: LinkedWashConfig::default(),
            circular: CircularConfig::default(),
            spoofing: SpoofingConfig::default(),
            order_to_trade: OrderToTradeConfig::default(),
            pump: PumpConfig::default(),
            marking_close: MarkingCloseConfig::default(),
            front_running: FrontRunningConfig::default(),
            abnormal_move: AbnormalMoveConfig::default(),
            breaker: BreakerConfig::default(),
            audit: AuditConfig::default(),
        }
    }
}

/// A refused configuration: which field, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("[surveillance.{section}] {field}: {reason}")]
pub struct ConfigError {
    pub section: &'static str,
    pub field: &'static str,
    pub reason: String,
}

/// The largest duration any window may have: 30 days (memory is bounded by the windows).
const MAX_WINDOW_MS: u64 = 30 * DAY_MS;

struct Check {
    section: &'static str,
    errors: Vec<ConfigError>,
}

impl Check {
    fn fail(&mut self, field: &'static str, reason: impl Into<String>) {
        self.errors.push(ConfigError { section: self.section, field, reason: reason.into() });
    }

    fn window(&mut self, field: &'static str, ms: u64) {
        if ms == 0 || ms > MAX_WINDOW_MS {
            self.fail(field, format!("must be between 1 ms and {MAX_WINDOW_MS} ms (30 days), got {ms}"));
        }
    }

    fn bps(&mut self, field: &'static str, bps: u32, max: u32) {
        if bps == 0 || bps > max {
            self.fail(field, format!("must be between 1 and {max} basis points, got {bps}"));
        }
    }

    fn at_least_one(&mut self, field: &'static str, n: u64) {
        if n == 0 {
            self.fail(field, "must be at least 1");
        }
    }

    fn positive_finite(&mut self, field: &'static str, x: f64) {
        if !x.is_finite() || x <= 0.0 {
            self.fail(field, format!("must be a positive number, got {x}"));
        }
    }
}

impl SurveillanceConfig {
    /// Every problem found, each naming its field; empty when the configuration can be used.
    pub fn problems(&self) -> Vec<ConfigError> {
        let mut errors = Vec::new();
        let mut c = Check { section: "self_match", errors: Vec::new() };
        c.at_least_one("min_prevented", self.self_match.min_prevented.into());
        c.window("window_ms", self.self_match.window_ms);
        errors.append(&mut c.errors);

        let w = &self.linked_wash;
        c.section = "linked_wash";
        c.at_least_one("min_round_trips", w.min_round_trips.into());
        c.window("window_ms", w.window_ms);
        c.bps("max_net_change_bps", w.max_net_change_bps, 10_000);
        c.bps("min_volume_share_bps", w.min_volume_share_bps, 10_000);
        c.window("share_window_ms", w.share_window_ms);
        c.at_least_one("min_trades_for_share", w.min_trades_for_share.into());
        errors.append(&mut c.errors);

        let r = &self.circular;
        c.section = "circular";
        c.window("window_ms", r.window_ms);
        if !(3..=6).contains(&r.max_group) {
            c.fail("max_group", format!("must be between 3 and 6 accounts, got {}", r.max_group));
        }
        c.bps("max_net_bps", r.max_net_bps, 10_000);
        c.bps("min_cycle_share_bps", r.min_cycle_share_bps, 10_000);
        c.at_least_one("min_laps", r.min_laps.into());
        errors.append(&mut c.errors);

        let s = &self.spoofing;
        c.section = "spoofing";
        c.at_least_one("min_size_multiple", s.min_size_multiple.into());
        c.bps("min_depth_share_bps", s.min_depth_share_bps, 10_000);
        c.window("cancel_within_ms", s.cancel_within_ms);
        c.bps("min_cancelled_bps", s.min_cancelled_bps, 10_000);
        c.at_least_one("min_episodes", s.min_episodes.into());
        c.window("window_ms", s.window_ms);
        if s.layering_min_levels < 2 {
            c.fail("layering_min_levels", format!("must be at least 2 price levels, got {}", s.layering_min_levels));
        }
        errors.append(&mut c.errors);

        let o = &self.order_to_trade;
        c.section = "order_to_trade";
        c.window("window_ms", o.window_ms);
        c.at_least_one("min_ratio", o.min_ratio.into());
        c.at_least_one("baseline_multiple", o.baseline_multiple.into());
        c.at_least_one("min_messages", o.min_messages.into());
        if o.baseline_windows == 0 || o.baseline_windows > 10_000 {
            c.fail("baseline_windows", format!("must be between 1 and 10000, got {}", o.baseline_windows));
        }
        errors.append(&mut c.errors);

        let p = &self.pump;
        c.section = "pump";
        if p.windows_s.is_empty() || p.windows_s.len() > 16 || p.windows_s.iter().any(|&s| s == 0 || s > 3_600) {
            c.fail("windows_s", format!("must list 1 to 16 window lengths of 1 to 3600 seconds, got {:?}", p.windows_s));
        }
        c.positive_finite("min_return_z", p.min_return_z);
        c.positive_finite("min_volume_z", p.min_volume_z);
        if !(p.ewma_alpha > 0.0 && p.ewma_alpha <= 1.0) {
            c.fail("ewma_alpha", format!("must be above 0 and at most 1, got {}", p.ewma_alpha));
        }
        c.at_least_one("warmup_windows", p.warmup_windows.into());
        c.bps("min_move_bps", p.min_move_bps, 100_000);
        c.at_least_one("min_rush_orders", p.min_rush_orders.into());
        c.bps("max_single_order_share_bps", p.max_single_order_share_bps, 10_000);
        c.window("buyers_lookback_ms", p.buyers_lookback_ms);
        c.at_least_one("top_buyers", p.top_buyers as u64);
        c.window("cooldown_ms", p.cooldown_ms);
        errors.append(&mut c.errors);

        let m = &self.marking_close;
        c.section = "marking_close";
        if m.reference_minutes_ict.is_empty() || m.reference_minutes_ict.iter().any(|&x| x >= 24 * 60) {
            c.fail("reference_minutes_ict", format!("must list minutes of the day (0 to 1439), got {:?}", m.reference_minutes_ict));
        }
        if m.window_ms == 0 || m.window_ms > HOUR_MS {
            c.fail("window_ms", format!("must be between 1 ms and one hour, got {}", m.window_ms));
        }
        c.bps("min_share_bps", m.min_share_bps, 10_000);
        c.bps("min_move_bps", m.min_move_bps, 100_000);
        errors.append(&mut c.errors);

        let f = &self.front_running;
        c.section = "front_running";
        c.window("listing_lookback_ms", f.listing_lookback_ms);
        c.bps("listing_min_net_share_bps", f.listing_min_net_share_bps, 10_000);
        c.window("staff_within_ms", f.staff_within_ms);
        c.at_least_one("client_size_multiple", f.client_size_multiple.into());
        if f.median_orders < 11 || f.median_orders > 100_000 {
            c.fail("median_orders", format!("must be between 11 and 100000, got {}", f.median_orders));
        }
        errors.append(&mut c.errors);

        let a = &self.abnormal_move;
        c.section = "abnormal_move";
        c.bps("min_move_bps", a.min_move_bps, 100_000);
        c.window("reference_ago_ms", a.reference_ago_ms);
        c.window("reference_span_ms", a.reference_span_ms);
        if a.reference_span_ms >= a.reference_ago_ms {
            c.fail("reference_span_ms", "must be shorter than reference_ago_ms");
        }
        c.window("cooldown_ms", a.cooldown_ms);
        errors.append(&mut c.errors);

        let b = &self.breaker;
        c.section = "breaker";
        c.bps("move_bps", b.move_bps, 100_000);
        c.window("window_ms", b.window_ms);
        c.window("halt_ms", b.halt_ms);
        c.window("cancel_only_ms", b.cancel_only_ms);
        errors.append(&mut c.errors);

        let u = &self.audit;
        c.section = "audit";
        if u.min_trades < 100 {
            c.fail("min_trades", format!("must be at least 100 trades (the χ² test needs them), got {}", u.min_trades));
        }
        c.positive_finite("benford_chi2_reject", u.benford_chi2_reject);
        errors.append(&mut c.errors);
        errors
    }

    /// The configuration, or the first problem.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match self.problems().into_iter().next() {
            Some(problem) => Err(problem),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert_eq!(SurveillanceConfig::default().problems(), vec![]);
    }

    #[test]
    fn a_bad_value_names_its_field() {
        let mut config = SurveillanceConfig::default();
        config.spoofing.cancel_within_ms = 0;
        let error = config.validate().unwrap_err();
        assert_eq!(error.to_string(), "[surveillance.spoofing] cancel_within_ms: must be between 1 ms and 2592000000 ms (30 days), got 0");

        let mut config = SurveillanceConfig::default();
        config.pump.ewma_alpha = f64::NAN;
        config.marking_close.reference_minutes_ict = vec![1440];
        let fields: Vec<_> = config.problems().iter().map(|p| (p.section, p.field)).collect();
        assert_eq!(fields, vec![("pump", "ewma_alpha"), ("marking_close", "reference_minutes_ict")]);
    }

    #[test]
    fn unknown_keys_are_refused() {
        let error = serde_json::from_str::<SurveillanceConfig>(r#"{"spoofing": {"cancel_within": 5}}"#).unwrap_err();
        assert!(error.to_string().contains("unknown field `cancel_within`"), "{error}");
    }
}
