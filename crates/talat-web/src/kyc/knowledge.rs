//! The knowledge test: the configured test (or the built-in one) and whether an account passed
//! its current version.

use crate::error::{WebError, WebResult};
use crate::Web;
use serde_json::{json, Value};
use talat_onboarding::KnowledgeTest;

/// How many knowledge-test attempts are looked at for "passed".
pub const KNOWLEDGE_LOOKBACK: i64 = 500;

/// The configured knowledge test, or the built-in one.
pub fn knowledge_test(web: &Web) -> WebResult<KnowledgeTest> {
    match &web.config.onboarding.knowledge_test_path {
        None => Ok(talat_onboarding::default_test()),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| WebError::internal(format!("knowledge test {}: {e}", path.display())))?;
            KnowledgeTest::from_json(&text).map_err(|e| WebError::internal(format!("knowledge test {}: {e}", path.display())))
        }
    }
}

/// Whether the customer passed the current version of the test, and their latest attempt.
pub async fn knowledge_state(web: &Web, account_id: u64) -> WebResult<Option<Value>> {
    let test = knowledge_test(web)?;
    let results = web.store.knowledge_results(account_id, KNOWLEDGE_LOOKBACK).await?;
    let Some(last) = results.first() else { return Ok(None) };
    let passed = results.iter().any(|r| r.passed && r.test_version == test.version);
    Ok(Some(json!({"passed": passed, "version": test.version, "last_score_pct": last.score_pct})))
}

/// What a reviewer sees of the customer's knowledge test: whether the current version is
/// passed, the latest attempt (score, pass or fail, when, which version) and how many there
/// were; `None` before any attempt.
pub async fn knowledge_result(web: &Web, account_id: u64) -> WebResult<Option<Value>> {
    let test = knowledge_test(web)?;
    let results = web.store.knowledge_results(account_id, KNOWLEDGE_LOOKBACK).await?;
    let Some(last) = results.first() else { return Ok(None) };
    let passed_current = results.iter().any(|r| r.passed && r.test_version == test.version);
    Ok(Some(json!({
        "passed_current": passed_current,
        "current_version": test.version,
        "attempts": results.len(),
        "last": {"score_pct": last.score_pct, "passed": last.passed, "ts_ms": last.ts_ms, "version": last.test_version},
    })))
}
