//! Leadership as a lease in etcd: campaign, keep-alive, resign, and the epoch counter.
//!
//! We speak etcd's v3 JSON gateway (`POST /v3/...`, documented as its HTTP API) with reqwest
//! rather than use the `etcd-client` crate, which would pull tonic and prost into the build.
//!
//! Two keys per cluster, both written by one transaction when a node wins:
//! - `/{cluster}/leader` = the node id, attached to the winner's lease, so it vanishes when the
//!   lease expires or is revoked. A node may claim it only while it does not exist.
//! - `/{cluster}/epoch` = the epoch as decimal text, with no lease: it outlives every leader. The
//!   winning transaction also compares the epoch key's mod_revision with the one read before,
//!   so two campaigners can never write the same epoch; the loser's transaction fails.
//!
//! Because they are written together and the leader key is never rewritten, the leader key's
//! create_revision equals the epoch key's mod_revision while a leader exists; `leader` checks it.
//!
//! A leader must stop acting as one when `keep_alive` answers `Ok(false)`, and also when it has
//! had no `Ok(true)` for `lease_ttl_s` since sending the last successful one: by then etcd may
//! have expired the lease and let a standby win a higher epoch (which fences this node anyway).
//!
//! What etcd 3.4's gateway does that shapes the parsing here: int64 fields (revisions, lease
//! ids, TTLs) are JSON strings; fields at their zero value are left out (`"succeeded": false`,
//! an empty `kvs`, a TTL of 0); keep-alive is a stream whose messages come wrapped as
//! `{"result": ...}`, and an unknown lease gets a 200 with no TTL rather than an error; a TTL
//! below etcd's minimum (2 s with default raft timing) is silently raised.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};
use std::time::Duration;

/// etcd raises shorter TTLs to this (with its default raft timing); asking for less would make
/// the lease last longer than the caller believes.
pub const LEASE_TTL_S_MIN: u64 = 2;
/// A lease this long already means minutes without a leader after a crash.
pub const LEASE_TTL_S_MAX: u64 = 600;
pub const REQUEST_TIMEOUT_MS_MIN: u64 = 10;
pub const CLUSTER_BYTES_MAX: usize = 64;
pub const NODE_ID_BYTES_MAX: usize = 128;
/// Every answer we ask for is a key or two of at most a few hundred bytes.
const RESPONSE_BYTES_MAX: usize = 64 * 1024;
/// A lost race with no leader afterwards (the winner resigned at once) is tried again, this
/// often, before `campaign` answers None.
const CAMPAIGN_ATTEMPTS_MAX: u32 = 3;
const ERROR_SOURCES_MAX: usize = 4;
/// gRPC status NOT_FOUND, which the gateway passes through as `"code": 5`.
const GRPC_NOT_FOUND: i32 = 5;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EtcdConfig {
    /// e.g. "http://127.0.0.1:2379" (plain HTTP: this build has no TLS).
    pub endpoint: String,
    /// The key prefix, e.g. "talat": the keys are `/{cluster}/leader` and `/{cluster}/epoch`.
    pub cluster: String,
    pub node_id: String,
    pub lease_ttl_s: u64,
    /// Bounds each request, from connecting to the last byte of the answer.
    pub request_timeout_ms: u64,
}

impl EtcdConfig {
    pub fn validate(&self) -> Result<(), CoordError> {
        let invalid = |why: String| Err(CoordError::Config(why));
        let url = reqwest::Url::parse(&self.endpoint).map_err(|e| CoordError::Config(format!("endpoint {:?}: {e}", self.endpoint)))?;
        if url.scheme() != "http" || url.host().is_none() {
            return invalid(format!("endpoint {:?} must be http://HOST:PORT (this build has no TLS)", self.endpoint));
        }
        if url.path() != "/" || url.query().is_some() {
            return invalid(format!("endpoint {:?} must have no path or query", self.endpoint));
        }
        let name_ok = |s: &str, max: usize| !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
        if !name_ok(&self.cluster, CLUSTER_BYTES_MAX) {
            return invalid(format!("cluster {:?} must be 1..={CLUSTER_BYTES_MAX} of A-Z a-z 0-9 - _ . :", self.cluster));
        }
        if !name_ok(&self.node_id, NODE_ID_BYTES_MAX) {
            return invalid(format!("node_id {:?} must be 1..={NODE_ID_BYTES_MAX} of A-Z a-z 0-9 - _ . :", self.node_id));
        }
        if !(LEASE_TTL_S_MIN..=LEASE_TTL_S_MAX).contains(&self.lease_ttl_s) {
            return invalid(format!("lease_ttl_s {} must be in {LEASE_TTL_S_MIN}..={LEASE_TTL_S_MAX}", self.lease_ttl_s));
        }
        // A keep-alive that may hang for more than half the lease leaves no time for a retry.
        let request_timeout_ms_max = self.lease_ttl_s * 1000 / 2;
        if !(REQUEST_TIMEOUT_MS_MIN..=request_timeout_ms_max).contains(&self.request_timeout_ms) {
            return invalid(format!(
                "request_timeout_ms {} must be in {REQUEST_TIMEOUT_MS_MIN}..={request_timeout_ms_max} (half the lease)",
                self.request_timeout_ms
            ));
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CoordError {
    #[error("etcd configuration: {0}")]
    Config(String),
    /// No answer: refused, reset, timed out. Whether a write took effect is unknown.
    #[error("etcd unreachable: {0}")]
    Unreachable(String),
    /// etcd answered with an error status.
    #[error("etcd refused {path}: {message} (HTTP {status}, gRPC code {code})")]
    Rejected { path: String, status: u16, code: i32, message: String },
    /// etcd answered something this module does not understand, or the keys break their invariant.
    #[error("etcd protocol: {0}")]
    Protocol(String),
    #[error("the epoch cannot pass u32::MAX (etcd holds {etcd_epoch}, the caller's minimum is {min_epoch})")]
    EpochExhausted { etcd_epoch: u32, min_epoch: u32 },
}

/// What a won campaign holds: the epoch to stamp on the journal and the lease to keep alive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leadership {
    pub epoch: u32,
    pub lease_id: i64,
}

#[derive(Debug)]
pub struct Etcd {
    client: reqwest::Client,
    config: EtcdConfig,
    /// The two keys, base64 as the gateway wants them.
    leader_key: String,
    epoch_key: String,
}

impl Etcd {
    pub fn new(mut config: EtcdConfig) -> Result<Etcd, CoordError> {
        config.validate()?;
        config.endpoint.truncate(config.endpoint.trim_end_matches('/').len());
        let timeout = Duration::from_millis(config.request_timeout_ms);
        // no_proxy: a system HTTP proxy must not sit between a node and its coordinator.
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .no_proxy()
            .build()
            .map_err(|e| CoordError::Config(format!("building the HTTP client: {e}")))?;
        let leader_key = b64(format!("/{}/leader", config.cluster).as_bytes());
        let epoch_key = b64(format!("/{}/epoch", config.cluster).as_bytes());
        Ok(Etcd { client, config, leader_key, epoch_key })
    }

    /// How often a leader should call `keep_alive`: three tries per lease.
    pub fn keep_alive_interval_ms(&self) -> u64 {
        self.config.lease_ttl_s * 1000 / 3
    }

    /// Tries once to become leader, with an epoch above both etcd's counter and `min_epoch` (the
    /// caller's journal may know a higher epoch than etcd, e.g. after a manual promotion).
    /// None if another node leads. A lease is granted only when nobody leads, and revoked again
    /// if the claim loses a race.
    pub async fn campaign(&self, min_epoch: u32) -> Result<Option<Leadership>, CoordError> {
        for _ in 0..CAMPAIGN_ATTEMPTS_MAX {
            let state = self.state().await?;
            if state.leader.is_some() {
                return Ok(None);
            }
            let epoch = next_epoch(state.epoch, min_epoch)?;
            let lease_id = self.grant_lease().await?;
            match self.claim(lease_id, epoch, state.epoch_mod_revision).await {
                Ok(true) => {
                    tracing::info!(node_id = %self.config.node_id, epoch, lease_id, "won leadership in etcd");
                    return Ok(Some(Leadership { epoch, lease_id }));
                }
                // Another campaigner wrote first; look again (it most likely leads now).
                Ok(false) => self.discard_lease(lease_id).await,
                // The claim may or may not have been applied; revoking the lease undoes it if it was
                // (the epoch then has a gap, which fencing allows).
                Err(e) => {
                    self.discard_lease(lease_id).await;
                    return Err(e);
                }
            }
        }
        Ok(None)
    }

    /// Renews the lease once. Ok(true) while this node leads; Ok(false) once the lease is gone or
    /// the leader key no longer names this node with this lease.
    pub async fn keep_alive(&self, leadership: &Leadership) -> Result<bool, CoordError> {
        let path = "/v3/lease/keepalive";
        let body = self.post(path, &json!({ "ID": leadership.lease_id.to_string() })).await?;
        if parse_keep_alive(path, &body)? <= 0 {
            return Ok(false);
        }
        let leader = self.range_one(&self.leader_key).await?;
        Ok(leader.is_some_and(|kv| holds(&kv, &self.config.node_id, leadership.lease_id)))
    }

    /// Who leads now, and in which epoch.
    pub async fn leader(&self) -> Result<Option<(String, u32)>, CoordError> {
        let state = self.state().await?;
        let Some(kv) = state.leader else { return Ok(None) };
        if kv.create_revision != state.epoch_mod_revision {
            return Err(CoordError::Protocol(format!(
                "the leader key (created at revision {}) and the epoch key (written at {}) were not written together; \
                 something other than talat writes them",
                kv.create_revision, state.epoch_mod_revision
            )));
        }
        Ok(Some((decode_text("leader", &kv.value)?, state.epoch)))
    }

    /// The epoch counter: the last epoch any node won (0 if none ever did).
    pub async fn epoch(&self) -> Result<u32, CoordError> {
        let kv = self.range_one(&self.epoch_key).await?;
        Ok(parse_epoch(kv.as_ref())?.0)
    }

    /// Gives up leadership at once by revoking the lease, which deletes the leader key. Succeeds
    /// also when the lease is already gone.
    pub async fn resign(&self, leadership: &Leadership) -> Result<(), CoordError> {
        self.revoke_lease(leadership.lease_id).await?;
        tracing::info!(node_id = %self.config.node_id, epoch = leadership.epoch, "resigned leadership in etcd");
        Ok(())
    }

    /// The leader key and the epoch key, read at one revision.
    async fn state(&self) -> Result<State, CoordError> {
        let txn: TxnResponse = self.call("/v3/kv/txn", &state_txn(&self.leader_key, &self.epoch_key)).await?;
        parse_state(txn)
    }

    async fn range_one(&self, key: &str) -> Result<Option<KeyValue>, CoordError> {
        let range: RangeResponse = self.call("/v3/kv/range", &json!({ "key": key })).await?;
        single(range)
    }

    async fn grant_lease(&self) -> Result<i64, CoordError> {
        let ttl_s = self.config.lease_ttl_s;
        let grant: LeaseGrantResponse = self.call("/v3/lease/grant", &json!({ "TTL": ttl_s.to_string() })).await?;
        if !grant.error.is_empty() {
            return Err(CoordError::Protocol(format!("lease grant: {}", grant.error)));
        }
        if grant.id == 0 {
            return Err(CoordError::Protocol("lease grant answered no lease id".into()));
        }
        // A longer TTL than asked means etcd's minimum is higher than ours: the lease would outlive
        // what every node assumes, so refuse rather than lead on it.
        if u64::try_from(grant.ttl_s) != Ok(ttl_s) {
            self.discard_lease(grant.id).await;
            return Err(CoordError::Protocol(format!("etcd granted a {} s lease for {ttl_s} s asked; raise lease_ttl_s to match", grant.ttl_s)));
        }
        Ok(grant.id)
    }

    async fn claim(&self, lease_id: i64, epoch: u32, epoch_mod_revision: i64) -> Result<bool, CoordError> {
        let txn = claim_txn(&self.leader_key, &self.epoch_key, &self.config.node_id, lease_id, epoch, epoch_mod_revision);
        let answer: TxnResponse = self.call("/v3/kv/txn", &txn).await?;
        Ok(answer.succeeded)
    }

    async fn revoke_lease(&self, lease_id: i64) -> Result<(), CoordError> {
        match self.post("/v3/lease/revoke", &json!({ "ID": lease_id.to_string() })).await {
            Ok(_) => Ok(()),
            Err(CoordError::Rejected { code: GRPC_NOT_FOUND, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Best effort: a lease nobody keeps alive expires within its TTL anyway.
    async fn discard_lease(&self, lease_id: i64) {
        if let Err(e) = self.revoke_lease(lease_id).await {
            tracing::warn!(lease_id, error = %e, "revoking an unused etcd lease failed; it expires by itself");
        }
    }

    async fn call<T: DeserializeOwned>(&self, path: &str, body: &Value) -> Result<T, CoordError> {
        let bytes = self.post(path, body).await?;
        serde_json::from_slice(&bytes).map_err(|e| CoordError::Protocol(format!("{path}: {e} in {}", excerpt(&bytes))))
    }

    /// One POST; the raw body of a 2xx answer, or the error etcd answered.
    async fn post(&self, path: &str, body: &Value) -> Result<Vec<u8>, CoordError> {
        let url = format!("{}{path}", self.config.endpoint);
        let unreachable = |e: reqwest::Error| CoordError::Unreachable(describe(&url, self.config.request_timeout_ms, &e));
        let mut response = self.client.post(&url).json(body).send().await.map_err(unreachable)?;
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
            if bytes.len() + chunk.len() > RESPONSE_BYTES_MAX {
                return Err(CoordError::Protocol(format!("{path}: answer longer than {RESPONSE_BYTES_MAX} bytes")));
            }
            bytes.extend_from_slice(&chunk);
        }
        let status = response.status();
        if !status.is_success() {
            return Err(rejected(path, status.as_u16(), &bytes));
        }
        Ok(bytes)
    }
}

/// The two keys as read at one revision; the epoch is 0 and its mod_revision 0 when it was never set.
#[derive(Debug, PartialEq, Eq)]
struct State {
    leader: Option<KeyValue>,
    epoch: u32,
    epoch_mod_revision: i64,
}

#[derive(Debug, Default, PartialEq, Eq, Deserialize)]
struct KeyValue {
    /// base64.
    #[serde(default)]
    value: String,
    #[serde(default, deserialize_with = "int64")]
    create_revision: i64,
    #[serde(default, deserialize_with = "int64")]
    mod_revision: i64,
    #[serde(default, deserialize_with = "int64")]
    lease: i64,
}

#[derive(Debug, Deserialize)]
struct RangeResponse {
    #[serde(default)]
    kvs: Vec<KeyValue>,
}

#[derive(Debug, Deserialize)]
struct TxnResponse {
    #[serde(default)]
    succeeded: bool,
    #[serde(default)]
    responses: Vec<ResponseOp>,
}

/// One answer in a transaction; only ranges are read back.
#[derive(Debug, Deserialize)]
struct ResponseOp {
    #[serde(default)]
    response_range: Option<RangeResponse>,
}

#[derive(Debug, Deserialize)]
struct LeaseGrantResponse {
    #[serde(rename = "ID", default, deserialize_with = "int64")]
    id: i64,
    #[serde(rename = "TTL", default, deserialize_with = "int64")]
    ttl_s: i64,
    #[serde(default)]
    error: String,
}

/// One message of the keep-alive stream: a result, or an error in the stream's own shape.
#[derive(Debug, Deserialize)]
struct KeepAliveMessage {
    result: Option<LeaseKeepAliveResponse>,
    error: Option<StreamError>,
}

#[derive(Debug, Deserialize)]
struct StreamError {
    #[serde(default)]
    grpc_code: i32,
    #[serde(default)]
    http_code: u16,
    #[serde(default)]
    message: String,
}

#[derive(Debug, Deserialize)]
struct LeaseKeepAliveResponse {
    #[serde(rename = "TTL", default, deserialize_with = "int64")]
    ttl_s: i64,
}

/// The gateway's error body: `{"error": "...", "message": "...", "code": 5}`.
#[derive(Debug, Default, Deserialize)]
struct GatewayError {
    #[serde(default)]
    message: String,
    #[serde(default)]
    code: i32,
}

/// int64 as the gateway writes it (a JSON string), or as a plain number.
fn int64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Int64 {
        Text(String),
        Number(i64),
    }
    match Int64::deserialize(deserializer)? {
        Int64::Text(text) => text.parse().map_err(|_| D::Error::custom(format!("int64 expected, got {text:?}"))),
        Int64::Number(n) => Ok(n),
    }
}

fn b64(bytes: &[u8]) -> String {
    BASE64.encode(bytes)
}

fn decode_text(what: &str, value_b64: &str) -> Result<String, CoordError> {
    let bytes = BASE64.decode(value_b64).map_err(|e| CoordError::Protocol(format!("the {what} key's value is not base64: {e}")))?;
    String::from_utf8(bytes).map_err(|_| CoordError::Protocol(format!("the {what} key's value is not UTF-8")))
}

/// Both ranges read in one transaction with no conditions, so at one revision.
fn state_txn(leader_key: &str, epoch_key: &str) -> Value {
    json!({ "success": [
        { "request_range": { "key": leader_key } },
        { "request_range": { "key": epoch_key } },
    ] })
}

/// Writes the leader key (with the lease) and the new epoch, only if nobody leads and nobody
/// changed the epoch since it was read (mod_revision 0: it still does not exist).
fn claim_txn(leader_key: &str, epoch_key: &str, node_id: &str, lease_id: i64, epoch: u32, epoch_mod_revision: i64) -> Value {
    json!({
        "compare": [
            { "key": leader_key, "target": "CREATE", "result": "EQUAL", "create_revision": "0" },
            { "key": epoch_key, "target": "MOD", "result": "EQUAL", "mod_revision": epoch_mod_revision.to_string() },
        ],
        "success": [
            { "request_put": { "key": leader_key, "value": b64(node_id.as_bytes()), "lease": lease_id.to_string() } },
            { "request_put": { "key": epoch_key, "value": b64(epoch.to_string().as_bytes()) } },
        ],
    })
}

fn parse_state(txn: TxnResponse) -> Result<State, CoordError> {
    if !txn.succeeded || txn.responses.len() != 2 {
        return Err(CoordError::Protocol(format!("reading the keys: succeeded {} with {} answers, expected 2", txn.succeeded, txn.responses.len())));
    }
    let mut ranges =
        txn.responses.into_iter().map(|op| op.response_range.ok_or_else(|| CoordError::Protocol("reading the keys: an answer is not a range".into())));
    let leader = single(ranges.next().expect("two answers")?)?;
    let epoch_kv = single(ranges.next().expect("two answers")?)?;
    let (epoch, epoch_mod_revision) = parse_epoch(epoch_kv.as_ref())?;
    Ok(State { leader, epoch, epoch_mod_revision })
}

/// A single-key range has at most one key.
fn single(range: RangeResponse) -> Result<Option<KeyValue>, CoordError> {
    if range.kvs.len() > 1 {
        return Err(CoordError::Protocol(format!("a single-key range answered {} keys", range.kvs.len())));
    }
    Ok(range.kvs.into_iter().next())
}

/// The epoch and its mod_revision; (0, 0) when the key does not exist.
fn parse_epoch(kv: Option<&KeyValue>) -> Result<(u32, i64), CoordError> {
    let Some(kv) = kv else { return Ok((0, 0)) };
    let text = decode_text("epoch", &kv.value)?;
    let epoch = text.parse::<u32>().map_err(|_| CoordError::Protocol(format!("the epoch key holds {text:?}, not an epoch")))?;
    // 0 stands for "no key" in the claim's comparison, so an existing key must not have it.
    if kv.mod_revision <= 0 {
        return Err(CoordError::Protocol(format!("the epoch key exists with mod_revision {}", kv.mod_revision)));
    }
    Ok((epoch, kv.mod_revision))
}

fn next_epoch(etcd_epoch: u32, min_epoch: u32) -> Result<u32, CoordError> {
    etcd_epoch.max(min_epoch).checked_add(1).ok_or(CoordError::EpochExhausted { etcd_epoch, min_epoch })
}

/// The TTL left after a keep-alive: 0 or less when the lease is gone. The answer is a stream of
/// newline-separated messages; one request gets one message.
fn parse_keep_alive(path: &str, body: &[u8]) -> Result<i64, CoordError> {
    let protocol = |why: String| CoordError::Protocol(format!("{path}: {why} in {}", excerpt(body)));
    let line = body.split(|&b| b == b'\n').find(|line| !line.trim_ascii().is_empty()).ok_or_else(|| protocol("no message".into()))?;
    let message: KeepAliveMessage = serde_json::from_slice(line).map_err(|e| protocol(e.to_string()))?;
    match message {
        KeepAliveMessage { error: Some(e), .. } => Err(CoordError::Rejected { path: path.into(), status: e.http_code, code: e.grpc_code, message: e.message }),
        KeepAliveMessage { result: Some(result), .. } => Ok(result.ttl_s),
        KeepAliveMessage { result: None, error: None } => Err(protocol("neither result nor error".into())),
    }
}

fn holds(kv: &KeyValue, node_id: &str, lease_id: i64) -> bool {
    kv.lease == lease_id && BASE64.decode(&kv.value).is_ok_and(|value| value == node_id.as_bytes())
}

fn rejected(path: &str, status: u16, body: &[u8]) -> CoordError {
    let error: GatewayError = serde_json::from_slice(body).unwrap_or_default();
    let message = if error.message.is_empty() { excerpt(body) } else { error.message };
    CoordError::Rejected { path: path.into(), status, code: error.code, message }
}

/// The start of an answer, for error messages.
fn excerpt(body: &[u8]) -> String {
    const EXCERPT_BYTES_MAX: usize = 200;
    let text = String::from_utf8_lossy(&body[..body.len().min(EXCERPT_BYTES_MAX)]);
    if body.len() > EXCERPT_BYTES_MAX {
        format!("{text:?}…")
    } else {
        format!("{text:?}")
    }
}

/// reqwest's own message is terse ("error sending request"); its sources say why.
fn describe(url: &str, timeout_ms: u64, error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return format!("{url}: no answer within {timeout_ms} ms");
    }
    let mut text = format!("{url}: {error}");
    let mut source = std::error::Error::source(error);
    for _ in 0..ERROR_SOURCES_MAX {
        let Some(cause) = source else { break };
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> EtcdConfig {
        EtcdConfig { endpoint: "http://127.0.0.1:2379".into(), cluster: "talat".into(), node_id: "node-a".into(), lease_ttl_s: 2, request_timeout_ms: 500 }
    }

    fn invalid(change: impl FnOnce(&mut EtcdConfig)) -> String {
        let mut c = config();
        change(&mut c);
        match c.validate() {
            Err(CoordError::Config(why)) => why,
            other => panic!("expected a configuration error for {c:?}, got {other:?}"),
        }
    }

    #[test]
    fn config_validation() {
        config().validate().unwrap();
        EtcdConfig { endpoint: "http://etcd.internal:2379/".into(), ..config() }.validate().unwrap();
        assert!(invalid(|c| c.endpoint = "https://127.0.0.1:2379".into()).contains("no TLS"));
        assert!(invalid(|c| c.endpoint = "127.0.0.1:2379".into()).contains("endpoint"));
        assert!(invalid(|c| c.endpoint = "http://127.0.0.1:2379/v3".into()).contains("no path"));
        assert!(invalid(|c| c.cluster = String::new()).contains("cluster"));
        assert!(invalid(|c| c.cluster = "a/b".into()).contains("cluster"));
        assert!(invalid(|c| c.node_id = "x".repeat(NODE_ID_BYTES_MAX + 1)).contains("node_id"));
        assert!(invalid(|c| c.lease_ttl_s = 1).contains("lease_ttl_s"));
        assert!(invalid(|c| c.lease_ttl_s = LEASE_TTL_S_MAX + 1).contains("lease_ttl_s"));
        assert!(invalid(|c| c.request_timeout_ms = 1_001).contains("half the lease"));
        assert!(invalid(|c| c.request_timeout_ms = 0).contains("request_timeout_ms"));
    }

    #[test]
    fn new_trims_the_endpoint_and_encodes_the_keys() {
        let etcd = Etcd::new(EtcdConfig { endpoint: "http://127.0.0.1:2379/".into(), ..config() }).unwrap();
        assert_eq!(etcd.config.endpoint, "http://127.0.0.1:2379");
        assert_eq!(BASE64.decode(&etcd.leader_key).unwrap(), b"/talat/leader");
        assert_eq!(BASE64.decode(&etcd.epoch_key).unwrap(), b"/talat/epoch");
        assert_eq!(etcd.keep_alive_interval_ms(), 666);
    }

    #[test]
    fn claim_txn_compares_both_keys_and_writes_both() {
        let txn = claim_txn("TA==", "RQ==", "node-a", 7587869, 3, 41);
        assert_eq!(
            txn,
            json!({
                "compare": [
                    { "key": "TA==", "target": "CREATE", "result": "EQUAL", "create_revision": "0" },
                    { "key": "RQ==", "target": "MOD", "result": "EQUAL", "mod_revision": "41" },
                ],
                "success": [
                    { "request_put": { "key": "TA==", "value": "bm9kZS1h", "lease": "7587869" } },
                    { "request_put": { "key": "RQ==", "value": "Mw==" } },
                ],
            })
        );
    }

    #[test]
    fn state_parses_with_and_without_keys() {
        // As etcd 3.4 answers: int64 as strings, an empty range without "kvs".
        let body = r#"{"header":{"revision":"9"},"succeeded":true,"responses":[
            {"response_range":{"header":{"revision":"9"},"kvs":[{"key":"L3QvbGVhZGVy","create_revision":"8","mod_revision":"8","version":"1","value":"bm9kZS1h","lease":"4111120477251362313"}],"count":"1"}},
            {"response_range":{"header":{"revision":"9"},"kvs":[{"key":"L3QvZXBvY2g=","create_revision":"2","mod_revision":"8","version":"3","value":"Mw=="}],"count":"1"}}]}"#;
        let state = parse_state(serde_json::from_str(body).unwrap()).unwrap();
        let leader = state.leader.unwrap();
        assert_eq!((leader.create_revision, leader.lease), (8, 4111120477251362313));
        assert!(holds(&leader, "node-a", 4111120477251362313));
        assert!(!holds(&leader, "node-b", 4111120477251362313));
        assert!(!holds(&leader, "node-a", 1));
        assert_eq!((state.epoch, state.epoch_mod_revision), (3, 8));

        let empty = r#"{"header":{"revision":"1"},"succeeded":true,"responses":[{"response_range":{"header":{"revision":"1"}}},{"response_range":{"header":{"revision":"1"}}}]}"#;
        assert_eq!(parse_state(serde_json::from_str(empty).unwrap()).unwrap(), State { leader: None, epoch: 0, epoch_mod_revision: 0 });
    }

    #[test]
    fn a_failed_txn_omits_succeeded() {
        let txn: TxnResponse = serde_json::from_str(r#"{"header":{"revision":"2"}}"#).unwrap();
        assert!(!txn.succeeded);
        assert!(matches!(parse_state(txn), Err(CoordError::Protocol(_))));
    }

    #[test]
    fn epoch_values_must_be_epochs() {
        let kv = |value: &str| KeyValue { value: b64(value.as_bytes()), mod_revision: 5, ..KeyValue::default() };
        assert_eq!(parse_epoch(Some(&kv("4294967295"))).unwrap(), (u32::MAX, 5));
        assert!(matches!(parse_epoch(Some(&kv("4294967296"))), Err(CoordError::Protocol(_))));
        assert!(matches!(parse_epoch(Some(&kv("-1"))), Err(CoordError::Protocol(_))));
        let not_base64 = KeyValue { value: "!!".into(), mod_revision: 5, ..KeyValue::default() };
        assert!(matches!(parse_epoch(Some(&not_base64)), Err(CoordError::Protocol(_))));
        let unwritten = KeyValue { value: b64(b"1"), ..KeyValue::default() };
        assert!(matches!(parse_epoch(Some(&unwritten)), Err(CoordError::Protocol(_))));
    }

    #[test]
    fn next_epoch_is_above_both() {
        assert_eq!(next_epoch(0, 0).unwrap(), 1);
        assert_eq!(next_epoch(3, 7).unwrap(), 8);
        assert_eq!(next_epoch(9, 7).unwrap(), 10);
        assert_eq!(next_epoch(1, u32::MAX), Err(CoordError::EpochExhausted { etcd_epoch: 1, min_epoch: u32::MAX }));
    }

    #[test]
    fn keep_alive_answers() {
        let path = "/v3/lease/keepalive";
        let held = b"{\"result\":{\"header\":{\"revision\":\"2\"},\"ID\":\"41\",\"TTL\":\"2\"}}\n\n";
        assert_eq!(parse_keep_alive(path, held).unwrap(), 2);
        // An unknown or expired lease: a 200 whose TTL is left out.
        assert_eq!(parse_keep_alive(path, br#"{"result":{"header":{"revision":"3"},"ID":"41"}}"#).unwrap(), 0);
        let error = br#"{"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader"}}"#;
        assert!(
            matches!(parse_keep_alive(path, error), Err(CoordError::Rejected { status: 503, code: 14, message, .. }) if message == "etcdserver: no leader")
        );
        assert!(matches!(parse_keep_alive(path, b"\n"), Err(CoordError::Protocol(_))));
        assert!(matches!(parse_keep_alive(path, b"{}"), Err(CoordError::Protocol(_))));
    }

    #[test]
    fn lease_grant_parses() {
        let grant: LeaseGrantResponse = serde_json::from_str(r#"{"header":{},"ID":"4111120477251362310","TTL":"2"}"#).unwrap();
        assert_eq!((grant.id, grant.ttl_s, grant.error.as_str()), (4111120477251362310, 2, ""));
        assert!(serde_json::from_str::<LeaseGrantResponse>(r#"{"ID":"twelve"}"#).is_err());
    }

    #[test]
    fn gateway_errors_read_well() {
        let body = br#"{"error":"etcdserver: requested lease not found","message":"etcdserver: requested lease not found","code":5}"#;
        let error = rejected("/v3/lease/revoke", 404, body);
        assert_eq!(
            error,
            CoordError::Rejected {
                path: "/v3/lease/revoke".into(),
                status: 404,
                code: GRPC_NOT_FOUND,
                message: "etcdserver: requested lease not found".into()
            }
        );
        assert_eq!(error.to_string(), "etcd refused /v3/lease/revoke: etcdserver: requested lease not found (HTTP 404, gRPC code 5)");
        // Not the gateway's shape (a proxy's page, say): the body itself is the message.
        assert!(matches!(rejected("/v3/kv/range", 502, b"Bad Gateway"), CoordError::Rejected { code: 0, message, .. } if message == "\"Bad Gateway\""));
    }
}
