//! The funds service's background work: at start, finishing what a crash interrupted (bank
//! lines half applied, withdrawals whose engine step or payout result is not known); then, every
//! [`SWEEP_EVERY`], expiring unpaid QRs, looking up unknown payouts, importing statements dropped
//! in the watched folder, and reconciling yesterday once its statement is in.

use crate::Web;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use talat_gateway::funds::ingest::StatementFormat;

pub const SWEEP_EVERY: Duration = Duration::from_secs(30);

/// The most statement files imported per sweep.
pub const MAX_FILES_PER_SWEEP: usize = 20;

pub fn spawn(web: &Arc<Web>) {
    let every = web.gateway.funds().config.statement_poll_ms.clamp(1_000, 3_600_000);
    let first = Arc::clone(web);
    tokio::spawn(async move {
        if let Err(e) = recover(&first).await {
            tracing::error!("funds: recovery after start failed: {e}");
        }
    });
    let interval = SWEEP_EVERY.min(Duration::from_millis(every));
    crate::spawn_periodic(web, interval, move |web| async move {
        match sweep(&web).await {
            // The sweep is THB's watcher both ways: statements in, payouts' outcomes looked up.
            Ok(()) => {
                let now_ms = web.gateway.now_ms();
                for component in ["deposits-thb", "withdrawals-thb"] {
                    web.gateway.health.beat(component, interval.as_millis() as u64, now_ms);
                }
            }
            Err(e) => tracing::warn!("funds: sweep failed: {e}"),
        }
    });
}

/// Finishes what a crash interrupted.
pub async fn recover(web: &Web) -> Result<(), String> {
    let funds = web.gateway.fiat().map_err(|e| e.message)?;
    let lines = funds.recover_lines().await.map_err(|e| e.message)?;
    let withdrawals = funds.recover_withdrawals().await.map_err(|e| e.message)?;
    if lines + withdrawals > 0 {
        tracing::info!("funds: recovered {lines} bank lines and {withdrawals} withdrawals after start");
    }
    Ok(())
}

pub async fn sweep(web: &Web) -> Result<(), String> {
    let funds = web.gateway.fiat().map_err(|e| e.message)?;
    web.store.expire_fiat_deposits(web.gateway.now_ms()).await.map_err(|e| e.to_string())?;
    funds.resolve_unknown_payouts().await.map_err(|e| e.message)?;
    if let Some(dir) = web.gateway.funds().config.statement_dir.clone() {
        import_folder(web, &dir).await?;
    }
    if let Some(report) = funds.reconcile_yesterday().await.map_err(|e| e.message)? {
        tracing::info!("funds: reconciled {}: difference {} satang", report.date, report.difference_satang);
    }
    Ok(())
}

/// Imports each statement file in `dir` once: moved to `imported/` after, or to `failed/` with
/// a `.error` note beside it.
async fn import_folder(web: &Web, dir: &Path) -> Result<(), String> {
    let mut files: Vec<_> =
        std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect();
    files.sort();
    for path in files.into_iter().take(MAX_FILES_PER_SWEEP) {
        let format = match path.extension().and_then(|e| e.to_str()) {
            Some("xml") => StatementFormat::Camt053,
            Some("csv") => StatementFormat::Csv,
            _ => continue,
        };
        let result = match std::fs::read_to_string(&path) {
            Ok(text) => web.gateway.fiat().map_err(|e| e.message)?.import_statement(format, &text, "statement folder").await.map_err(|e| e.message),
            Err(e) => Err(e.to_string()),
        };
        let target = dir.join(if result.is_ok() { "imported" } else { "failed" });
        std::fs::create_dir_all(&target).map_err(|e| e.to_string())?;
        let name = path.file_name().unwrap_or_default();
        std::fs::rename(&path, target.join(name)).map_err(|e| e.to_string())?;
        match result {
            Ok(summary) => tracing::info!("funds: imported {} ({} lines)", path.display(), summary.lines),
            Err(e) => {
                tracing::warn!("funds: statement {} refused: {e}", path.display());
                let _ = std::fs::write(target.join(format!("{}.error", name.to_string_lossy())), e);
            }
        }
    }
    Ok(())
}
