//! The dead-man's switch's timer: when an armed switch's deadline passes, it submits the
//! journaled `CancelAfterExpired`, and the engine cancels the client's orders if the switch was
//! not refreshed meanwhile. The deadlines live in the engine's state, so after a restart the
//! recovered read models name them and this timer fires them.

use crate::gateway::Gateway;
use std::sync::{Arc, Weak};
use std::time::Duration;
use talat_core::{Command, RejectReason};

/// Longest sleep between looks: a switch armed while the timer sleeps wakes it anyway.
const TICK_MAX_MS: u64 = 1_000;
/// Shortest sleep after a look that found switches due: the engine's sequenced time may trail
/// this clock by a batch, and a switch it calls not yet due is tried again after this.
const RETRY_MS: u64 = 20;
/// Most switches fired per look, so one look stays short; the rest go on the next.
const FIRES_PER_LOOK_MAX: usize = 256;

/// Runs the timer until the gateway is dropped.
pub fn spawn(gateway: &Arc<Gateway>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(Arc::downgrade(gateway)))
}

async fn run(gateway: Weak<Gateway>) {
    loop {
        let Some(gw) = gateway.upgrade() else { return };
        let now_ms = gw.now_ms();
        let (earliest, due) = gw.read.cancel_after_due(now_ms, FIRES_PER_LOOK_MAX);
        for &user in &due {
            match gw.submit(Command::CancelAfterExpired { user }).await.map(|o| crate::gateway::refusal(&o)) {
                Ok(None) => tracing::info!(user = user.0, "dead-man's switch fired: the client's orders are cancelled"),
                Ok(Some(RejectReason::CancelAfterNotDue)) => {}
                Ok(Some(reason)) => tracing::warn!(user = user.0, "dead-man's switch: the engine refused to fire it: {reason}"),
                Err(e) => tracing::warn!(user = user.0, "dead-man's switch: not submitted, tried again shortly: {}", e.message),
            }
        }
        let wait_ms = match earliest {
            Some(deadline_ms) => deadline_ms.saturating_sub(now_ms).clamp(RETRY_MS, TICK_MAX_MS),
            None => TICK_MAX_MS,
        };
        let read = gw.read.clone();
        drop(gw);
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(wait_ms)) => {}
            _ = read.cancel_after_changed() => {}
        }
    }
}
