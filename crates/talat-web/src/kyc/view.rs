//! Applications and documents as JSON: one shape for the customer and the reviewer (who sees
//! it extended with the queue's fields, the documents and the evidence).

use serde_json::{json, Value};
use talat_store::{KycApplicationRow, KycDocumentRow, KycEventRow};

/// The reviewer's latest request for information, while the application waits for it.
pub fn requested_info(app: &KycApplicationRow, events: &[KycEventRow]) -> Option<String> {
    if app.status != "more_info" {
        return None;
    }
    events.iter().rev().find(|e| e.kind == "info_requested").map(|e| e.detail.clone())
}

/// An application as its customer (and, extended, the console) sees it.
pub fn application_json(app: &KycApplicationRow, events: &[KycEventRow]) -> Value {
    let factors: Value = app.risk_factors.as_deref().and_then(|f| serde_json::from_str(f).ok()).unwrap_or(Value::Null);
    let risk = match &app.risk_rating {
        Some(rating) => json!({"rating": rating, "next_review_ms": factors.get("next_review_ms").cloned().unwrap_or(Value::Null)}),
        None => Value::Null,
    };
    json!({
        "id": app.id,
        "level": app.level,
        "status": app.status,
        "submitted_ms": app.submitted_ms,
        "decided_ms": app.decided_ms,
        "decision_reason": app.decision_reason,
        "requested_info": requested_info(app, events),
        "identity": {"provider": app.idv_provider, "outcome": app.idv_outcome},
        "screening": app.screening_status,
        "risk": risk,
    })
}

/// A document's description (never its bytes).
pub fn document_json(d: &KycDocumentRow) -> Value {
    json!({"id": d.id, "purpose": d.purpose, "content_type": d.content_type, "size": d.size_bytes, "width": d.width, "height": d.height, "created_ms": d.created_ms})
}
