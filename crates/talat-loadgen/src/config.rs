//! What a run does: the settings `talat loadgen` takes as flags, the request mix and the kinds of
//! read, with their parsing and the checks that refuse a run before it starts.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Every setting of a run. Field ↔ flag: see each field; [`LoadgenConfig::default`] holds the
/// defaults the flags should show.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadgenConfig {
    /// `--url`: the exchange's base URL; plain `http://host:port` only.
    pub url: String,
    /// `--rate`: requests per second the schedule asks for, whatever the server answers.
    pub rate_per_s: f64,
    /// `--duration`: seconds of schedule. Requests still in flight at the end are awaited.
    pub duration_s: f64,
    /// `--users`: load users `0..users`, credentials from [`crate::demo_load_credentials`].
    pub users: u32,
    /// `--connections`: keep-alive HTTP/1.1 connections, one request in flight on each.
    pub connections: u32,
    /// `--threads`: tokio worker threads; used by [`crate::run_blocking`], which builds the
    /// runtime (1 = a current-thread runtime).
    pub threads: u32,
    /// `--mix`: relative weights of place, cancel and read, e.g. `place=70,cancel=20,read=10`.
    pub mix: Mix,
    /// `--reads`: the reads a user rotates through, e.g. `balances,depth,open-orders`.
    pub reads: Vec<ReadKind>,
    /// `--symbol`: the market traded, e.g. `BTC_THB`.
    pub symbol: String,
    /// `--price`: reference price (decimal text) used only when the ticker has neither a last
    /// price nor both sides of the book.
    pub reference_price: Option<String>,
    /// `--band-pct`: limit prices are drawn uniformly within ± this percentage of the reference.
    pub band_pct: f64,
    /// `--max-backlog`: due-but-unsent requests kept across all connections; the excess is
    /// counted as "not sent (generator backlog)" instead of queued.
    pub max_backlog: u64,
    /// `--open-orders-per-user`: acknowledged order ids kept per user for cancels (oldest
    /// forgotten first; a forgotten order simply stays open on the server).
    pub open_orders_per_user: u32,
    /// `--timeout-ms`: a request without a complete answer after this long is counted as a
    /// timeout and its connection is replaced.
    pub timeout_ms: u64,
    /// `--timer-resolution-us`: lanes wake for their next slot on a grid of this many
    /// microseconds (Linux: one shared timerfd). Finer grids send closer to the intended time
    /// but wake the generator more often. Measured at 50 000 req/s on one thread: 100 →
    /// send lag p50 ≈ 0.12 ms for ≈ 14 µs CPU per request; 250 → ≈ 0.2 ms, ≈ 12.5 µs; 1000 and
    /// up use tokio's millisecond timer → ≈ 1 ms, ≈ 10.5 µs. The lag counts as latency.
    pub timer_resolution_us: u32,
    /// `--seed`: seeds the op choice and the prices, so two runs send the same sequence.
    pub seed: u64,
    /// `--verify`: after the run, look up every acknowledged order with `order-info`.
    pub verify: bool,
    /// `--verify-rate-per-user`: order-info lookups per second per user during `--verify`
    /// (the server's limit is 100/s; staying well under it avoids a 30 s block).
    pub verify_rate_per_user_per_s: u32,
    /// `--max-tracked-orders`: acknowledged orders remembered for `--verify` (16 bytes each);
    /// beyond it they are counted as untracked.
    pub max_tracked_orders: u64,
}

impl Default for LoadgenConfig {
    fn default() -> Self {
        LoadgenConfig {
            url: "http://127.0.0.1:8080".into(),
            rate_per_s: 1_000.0,
            duration_s: 10.0,
            users: 1_000,
            connections: 64,
            threads: 1,
            mix: Mix { place: 70, cancel: 20, read: 10 },
            reads: vec![ReadKind::Balances, ReadKind::Depth, ReadKind::OpenOrders],
            symbol: "BTC_THB".into(),
            reference_price: None,
            band_pct: 1.0,
            max_backlog: 10_000,
            open_orders_per_user: 32,
            timeout_ms: 5_000,
            timer_resolution_us: 250,
            seed: 1,
            verify: false,
            verify_rate_per_user_per_s: 50,
            max_tracked_orders: 4_000_000,
        }
    }
}

/// A setting that cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

fn bad(message: impl Into<String>) -> ConfigError {
    ConfigError(message.into())
}

impl LoadgenConfig {
    /// Refuses settings that cannot describe a run.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(self.rate_per_s.is_finite() && self.rate_per_s > 0.0) {
            return Err(bad("--rate must be a positive number of requests per second"));
        }
        if !(self.duration_s.is_finite() && self.duration_s > 0.0) {
            return Err(bad("--duration must be a positive number of seconds"));
        }
        if self.rate_per_s * self.duration_s < 1.0 {
            return Err(bad("--rate × --duration schedules no request"));
        }
        if self.users == 0 || self.connections == 0 || self.threads == 0 {
            return Err(bad("--users, --connections and --threads must be at least 1"));
        }
        if self.mix.total() == 0 {
            return Err(bad("--mix has no positive weight"));
        }
        if self.mix.read > 0 && self.reads.is_empty() {
            return Err(bad("--mix has reads but --reads names none"));
        }
        if !(self.band_pct.is_finite() && self.band_pct >= 0.0 && self.band_pct < 50.0) {
            return Err(bad("--band-pct must be in [0, 50)"));
        }
        if self.open_orders_per_user == 0 {
            return Err(bad("--open-orders-per-user must be at least 1"));
        }
        if self.timer_resolution_us == 0 {
            return Err(bad("--timer-resolution-us must be at least 1"));
        }
        if self.timeout_ms == 0 {
            return Err(bad("--timeout-ms must be at least 1"));
        }
        if self.verify && self.verify_rate_per_user_per_s == 0 {
            return Err(bad("--verify-rate-per-user must be at least 1"));
        }
        if self.symbol.is_empty() || !self.symbol.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(bad("--symbol must look like BTC_THB"));
        }
        crate::http::parse_url(&self.url)?;
        Ok(())
    }

    /// Connections actually opened: never more than users, so every connection owns a user.
    pub fn effective_connections(&self) -> u32 {
        self.connections.min(self.users).max(1)
    }

    /// Requests on the schedule.
    pub fn scheduled_requests(&self) -> u64 {
        crate::schedule::total_slots(self.rate_per_s, self.duration_s)
    }

    /// Warnings about settings that will make the server refuse requests by design (each
    /// user's share of the rate against the reference's per-user limits, §14).
    pub fn rate_warnings(&self) -> Vec<String> {
        let total = self.mix.total() as f64;
        let per_user = self.rate_per_s / self.users as f64;
        let mut warnings = Vec::new();
        // §14 limits place-bid and place-ask to 150/s each; comparing their sum is conservative.
        let place_per_user = per_user * self.mix.place as f64 / total;
        if place_per_user > 150.0 {
            warnings.push(format!("{place_per_user:.0} places/s per user exceeds the 150/s limit: add --users"));
        }
        let cancel_per_user = per_user * self.mix.cancel as f64 / total;
        if cancel_per_user > 200.0 {
            warnings.push(format!("{cancel_per_user:.0} cancels/s per user exceeds the 200/s limit: add --users"));
        }
        if !self.reads.is_empty() {
            let per_read = self.rate_per_s * self.mix.read as f64 / total / self.reads.len() as f64;
            let signed_per_user = per_read / self.users as f64;
            if signed_per_user > 150.0 {
                warnings.push(format!("{signed_per_user:.0} reads/s per user and kind exceeds the 150/s limit"));
            }
            // §14 gives depth 10/s; it is public, so a server can only count it per address,
            // and the whole generator is one address.
            if self.reads.contains(&ReadKind::Depth) && per_read > 10.0 {
                warnings.push(format!(
                    "depth is public and limited per IP address (10/s in the reference's table): {per_read:.0}/s from this \
                     one address will mostly be refused with 429 unless the server's rate limits are off; \
                     --reads balances,open-orders leaves it out"
                ));
            }
        }
        warnings
    }
}

/// Relative weights of the three kinds of request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mix {
    pub place: u32,
    pub cancel: u32,
    pub read: u32,
}

impl Mix {
    pub fn total(&self) -> u32 {
        self.place.saturating_add(self.cancel).saturating_add(self.read)
    }
}

impl FromStr for Mix {
    type Err = ConfigError;

    /// `place=70,cancel=20,read=10`; a kind left out weighs 0, each may appear once.
    fn from_str(text: &str) -> Result<Mix, ConfigError> {
        let mut mix = Mix { place: 0, cancel: 0, read: 0 };
        let mut seen = [false; 3];
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, weight) = part.split_once('=').ok_or_else(|| bad(format!("--mix: `{part}` is not kind=weight")))?;
            let weight: u32 = weight.trim().parse().map_err(|_| bad(format!("--mix: weight `{}` is not a whole number", weight.trim())))?;
            let (slot, index) = match name.trim() {
                "place" => (&mut mix.place, 0),
                "cancel" => (&mut mix.cancel, 1),
                "read" => (&mut mix.read, 2),
                other => return Err(bad(format!("--mix: unknown kind `{other}` (place, cancel, read)"))),
            };
            if std::mem::replace(&mut seen[index], true) {
                return Err(bad(format!("--mix: `{}` given twice", name.trim())));
            }
            *slot = weight;
        }
        if mix.total() == 0 {
            return Err(bad("--mix has no positive weight"));
        }
        Ok(mix)
    }
}

impl fmt::Display for Mix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "place={},cancel={},read={}", self.place, self.cancel, self.read)
    }
}

/// One kind of read a user rotates through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadKind {
    /// `POST /api/v3/market/balances` (signed).
    Balances,
    /// `GET /api/v3/market/depth?sym=…&lmt=10` (public, limited per IP).
    Depth,
    /// `GET /api/v3/market/my-open-orders?sym=…` (signed).
    OpenOrders,
}

impl ReadKind {
    /// `balances,depth,open-orders`.
    pub fn parse_list(text: &str) -> Result<Vec<ReadKind>, ConfigError> {
        let mut kinds = Vec::new();
        for name in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let kind = match name {
                "balances" => ReadKind::Balances,
                "depth" => ReadKind::Depth,
                "open-orders" | "my-open-orders" => ReadKind::OpenOrders,
                other => return Err(bad(format!("--reads: unknown read `{other}` (balances, depth, open-orders)"))),
            };
            if kinds.contains(&kind) {
                return Err(bad(format!("--reads: `{name}` given twice")));
            }
            kinds.push(kind);
        }
        Ok(kinds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix_parses_weights_in_any_order() {
        let mix: Mix = "place=70,cancel=20,read=10".parse().unwrap();
        assert_eq!(mix, Mix { place: 70, cancel: 20, read: 10 });
        let mix: Mix = " read=1 , place=3 ".parse().unwrap();
        assert_eq!(mix, Mix { place: 3, cancel: 0, read: 1 });
        assert_eq!(mix.to_string().parse::<Mix>().unwrap(), mix);
    }

    #[test]
    fn mix_refuses_nonsense() {
        for bad in ["", "place=0", "place", "place=x", "place=-1", "buy=1", "place=1,place=2", "place=1;cancel=1"] {
            assert!(bad.parse::<Mix>().is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn reads_parse_and_refuse_duplicates() {
        assert_eq!(ReadKind::parse_list("balances,depth,open-orders").unwrap(), vec![ReadKind::Balances, ReadKind::Depth, ReadKind::OpenOrders]);
        assert_eq!(ReadKind::parse_list("").unwrap(), vec![]);
        assert!(ReadKind::parse_list("depth,depth").is_err());
        assert!(ReadKind::parse_list("wallet").is_err());
    }

    #[test]
    fn default_config_is_valid_and_validation_catches_mistakes() {
        let config = LoadgenConfig::default();
        config.validate().unwrap();
        let broken = [
            LoadgenConfig { rate_per_s: 0.0, ..config.clone() },
            LoadgenConfig { rate_per_s: f64::NAN, ..config.clone() },
            LoadgenConfig { duration_s: -1.0, ..config.clone() },
            LoadgenConfig { users: 0, ..config.clone() },
            LoadgenConfig { reads: vec![], ..config.clone() },
            LoadgenConfig { url: "https://example.invalid".into(), ..config.clone() },
            LoadgenConfig { symbol: "BTC THB".into(), ..config.clone() },
            LoadgenConfig { band_pct: 60.0, ..config.clone() },
        ];
        for c in broken {
            assert!(c.validate().is_err(), "{c:?}");
        }
    }

    #[test]
    fn rate_warnings_name_per_user_overload() {
        let quiet = LoadgenConfig { rate_per_s: 50_000.0, reads: vec![ReadKind::Balances, ReadKind::OpenOrders], ..LoadgenConfig::default() };
        assert!(quiet.rate_warnings().is_empty(), "{:?}", quiet.rate_warnings());
        let loud = LoadgenConfig { rate_per_s: 50_000.0, users: 10, ..LoadgenConfig::default() };
        let warnings = loud.rate_warnings();
        assert!(warnings.iter().any(|w| w.contains("places/s per user")), "{warnings:?}");
        assert!(warnings.iter().any(|w| w.contains("depth is public")), "{warnings:?}");
    }

    #[test]
    fn connections_never_exceed_users() {
        let c = LoadgenConfig { users: 3, connections: 64, ..LoadgenConfig::default() };
        assert_eq!(c.effective_connections(), 3);
    }
}
