//! Building the gateway's state, moving API keys between the store and the key ring, and the
//! publisher that keeps the read models current on the sequencer thread.
//!
//! The read models are applied on the sequencer thread before the batch's tickets resolve: an
//! acknowledged client always reads its own write, with no extra thread hop per request. The
//! apply is a few hash and tree updates per event, small next to the batch's fdatasync.

use crate::gateway::{AppState, Gateway};
use crate::read::ReadModel;
use std::sync::Arc;
use talat_core::Applied;
use talat_sequencer::Publisher;

/// The publisher that keeps `read` current.
pub fn read_model_publisher(read: Arc<ReadModel>) -> impl Publisher {
    move |batch: Vec<Applied>| {
        read.apply_batch(&batch);
        metrics::gauge!("talat_read_applied_seq").set(read.applied_seq() as f64);
    }
}

/// Loads every active API key from the store into the ring, opening each secret with the
/// master key.
pub async fn load_keys(gateway: &Gateway) -> Result<usize, String> {
    let Some(store) = &gateway.store else { return Ok(0) };
    let rows = store.api_keys().await.map_err(|e| e.to_string())?;
    let mut loaded = 0;
    for row in rows.into_iter().filter(|r| r.revoked_ms.is_none()) {
        let secret = gateway.master.open(&row.api_key, &row.secret_ciphertext, &row.secret_nonce).map_err(|e| e.to_string())?;
        let ip_allow = row
            .ip_allow
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().parse())
            .collect::<Result<Vec<std::net::IpAddr>, _>>()
            .map_err(|e| format!("key {}: bad IP in its allow-list: {e}", row.api_key))?;
        gateway.keys.insert(row.api_key, row.user, secret, crate::auth::Perms::from_bits(row.perms as i64), ip_allow);
        loaded += 1;
    }
    Ok(loaded)
}

/// Creates an API key for `user`: stored sealed, active at once. Returns (key, secret).
pub async fn create_key(
    gateway: &Gateway,
    user: talat_core::UserId,
    perms: crate::auth::Perms,
    ip_allow: Vec<std::net::IpAddr>,
) -> Result<(String, String), String> {
    let (key, secret) = crate::auth::keys::generate_credentials();
    if let Some(store) = &gateway.store {
        let (sealed, nonce) = gateway.master.seal(&key, secret.as_bytes());
        let row = talat_store::ApiKeyRow {
            api_key: key.clone(),
            user,
            secret_ciphertext: sealed,
            secret_nonce: nonce,
            perms: perms.bits() as u32,
            ip_allow: ip_allow.iter().map(|ip| ip.to_string()).collect::<Vec<_>>().join(","),
            created_ms: gateway.now_ms(),
            revoked_ms: None,
        };
        store.insert_api_key(&row).await.map_err(|e| e.to_string())?;
    }
    gateway.keys.insert(key.clone(), user, secret.clone().into_bytes(), perms, ip_allow);
    Ok((key, secret))
}

/// The wall clock in Unix milliseconds.
pub fn system_clock_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Builds the gateway state.
#[allow(clippy::too_many_arguments)]
pub fn gateway(
    config: crate::config::ApiConfig,
    sequencer: talat_sequencer::SequencerHandle,
    read: Arc<ReadModel>,
    store: Option<(talat_store::Store, talat_store::ProjectorHandle)>,
    master: crate::auth::MasterKey,
    metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
) -> AppState {
    let (store, projector) = match store {
        Some((s, p)) => (Some(s), Some(p)),
        None => (None, None),
    };
    let limits = crate::limits::RateLimits::new(config.rate_limits, config.rate_block_s, config.public_per_ip_per_s);
    let new_order_budget = std::num::NonZeroU32::new(config.max_new_orders_per_s).map(|n| governor::RateLimiter::direct(governor::Quota::per_second(n)));
    let upload_permits = tokio::sync::Semaphore::new(config.max_concurrent_uploads);
    Arc::new(Gateway {
        new_order_budget,
        upload_permits,
        config,
        sequencer,
        read,
        store,
        projector,
        keys: Default::default(),
        master,
        limits,
        inflight_places: Default::default(),
        ws_connections: Default::default(),
        ws_per_ip: Default::default(),
        private_ws_per_key: Default::default(),
        metrics,
        clock: Arc::new(system_clock_ms),
        funds_state: Default::default(),
        surveillance_state: Default::default(),
        health: Default::default(),
        timers_started: Default::default(),
        refusals: Default::default(),
        replays: crate::auth::replay::ReplayGuard::new(crate::auth::replay::DEFAULT_MAX_ENTRIES),
    })
}
