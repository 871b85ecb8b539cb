//! The customer's onboarding routes: the KYC status and next step, the level-1 application
//! (every field checked by `talat-onboarding`, the identity checked by the provider, screened,
//! rated for risk, stored in one transaction), level 2, the answer to a reviewer's request for
//! information, and the knowledge test. Email verification and document uploads are the routes
//! of `email` and `documents`.
//!
//! Every check runs before anything is stored, so a refused request stores nothing.

use super::admission;
use super::identity::{self, IdType, IdentityRequest};
use super::knowledge::{knowledge_state, knowledge_test};
use super::levels;
use super::screening;
use super::view::application_json;
use crate::auth::Customer;
use crate::body;
use crate::error::{WebError, WebResult};
use crate::Web;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;
use talat_onboarding::account::{next_step, Journey};
use talat_onboarding::country::canonical_code;
use talat_onboarding::dob::{check_adult, parse_dob, Era};
use talat_onboarding::passport::{parse_passport, PassportError};
use talat_onboarding::risk::{assess, MonthlyVolumeBand, RiskInput, SourceOfFunds};
use talat_onboarding::{parse_laser_code, parse_latin_name, parse_national_id, parse_thai_name, Date, Subject};
use talat_store::{KycApplicationRow, KycChange, KycCreate, NewKycApplication, NewKycEvent, Set, WebAccountRow};

/// Bounds of the free-text fields.
const ADDRESS_MAX_CHARS: usize = 300;
const NOTE_MAX_CHARS: usize = 1_000;
const EXPECTED_MONTHLY_MAX_THB: u64 = 1_000_000_000_000;
const LEVEL2_DOCUMENTS_MAX: usize = 10;

pub fn routes() -> Router<Arc<Web>> {
    Router::new()
        .route("/web/api/kyc", get(status))
        .route("/web/api/kyc/level1", post(level1))
        .route("/web/api/kyc/level2", post(level2))
        .route("/web/api/kyc/applications/{id}/info", post(info))
        .route("/web/api/kyc/knowledge-test", get(knowledge_get).post(knowledge_post))
}

// ---- views -------------------------------------------------------------------------------------

async fn customer_application_json(web: &Web, app: &KycApplicationRow) -> WebResult<Value> {
    let events = web.store.kyc_events(app.id).await?;
    Ok(application_json(app, &events))
}

// ---- the knowledge test --------------------------------------------------------------------------

async fn knowledge_get(State(web): State<Arc<Web>>, _: Customer) -> WebResult<Json<Value>> {
    let test = knowledge_test(&web)?;
    Ok(Json(serde_json::to_value(test.public_view()).map_err(WebError::internal)?))
}

async fn knowledge_post(State(web): State<Arc<Web>>, headers: HeaderMap, Customer { account, .. }: Customer, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false)?;
    let bad = || WebError::invalid("answers", "answers must be an object of question id → choice id");
    let answers: BTreeMap<String, String> = match m.get("answers") {
        Some(Value::Object(o)) if o.len() <= talat_onboarding::knowledge::QUESTIONS_MAX => {
            o.iter().map(|(k, v)| v.as_str().map(|c| (k.clone(), c.to_string())).ok_or_else(bad)).collect::<WebResult<_>>()?
        }
        _ => return Err(bad()),
    };
    let test = knowledge_test(&web)?;
    let grade = test.grade(&answers).map_err(|e| WebError::invalid("answers", e.to_string()))?;
    let answers_json = serde_json::to_string(&answers).map_err(WebError::internal)?;
    web.store.insert_knowledge_result(account.id, &grade.version, grade.score_pct, grade.passed, &answers_json, web.gateway.now_ms()).await?;
    if grade.passed {
        levels::recompute(&web, account.id).await?;
    }
    Ok(Json(json!({"score_pct": grade.score_pct, "passed": grade.passed, "wrong": grade.wrong, "version": grade.version})))
}

// ---- status --------------------------------------------------------------------------------------

async fn status(State(web): State<Arc<Web>>, Customer { account, .. }: Customer) -> WebResult<Json<Value>> {
    let apps = web.store.kyc_applications_of_account(account.id).await?;
    let knowledge = knowledge_state(&web, account.id).await?;
    let passed = knowledge.as_ref().is_some_and(|k| k["passed"] == true);
    let latest = |level: u8| apps.iter().find(|a| a.level == level);
    let journey = Journey {
        email_verified: account.email_verified_ms.is_some(),
        admitted: account.admitted_ms.is_some(),
        kyc_level: account.kyc_level,
        level1_status: latest(1).map(|a| a.status.as_str()),
        level2_status: latest(2).map(|a| a.status.as_str()),
        knowledge_passed: passed,
    };
    let next_step = next_step(&journey);
    let application = match apps.first() {
        Some(a) => customer_application_json(&web, a).await?,
        None => Value::Null,
    };
    let waitlist = admission::waitlist_json(&web, &account).await?;
    Ok(Json(json!({
        "level": account.kyc_level,
        "email_verified": account.email_verified_ms.is_some(),
        "admitted": account.admitted_ms.is_some(),
        "waitlist": waitlist,
        "application": application,
        "knowledge": knowledge,
        "next_step": next_step,
    })))
}

// ---- level 1 -------------------------------------------------------------------------------------

/// The level-1 form, normalised.
struct Level1 {
    id_type: IdType,
    id_number: String,
    laser_code: Option<String>,
    passport_country: Option<String>,
    passport_expiry: Option<Date>,
    first_name_th: Option<String>,
    last_name_th: Option<String>,
    first_name_en: String,
    last_name_en: String,
    dob: talat_onboarding::DateOfBirth,
    nationality: String,
    address: String,
    occupation: String,
    source_of_funds: SourceOfFunds,
    expected_monthly_thb: u64,
    fatca_us_person: bool,
    id_photo_document: u64,
    selfie_document: u64,
}

impl Level1 {
    /// The `data` column: keys read by the screening module to re-screen customers.
    fn data(&self) -> Value {
        json!({
            "id_type": self.id_type.as_str(),
            "id_number": self.id_number,
            "laser_code": self.laser_code,
            "passport_country": self.passport_country,
            "passport_expiry": self.passport_expiry.map(|d| d.to_string()),
            "first_name_th": self.first_name_th,
            "last_name_th": self.last_name_th,
            "first_name_en": self.first_name_en,
            "last_name_en": self.last_name_en,
            "dob": self.dob.date().to_string(),
            "nationality": self.nationality,
            "address": self.address,
            "occupation": self.occupation,
            "source_of_funds": serde_json::to_value(self.source_of_funds).unwrap_or(Value::Null),
            "expected_monthly_thb": self.expected_monthly_thb,
            "fatca_us_person": self.fatca_us_person,
            "id_photo_document": self.id_photo_document,
            "selfie_document": self.selfie_document,
        })
    }

    fn subject(&self) -> Subject {
        let thai = match (&self.first_name_th, &self.last_name_th) {
            (Some(f), Some(l)) => vec![format!("{f} {l}")],
            _ => Vec::new(),
        };
        Subject {
            latin_names: vec![format!("{} {}", self.first_name_en, self.last_name_en)],
            thai_names: thai,
            dob: Some(self.dob.date()),
            nationality: Some(self.nationality.clone()),
            id_numbers: vec![self.id_number.clone()],
        }
    }

    fn identity_request(&self) -> IdentityRequest {
        IdentityRequest {
            id_type: self.id_type,
            id_number: self.id_number.clone(),
            laser_code: self.laser_code.clone(),
            first_name_th: self.first_name_th.clone(),
            last_name_th: self.last_name_th.clone(),
            first_name_en: self.first_name_en.clone(),
            last_name_en: self.last_name_en.clone(),
            dob_be: self.dob.to_dopa_be(),
            passport_country: self.passport_country.clone(),
        }
    }

    /// What identifies the person, normalised, for the keyed hash.
    fn identity_text(&self) -> String {
        match self.id_type {
            IdType::ThaiId => format!("thai_id:{}", self.id_number),
            IdType::Passport => format!("passport:{}:{}", self.passport_country.as_deref().unwrap_or(""), self.id_number),
        }
    }
}

/// The keyed hash of an identity (a server secret derived from the master key), so one ID opens
/// one account without an index of raw ID numbers.
fn id_key(web: &Web, identity: &str) -> String {
    let key = web.gateway.master.derive("kyc-id-key");
    let mut h = Sha256::new();
    h.update(key);
    h.update(b":");
    h.update(identity.as_bytes());
    hex::encode(h.finalize())
}

fn name_latin(m: &Map<String, Value>, field: &'static str) -> WebResult<String> {
    parse_latin_name(body::str(m, field)?).map(|n| n.as_str().to_string()).map_err(|e| WebError::invalid(field, e.to_string()))
}

fn name_thai(m: &Map<String, Value>, field: &'static str, required: bool) -> WebResult<Option<String>> {
    match body::opt_str(m, field)? {
        None | Some("") if !required => Ok(None),
        None | Some("") => Err(WebError::invalid(field, format!("{field} is required for a Thai ID card"))),
        Some(t) => parse_thai_name(t).map(|n| Some(n.as_str().to_string())).map_err(|e| WebError::invalid(field, e.to_string())),
    }
}

/// A bounded text without control characters or markup.
fn plain_text(m: &Map<String, Value>, field: &'static str, min: usize, max: usize) -> WebResult<String> {
    let t = body::str(m, field)?.trim();
    let n = t.chars().count();
    if n < min || n > max {
        return Err(WebError::invalid(field, format!("{field} must have {min} to {max} characters")));
    }
    if t.chars().any(|c| (c.is_control() && c != '\n') || matches!(c, '<' | '>')) {
        return Err(WebError::invalid(field, format!("{field} contains a character that is not allowed")));
    }
    Ok(t.to_string())
}

fn u64_field(m: &Map<String, Value>, field: &'static str, max: u64) -> WebResult<u64> {
    let bad = || WebError::invalid(field, format!("{field} must be a whole number from 0 to {max}"));
    let v = match m.get(field) {
        Some(Value::Number(n)) => n.as_u64().ok_or_else(bad)?,
        Some(Value::String(s)) if !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().map_err(|_| bad())?,
        None | Some(Value::Null) => return Err(WebError::invalid(field, format!("{field} is required"))),
        Some(_) => return Err(bad()),
    };
    if v > max {
        return Err(bad());
    }
    Ok(v)
}

/// The identity document of a level-1 form: a Thai ID card with its laser code, or a passport
/// with its issuing country and an expiry that has not passed.
fn read_identity(m: &Map<String, Value>, today: Date) -> WebResult<Identity> {
    let id_type = match body::str(m, "id_type")? {
        "thai_id" => IdType::ThaiId,
        "passport" => IdType::Passport,
        _ => return Err(WebError::invalid("id_type", "id_type must be thai_id or passport")),
    };
    let number = body::str(m, "id_number")?;
    let (id_number, laser_code, passport_country, passport_expiry) = match id_type {
        IdType::ThaiId => {
            let id = parse_national_id(number).map_err(|e| WebError::invalid("id_number", e.to_string()))?;
            let laser = body::opt_str(m, "laser_code")?.ok_or_else(|| WebError::invalid("laser_code", "laser_code is required for a Thai ID card"))?;
            let laser = parse_laser_code(laser).map_err(|e| WebError::invalid("laser_code", e.to_string()))?;
            (id.as_digits(), Some(laser.as_str().to_string()), None, None)
        }
        IdType::Passport => {
            let country =
                body::opt_str(m, "passport_country")?.ok_or_else(|| WebError::invalid("passport_country", "passport_country is required for a passport"))?;
            let expiry =
                body::opt_str(m, "passport_expiry")?.ok_or_else(|| WebError::invalid("passport_expiry", "passport_expiry is required for a passport"))?;
            let expiry = Date::parse_iso(expiry.trim()).map_err(|e| WebError::invalid("passport_expiry", e.to_string()))?;
            let p = parse_passport(number, country, expiry, today).map_err(|e| match e {
                PassportError::Country => WebError::invalid("passport_country", e.to_string()),
                PassportError::Expired { .. } => WebError::invalid("passport_expiry", e.to_string()),
                _ => WebError::invalid("id_number", e.to_string()),
            })?;
            (p.number, None, Some(p.issuing_country), Some(p.expires_on))
        }
    };
    Ok(Identity { id_type, id_number, laser_code, passport_country, passport_expiry })
}

/// The identity document's fields of a level-1 form, checked.
struct Identity {
    id_type: IdType,
    id_number: String,
    laser_code: Option<String>,
    passport_country: Option<String>,
    passport_expiry: Option<Date>,
}

fn read_level1(m: &Map<String, Value>, today: Date) -> WebResult<Level1> {
    let Identity { id_type, id_number, laser_code, passport_country, passport_expiry } = read_identity(m, today)?;
    let thai_required = id_type == IdType::ThaiId;
    let first_name_th = name_thai(m, "first_name_th", thai_required)?;
    let last_name_th = name_thai(m, "last_name_th", thai_required)?;
    let first_name_en = name_latin(m, "first_name_en")?;
    let last_name_en = name_latin(m, "last_name_en")?;
    let era = match body::opt_str(m, "dob_era")? {
        None | Some("") => None,
        Some("ce") => Some(Era::Gregorian),
        Some("be") => Some(Era::Buddhist),
        Some(_) => return Err(WebError::invalid("dob_era", "dob_era must be ce or be")),
    };
    let dob = parse_dob(body::str(m, "dob")?, era, today).map_err(|e| WebError::invalid("dob", e.to_string()))?;
    check_adult(dob, today).map_err(|e| WebError::invalid("dob", e.to_string()))?;
    let nationality = canonical_code(body::str(m, "nationality")?)
        .ok_or_else(|| WebError::invalid("nationality", "nationality must be an ISO 3166 alpha-3 code (e.g. THA) or an English country name"))?
        .to_string();
    let address = plain_text(m, "address", 5, ADDRESS_MAX_CHARS)?;
    let occupation = body::str(m, "occupation")?.trim().to_ascii_lowercase();
    if !(1..=64).contains(&occupation.len()) || !occupation.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
        return Err(WebError::invalid("occupation", "occupation must be an occupation code (a–z, 0–9 and _)"));
    }
    let source_of_funds: SourceOfFunds = serde_json::from_value(Value::String(body::str(m, "source_of_funds")?.to_string())).map_err(|_| {
        WebError::invalid("source_of_funds", "source_of_funds must be salary, business, investments, inheritance, gift, crypto_mining or other")
    })?;
    let expected_monthly_thb = u64_field(m, "expected_monthly_thb", EXPECTED_MONTHLY_MAX_THB)?;
    let fatca_us_person = body::bool(m, "fatca_us_person")?;
    let id_photo_document = u64_field(m, "id_photo_document", i64::MAX as u64)?;
    let selfie_document = u64_field(m, "selfie_document", i64::MAX as u64)?;
    Ok(Level1 {
        id_type,
        id_number,
        laser_code,
        passport_country,
        passport_expiry,
        first_name_th,
        last_name_th,
        first_name_en,
        last_name_en,
        dob,
        nationality,
        address,
        occupation,
        source_of_funds,
        expected_monthly_thb,
        fatca_us_person,
        id_photo_document,
        selfie_document,
    })
}

/// A document of the customer's own, of `purposes`, not part of an application yet.
async fn own_document(web: &Web, account: &WebAccountRow, id: u64, field: &'static str, purposes: &[&str]) -> WebResult<()> {
    let d = web
        .store
        .kyc_document(id)
        .await?
        .filter(|d| d.account_id == account.id)
        .ok_or_else(|| WebError::invalid(field, format!("you have no document {id}")))?;
    if !purposes.contains(&d.purpose.as_str()) {
        return Err(WebError::invalid(field, format!("document {id} is a {} document; this needs {}", d.purpose, purposes.join(" or "))));
    }
    if d.application_id.is_some() {
        return Err(WebError::invalid(field, format!("document {id} is already part of an application; upload it again")));
    }
    Ok(())
}

fn may_apply(account: &WebAccountRow) -> WebResult<()> {
    if account.email_verified_ms.is_none() {
        return Err(WebError::conflict("verify your email address first: open the link in the mail we sent you"));
    }
    if account.admitted_ms.is_none() {
        return Err(WebError::conflict("you are on the waitlist: we will mail you when we can open your account"));
    }
    Ok(())
}

fn created(create: KycCreate) -> WebResult<KycApplicationRow> {
    match create {
        KycCreate::Created(row) => Ok(*row),
        KycCreate::AlreadyOpen => Err(WebError::conflict("you already have an application under review or approved")),
        KycCreate::DuplicateIdentity => Err(WebError::conflict("this ID already belongs to another account")),
        KycCreate::DocumentUnavailable(d) => Err(WebError::conflict(format!("document {d} is no longer available; upload it again"))),
    }
}

fn event(actor: &str, actor_id: u64, kind: &str, detail: impl Into<String>) -> NewKycEvent {
    NewKycEvent { actor: actor.into(), actor_id, kind: kind.into(), detail: detail.into() }
}

/// What screening a level-1 applicant found: the status the application records, the hits left
/// for a reviewer, and whether a confirmed match or a PEP hit not cleared is among them.
struct Screened {
    status: &'static str,
    open_hits: usize,
    confirmed: bool,
    pep: bool,
}

async fn screen(web: &Web, account_id: u64, subject: &Subject) -> WebResult<Screened> {
    // Hits are recorded by the screening module for a reviewer.
    let screened = screening::screen_account(web, account_id, subject).await?;
    let hits = web.store.screening_hits_of_account(account_id, talat_store::MAX_KYC_ROWS).await?;
    let confirmed = hits.iter().any(|h| h.status == "confirmed");
    let pep = hits.iter().any(|h| h.status != "cleared" && h.list_name.to_ascii_lowercase().contains("pep"));
    let status = if confirmed {
        "confirmed"
    } else if screened.open_hits > 0 {
        "hit"
    } else if hits.iter().any(|h| h.status == "cleared") {
        "cleared"
    } else {
        "clear"
    };
    Ok(Screened { status, open_hits: screened.open_hits, confirmed, pep })
}

async fn level1(State(web): State<Arc<Web>>, headers: HeaderMap, Customer { account, .. }: Customer, body: Bytes) -> WebResult<Response> {
    let m = body::object(&headers, &body, false)?;
    let now = web.gateway.now_ms();
    let today = Date::today_in_bangkok(now);
    let form = read_level1(&m, today)?;
    own_document(&web, &account, form.id_photo_document, "id_photo_document", &["id_photo"]).await?;
    own_document(&web, &account, form.selfie_document, "selfie_document", &["selfie"]).await?;
    may_apply(&account)?;
    if account.kyc_level >= 1 {
        return Err(WebError::conflict("level 1 is already done"));
    }
    let apps = web.store.kyc_applications_of_account(account.id).await?;
    if apps.iter().any(|a| a.level == 1 && matches!(a.status.as_str(), "submitted" | "more_info" | "approved")) {
        return Err(WebError::conflict("you already have an application under review or approved"));
    }
    let key = id_key(&web, &form.identity_text());

    // The identity check.
    let provider = identity::provider(&web.config.onboarding.identity_provider).map_err(WebError::internal)?;
    let idv = provider.verify(&form.identity_request());
    let idv_outcome = if idv.verified { "verified".to_string() } else { format!("failed: {} ({})", idv.message, idv.code) };

    let screened = screen(&web, account.id, &form.subject()).await?;

    // Risk.
    let input = RiskInput {
        politically_exposed: screened.pep,
        open_screening_hit: screened.open_hits > 0,
        confirmed_sanctions_match: screened.confirmed,
        nationality: form.nationality.clone(),
        occupation: form.occupation.clone(),
        source_of_funds: form.source_of_funds,
        expected_monthly_volume: MonthlyVolumeBand::from_thb(form.expected_monthly_thb),
        date_of_birth: form.dob.date(),
        foreign_passport_holder: form.id_type == IdType::Passport && form.passport_country.as_deref() != Some("THA"),
    };
    let risk = assess(&input, &web.config.onboarding.risk, today).map_err(|e| WebError::internal(format!("risk: {e}")))?;
    let rating = serde_json::to_value(risk.rating).map_err(WebError::internal)?.as_str().unwrap_or("").to_string();
    let next_review_ms = risk.next_review_on.map(Date::bangkok_midnight_ms);
    let risk_json =
        json!({"points": risk.points, "factors": risk.factors, "next_review_on": risk.next_review_on.map(|d| d.to_string()), "next_review_ms": next_review_ms});

    let new = NewKycApplication {
        account_id: account.id,
        level: 1,
        data: form.data().to_string(),
        id_key: Some(key),
        idv_provider: Some(provider.name().to_string()),
        idv_outcome: Some(idv_outcome.clone()),
        idv_evidence: Some(idv.evidence.to_string()),
        screening_status: screened.status.to_string(),
        risk_rating: Some(rating.clone()),
        risk_factors: Some(risk_json.to_string()),
        submitted_ms: now,
    };
    let events = vec![
        event("customer", account.id, "submitted", "level 1"),
        event("system", 0, "identity", format!("{}: {idv_outcome}", provider.name())),
        event("system", 0, "screening", format!("{}: {} open hit(s)", screened.status, screened.open_hits)),
        event("system", 0, "risk", format!("{rating} ({} points)", risk.points)),
    ];
    let row = created(web.store.create_kyc_application(&new, &[form.id_photo_document, form.selfie_document], &events).await?)?;
    let body = customer_application_json(&web, &row).await?;
    Ok((StatusCode::CREATED, Json(json!({"application": body}))).into_response())
}

// ---- level 2 -------------------------------------------------------------------------------------

async fn level2(State(web): State<Arc<Web>>, headers: HeaderMap, Customer { account, .. }: Customer, body: Bytes) -> WebResult<Response> {
    let m = body::object(&headers, &body, false)?;
    let ids = document_ids(&m, "documents")?;
    if ids.is_empty() {
        return Err(WebError::invalid("documents", "documents must list at least one income or asset document"));
    }
    let note = match body::opt_str(&m, "note")? {
        None | Some("") => None,
        Some(_) => Some(plain_text(&m, "note", 1, NOTE_MAX_CHARS)?),
    };
    for &id in &ids {
        own_document(&web, &account, id, "documents", &["income", "asset"]).await?;
    }
    may_apply(&account)?;
    if account.kyc_level < 1 {
        return Err(WebError::conflict("level 1 comes first"));
    }
    if account.kyc_level >= 2 {
        return Err(WebError::conflict("level 2 is already done"));
    }
    let now = web.gateway.now_ms();
    let new = NewKycApplication {
        account_id: account.id,
        level: 2,
        data: json!({"documents": ids, "note": note}).to_string(),
        screening_status: "clear".into(),
        risk_rating: account.risk_rating.clone(),
        risk_factors: account.next_review_ms.map(|ms| json!({"next_review_ms": ms}).to_string()),
        submitted_ms: now,
        ..Default::default()
    };
    let events = vec![event("customer", account.id, "submitted", "level 2")];
    let row = created(web.store.create_kyc_application(&new, &ids, &events).await?)?;
    let body = customer_application_json(&web, &row).await?;
    Ok((StatusCode::CREATED, Json(json!({"application": body}))).into_response())
}

fn document_ids(m: &Map<String, Value>, field: &'static str) -> WebResult<Vec<u64>> {
    let bad = || WebError::invalid(field, format!("{field} must be a list of document ids"));
    let ids: Vec<u64> = match m.get(field) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) if items.len() <= LEVEL2_DOCUMENTS_MAX => {
            items.iter().map(|v| v.as_u64().filter(|&n| n <= i64::MAX as u64).ok_or_else(bad)).collect::<WebResult<_>>()?
        }
        Some(Value::Array(_)) => return Err(WebError::invalid(field, format!("{field} has more than {LEVEL2_DOCUMENTS_MAX} entries"))),
        Some(_) => return Err(bad()),
    };
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    if unique.len() != ids.len() {
        return Err(WebError::invalid(field, format!("{field} lists a document twice")));
    }
    Ok(ids)
}

// ---- more information --------------------------------------------------------------------------

async fn info(
    State(web): State<Arc<Web>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Customer { account, .. }: Customer,
    body: Bytes,
) -> WebResult<Json<Value>> {
    let not_found = || WebError::not_found(format!("no application {id}"));
    let n: u64 = id.parse().map_err(|_| not_found())?;
    let app = web.store.kyc_application(n).await?.filter(|a| a.account_id == account.id).ok_or_else(not_found)?;
    let m = body::object(&headers, &body, false)?;
    let text = plain_text(&m, "text", 1, NOTE_MAX_CHARS)?;
    let ids = document_ids(&m, "documents")?;
    for &d in &ids {
        own_document(&web, &account, d, "documents", &["id_photo", "selfie", "income", "asset"]).await?;
    }
    if app.status != "more_info" {
        return Err(WebError::conflict("this application is not waiting for more information"));
    }
    let mut detail = text;
    if !ids.is_empty() {
        detail.push_str(&format!(" [documents: {}]", ids.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")));
    }
    let change = KycChange {
        application_id: app.id,
        expect_version: app.version,
        now_ms: web.gateway.now_ms(),
        set: vec![("status", Set::Text("submitted".into()))],
        events: vec![event("customer", account.id, "info_provided", detail)],
        attach_documents: ids,
        ..Default::default()
    };
    if !web.store.change_kyc_application(&change).await? {
        return Err(WebError::conflict("the application changed meanwhile; reload it and try again"));
    }
    let app = web.store.kyc_application(app.id).await?.ok_or_else(not_found)?;
    Ok(Json(json!({"application": customer_application_json(&web, &app).await?})))
}
