//! Components and their states. Each state comes from a measurement; an operator's override
//! wins over the measurement until it is cleared, and says so.

use serde::Serialize;
use talat_core::venue::Funding;

/// Statuspage's component states, worst last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentStatus {
    Operational,
    UnderMaintenance,
    DegradedPerformance,
    PartialOutage,
    MajorOutage,
}

impl ComponentStatus {
    pub const ALL: [ComponentStatus; 5] = [
        ComponentStatus::Operational,
        ComponentStatus::UnderMaintenance,
        ComponentStatus::DegradedPerformance,
        ComponentStatus::PartialOutage,
        ComponentStatus::MajorOutage,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ComponentStatus::Operational => "operational",
            ComponentStatus::UnderMaintenance => "under_maintenance",
            ComponentStatus::DegradedPerformance => "degraded_performance",
            ComponentStatus::PartialOutage => "partial_outage",
            ComponentStatus::MajorOutage => "major_outage",
        }
    }

    pub fn parse(word: &str) -> Option<ComponentStatus> {
        ComponentStatus::ALL.into_iter().find(|s| s.name() == word)
    }

    pub fn label(self, lang: crate::Lang) -> &'static str {
        use crate::Lang::*;
        match (self, lang) {
            (ComponentStatus::Operational, En) => "Operational",
            (ComponentStatus::Operational, Th) => "ทำงานปกติ",
            (ComponentStatus::UnderMaintenance, En) => "Under maintenance",
            (ComponentStatus::UnderMaintenance, Th) => "อยู่ระหว่างปรับปรุง",
            (ComponentStatus::DegradedPerformance, En) => "Degraded performance",
            (ComponentStatus::DegradedPerformance, Th) => "ทำงานช้ากว่าปกติ",
            (ComponentStatus::PartialOutage, En) => "Partial outage",
            (ComponentStatus::PartialOutage, Th) => "ขัดข้องบางส่วน",
            (ComponentStatus::MajorOutage, En) => "Major outage",
            (ComponentStatus::MajorOutage, Th) => "ขัดข้องทั้งหมด",
        }
    }
}

/// A background job's last sign of life (a statement folder watcher, a chain watcher).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatcherBeat {
    /// Component id it serves, e.g. `deposits-thb`.
    pub component: String,
    /// When it last finished a look without error (ms).
    pub last_ok_ms: u64,
    /// How often it looks; three missed looks make it "behind".
    pub interval_ms: u64,
    /// It stopped (shut down or gave up) and will not look again by itself.
    pub stopped: bool,
}

/// What talat measures, gathered by the surface at one instant.
#[derive(Clone, Debug, Default)]
pub struct Signals {
    pub now_ms: u64,
    /// Each market's symbol and mode name as customers meet it (`open`, `post_only`,
    /// `cancel_only`, `halted`, `maintenance`).
    pub markets: Vec<(String, &'static str)>,
    pub funding: Funding,
    /// A resume after an outage is under way.
    pub resuming: bool,
    /// The sequencer stopped: nothing can be acknowledged.
    pub engine_stopped: bool,
    /// New orders shed and answered over the last sampling window.
    pub shed_recent: u64,
    pub answered_recent: u64,
    pub ws_connections: u64,
    pub ws_capacity: u64,
    /// How many commands the query store (history, the web app's records) trails the engine by.
    pub store_behind_commands: u64,
    pub watchers: Vec<WatcherBeat>,
}

/// An operator's word on one component, replacing the measurement until cleared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    pub component: String,
    pub status: ComponentStatus,
    pub reason: String,
    pub set_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Component {
    /// Stable id: `trading-btc_thb`, `deposits-thb`, `api`, …
    pub id: String,
    pub name_en: String,
    pub name_th: String,
    pub group: &'static str,
    pub status: ComponentStatus,
    /// Why, in English, for staff and for the page's detail line.
    pub reason: String,
    /// The status was set by an operator, not measured.
    pub overridden: bool,
}

impl Component {
    pub fn name(&self, lang: crate::Lang) -> &str {
        match lang {
            crate::Lang::En => &self.name_en,
            crate::Lang::Th => &self.name_th,
        }
    }
}

/// Shed share of new orders (per mille) from which the API is degraded, and a partial outage.
pub const SHED_DEGRADED_PER_MILLE: u64 = 50;
pub const SHED_PARTIAL_PER_MILLE: u64 = 500;
/// The store trailing the engine by this many commands makes the web app's history degraded
/// (about a minute at a busy day's rate; a surge catches up after it).
pub const STORE_BEHIND_DEGRADED_COMMANDS: u64 = 50_000;
/// WebSocket connections at this share of capacity (per mille): degraded.
pub const WS_DEGRADED_PER_MILLE: u64 = 950;
/// Missed looks before a watcher counts as behind.
pub const WATCHER_MISSED_LOOKS: u64 = 3;

fn component(id: String, name_en: String, name_th: String, group: &'static str, (status, reason): (ComponentStatus, String)) -> Component {
    Component { id, name_en, name_th, group, status, reason, overridden: false }
}

fn market_state(mode: &str, resuming: bool) -> (ComponentStatus, String) {
    let s = match mode {
        "open" => ComponentStatus::Operational,
        "post_only" => ComponentStatus::DegradedPerformance,
        "cancel_only" => ComponentStatus::PartialOutage,
        "maintenance" => ComponentStatus::UnderMaintenance,
        _ if resuming => ComponentStatus::UnderMaintenance,
        _ => ComponentStatus::MajorOutage,
    };
    let reason = match mode {
        "open" => String::new(),
        "post_only" => "post-only: limit orders rest, nothing matches".into(),
        "cancel_only" => "cancel-only: no new orders".into(),
        "maintenance" => "the exchange is under maintenance".into(),
        _ => "trading halted".into(),
    };
    (s, reason)
}

/// A funding direction: suspended by the switch, else as its watcher says.
fn funding_state(open: bool, resuming: bool, watcher: Option<&WatcherBeat>, now_ms: u64) -> (ComponentStatus, String) {
    if !open {
        let s = if resuming { ComponentStatus::UnderMaintenance } else { ComponentStatus::MajorOutage };
        return (s, "suspended".into());
    }
    match watcher {
        Some(w) if w.stopped => (ComponentStatus::MajorOutage, "its watcher stopped".into()),
        Some(w) if now_ms.saturating_sub(w.last_ok_ms) > WATCHER_MISSED_LOOKS * w.interval_ms => {
            (ComponentStatus::DegradedPerformance, format!("its watcher is behind: last look {} s ago", (now_ms - w.last_ok_ms) / 1_000))
        }
        _ => (ComponentStatus::Operational, String::new()),
    }
}

/// Every component's state from `signals`, with `overrides` applied.
pub fn measure(signals: &Signals, overrides: &[Override]) -> Vec<Component> {
    let mut out = Vec::with_capacity(signals.markets.len() + 6);
    for (symbol, mode) in &signals.markets {
        out.push(component(
            format!("trading-{}", symbol.to_ascii_lowercase()),
            format!("Trading {symbol}"),
            format!("การซื้อขาย {symbol}"),
            "trading",
            market_state(mode, signals.resuming),
        ));
    }
    let watcher = |id: &str| signals.watchers.iter().find(|w| w.component == id);
    let now = signals.now_ms;
    out.push(component(
        "deposits-thb".into(),
        "THB deposits (PromptPay and bank transfer)".into(),
        "ฝากเงินบาท (พร้อมเพย์และโอนผ่านธนาคาร)".into(),
        "funding",
        funding_state(signals.funding.deposits_open, signals.resuming, watcher("deposits-thb"), now),
    ));
    out.push(component(
        "withdrawals-thb".into(),
        "THB withdrawals".into(),
        "ถอนเงินบาท".into(),
        "funding",
        funding_state(signals.funding.withdrawals_open, signals.resuming, watcher("withdrawals-thb"), now),
    ));
    // Watchers of components not named above (chain networks, when custody runs) get their own.
    for w in &signals.watchers {
        if out.iter().all(|c| c.id != w.component) {
            let direction_open = if w.component.starts_with("withdrawals-") { signals.funding.withdrawals_open } else { signals.funding.deposits_open };
            let network = w.component.split_once('-').map_or(w.component.as_str(), |(_, n)| n).to_ascii_uppercase();
            let (en, th) = if w.component.starts_with("withdrawals-") {
                (format!("{network} withdrawals"), format!("ถอน {network}"))
            } else {
                (format!("{network} deposits"), format!("ฝาก {network}"))
            };
            out.push(component(w.component.clone(), en, th, "funding", funding_state(direction_open, signals.resuming, Some(w), now)));
        }
    }
    out.push(component("api".into(), "API".into(), "API".into(), "platform", api_state(signals)));
    let ws = if signals.ws_capacity > 0 && signals.ws_connections * 1_000 >= signals.ws_capacity * WS_DEGRADED_PER_MILLE {
        (ComponentStatus::DegradedPerformance, format!("{} of {} connections in use", signals.ws_connections, signals.ws_capacity))
    } else if signals.engine_stopped {
        (ComponentStatus::MajorOutage, "no updates: the engine stopped".into())
    } else {
        (ComponentStatus::Operational, String::new())
    };
    out.push(component("websocket".into(), "WebSocket streams".into(), "สตรีม WebSocket".into(), "platform", ws));
    let web = if signals.store_behind_commands > STORE_BEHIND_DEGRADED_COMMANDS {
        (ComponentStatus::DegradedPerformance, format!("order and trade history is {} commands behind", signals.store_behind_commands))
    } else {
        (ComponentStatus::Operational, String::new())
    };
    out.push(component("web".into(), "Web app".into(), "เว็บแอป".into(), "platform", web));
    for o in overrides {
        if let Some(c) = out.iter_mut().find(|c| c.id == o.component) {
            c.status = o.status;
            c.reason = o.reason.clone();
            c.overridden = true;
        }
    }
    out
}

fn api_state(s: &Signals) -> (ComponentStatus, String) {
    if s.engine_stopped {
        return (ComponentStatus::MajorOutage, "the engine stopped: nothing is acknowledged".into());
    }
    let offered = s.shed_recent + s.answered_recent;
    if offered == 0 {
        return (ComponentStatus::Operational, String::new());
    }
    let shed_per_mille = s.shed_recent * 1_000 / offered;
    let reason = format!("{}.{} % of new orders turned away (busy)", shed_per_mille / 10, shed_per_mille % 10);
    if shed_per_mille >= SHED_PARTIAL_PER_MILLE {
        (ComponentStatus::PartialOutage, reason)
    } else if shed_per_mille >= SHED_DEGRADED_PER_MILLE {
        (ComponentStatus::DegradedPerformance, reason)
    } else {
        (ComponentStatus::Operational, String::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signals() -> Signals {
        Signals { now_ms: 1_000_000, markets: vec![("BTC_THB".into(), "open"), ("ETH_THB".into(), "open")], ..Signals::default() }
    }

    fn status_of(components: &[Component], id: &str) -> ComponentStatus {
        components.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("no {id}")).status
    }

    #[test]
    fn a_halted_market_is_a_major_outage_of_its_trading_only() {
        let mut s = signals();
        s.markets[0].1 = "halted";
        let c = measure(&s, &[]);
        assert_eq!(status_of(&c, "trading-btc_thb"), ComponentStatus::MajorOutage);
        assert_eq!(status_of(&c, "trading-eth_thb"), ComponentStatus::Operational);
        s.markets[0].1 = "cancel_only";
        assert_eq!(status_of(&measure(&s, &[]), "trading-btc_thb"), ComponentStatus::PartialOutage);
        s.resuming = true;
        s.markets[1].1 = "halted";
        assert_eq!(status_of(&measure(&s, &[]), "trading-eth_thb"), ComponentStatus::UnderMaintenance, "halted by a resume: maintenance");
    }

    #[test]
    fn a_watcher_behind_degrades_and_a_stopped_one_is_an_outage() {
        let mut s = signals();
        s.watchers.push(WatcherBeat { component: "deposits-thb".into(), last_ok_ms: 1_000_000 - 10_000, interval_ms: 5_000, stopped: false });
        assert_eq!(status_of(&measure(&s, &[]), "deposits-thb"), ComponentStatus::Operational);
        s.watchers[0].last_ok_ms = 1_000_000 - 16_000;
        assert_eq!(status_of(&measure(&s, &[]), "deposits-thb"), ComponentStatus::DegradedPerformance);
        s.watchers[0].stopped = true;
        assert_eq!(status_of(&measure(&s, &[]), "deposits-thb"), ComponentStatus::MajorOutage);
        s.watchers.push(WatcherBeat { component: "deposits-ltc".into(), last_ok_ms: 1_000_000, interval_ms: 5_000, stopped: false });
        let c = measure(&s, &[]);
        assert_eq!(c.iter().find(|c| c.id == "deposits-ltc").unwrap().name_en, "LTC deposits");
    }

    #[test]
    fn shedding_and_a_stopped_engine_show_on_the_api() {
        let mut s = signals();
        (s.shed_recent, s.answered_recent) = (4, 96);
        assert_eq!(status_of(&measure(&s, &[]), "api"), ComponentStatus::Operational);
        (s.shed_recent, s.answered_recent) = (10, 90);
        assert_eq!(status_of(&measure(&s, &[]), "api"), ComponentStatus::DegradedPerformance);
        (s.shed_recent, s.answered_recent) = (60, 40);
        assert_eq!(status_of(&measure(&s, &[]), "api"), ComponentStatus::PartialOutage);
        s.engine_stopped = true;
        assert_eq!(status_of(&measure(&s, &[]), "api"), ComponentStatus::MajorOutage);
    }

    #[test]
    fn suspended_funding_and_overrides() {
        let mut s = signals();
        s.funding.withdrawals_open = false;
        assert_eq!(status_of(&measure(&s, &[]), "withdrawals-thb"), ComponentStatus::MajorOutage);
        let o = Override { component: "withdrawals-thb".into(), status: ComponentStatus::UnderMaintenance, reason: "bank cut-off".into(), set_ms: 1 };
        let c = measure(&s, &[o]);
        let w = c.iter().find(|c| c.id == "withdrawals-thb").unwrap();
        assert_eq!((w.status, w.reason.as_str(), w.overridden), (ComponentStatus::UnderMaintenance, "bank cut-off", true));
    }

    #[test]
    fn status_words_round_trip() {
        for s in ComponentStatus::ALL {
            assert_eq!(ComponentStatus::parse(s.name()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.name());
        }
        assert_eq!(ComponentStatus::parse("down"), None);
    }
}
