//! Identity verification behind a provider trait, with a deterministic simulator.
//!
//! A Thai ID card is checked the way DOPA's card-status service does it: the 13-digit number,
//! the laser code from the back of the card, the names in Thai and the date of birth in the
//! Buddhist era as `yyyyMMdd`; result code 0 means the card is valid ("card normal"). A passport
//! holder is checked along an NDID-like path (an identity provider vouches for the document).
//! A real DOPA or NDID client implements [`IdentityProvider`]; `identity_provider = "simulator"`
//! selects [`Simulator`], the only provider built in.
//!
//! The simulator's documented test triggers (everything else verifies):
//!
//! | input | outcome |
//! |---|---|
//! | laser code starting `XX` | code 2 "card abnormal, refer to the civil registry" |
//! | laser code starting `XY` | code 4 "card expired or revoked" |
//! | Thai ID number starting `9` | code 1 "no such card" (person-type 9 is not issued to customers in the demo) |
//! | passport number starting `X` | code 10 "the identity provider could not verify the passport" |
//!
//! The evidence never holds a full ID or passport number: all but the last 4 characters are
//! masked.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// What kind of identity document is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdType {
    ThaiId,
    Passport,
}

impl IdType {
    pub fn as_str(self) -> &'static str {
        match self {
            IdType::ThaiId => "thai_id",
            IdType::Passport => "passport",
        }
    }
}

/// One identity check, with the fields DOPA's card check takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityRequest {
    pub id_type: IdType,
    /// 13 digits for a Thai ID; the passport number otherwise.
    pub id_number: String,
    /// The laser code (Thai ID only).
    pub laser_code: Option<String>,
    pub first_name_th: Option<String>,
    pub last_name_th: Option<String>,
    pub first_name_en: String,
    pub last_name_en: String,
    /// `yyyyMMdd` in the Buddhist era, e.g. `25330517`.
    pub dob_be: String,
    /// The passport's issuing country (passports only).
    pub passport_country: Option<String>,
}

/// The provider's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityOutcome {
    pub verified: bool,
    /// The provider's result code (DOPA: 0 = card normal).
    pub code: i64,
    pub message: String,
    /// What is kept as evidence: provider, a request summary (masked) and a reference id.
    pub evidence: Value,
}

pub trait IdentityProvider: Send + Sync {
    fn name(&self) -> &'static str;
    fn verify(&self, request: &IdentityRequest) -> IdentityOutcome;
}

/// All but the last 4 characters as `*`.
pub fn mask(number: &str) -> String {
    let n = number.chars().count();
    number.chars().enumerate().map(|(i, c)| if i + 4 < n { '*' } else { c }).collect()
}

/// The deterministic DOPA/NDID-like simulator (see the module documentation for its triggers).
#[derive(Clone, Copy, Debug, Default)]
pub struct Simulator;

impl Simulator {
    fn reference(request: &IdentityRequest) -> String {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(format!("{}:{}:{}", request.id_type.as_str(), request.id_number, request.dob_be).as_bytes());
        format!("SIM-{}", &hex::encode(digest)[..16])
    }
}

impl IdentityProvider for Simulator {
    fn name(&self) -> &'static str {
        "simulator"
    }

    fn verify(&self, request: &IdentityRequest) -> IdentityOutcome {
        let (code, message, path) = match request.id_type {
            IdType::ThaiId => {
                let laser = request.laser_code.as_deref().unwrap_or("");
                let (code, message) = if laser.starts_with("XX") {
                    (2, "card abnormal, refer to the civil registry")
                } else if laser.starts_with("XY") {
                    (4, "card expired or revoked")
                } else if request.id_number.starts_with('9') {
                    (1, "no such card")
                } else {
                    (0, "card normal")
                };
                (code, message, "dopa_card_status")
            }
            IdType::Passport => {
                if request.id_number.starts_with('X') {
                    (10, "the identity provider could not verify the passport", "ndid_passport")
                } else {
                    (0, "passport verified by the identity provider", "ndid_passport")
                }
            }
        };
        let evidence = json!({
            "provider": self.name(),
            "path": path,
            "request": {
                "id_type": request.id_type.as_str(),
                "id_number": mask(&request.id_number),
                "laser_code": request.laser_code.as_deref().map(mask),
                "passport_country": request.passport_country,
                "first_name_th": request.first_name_th,
                "last_name_th": request.last_name_th,
                "first_name_en": request.first_name_en,
                "last_name_en": request.last_name_en,
                "dob_be": request.dob_be,
            },
            "result": {"code": code, "message": message},
            "reference": Simulator::reference(request),
        });
        IdentityOutcome { verified: code == 0, code, message: message.to_string(), evidence }
    }
}

/// The provider a configuration names; an unknown name is a start-up error.
pub fn provider(name: &str) -> Result<Box<dyn IdentityProvider>, String> {
    match name {
        "simulator" => Ok(Box::new(Simulator)),
        other => Err(format!("onboarding.identity_provider {other:?} is unknown (the built-in provider is \"simulator\")")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thai(laser: &str, number: &str) -> IdentityRequest {
        IdentityRequest {
            id_type: IdType::ThaiId,
            id_number: number.into(),
            laser_code: Some(laser.into()),
            first_name_th: Some("สมชาย".into()),
            last_name_th: Some("ใจดี".into()),
            first_name_en: "Somchai".into(),
            last_name_en: "Jaidee".into(),
            dob_be: "25330517".into(),
            passport_country: None,
        }
    }

    #[test]
    fn the_simulator_follows_its_documented_triggers() {
        let sim = Simulator;
        let ok = sim.verify(&thai("JC1234567890", "1101700230708"));
        assert!(ok.verified && ok.code == 0);
        assert_eq!(ok.evidence["request"]["id_number"], "*********0708");
        assert!(!ok.evidence.to_string().contains("1101700230708"), "the full number is never in the evidence");
        let bad = sim.verify(&thai("XX1234567890", "1101700230708"));
        assert_eq!((bad.verified, bad.code), (false, 2));
        assert_eq!(sim.verify(&thai("XY1234567890", "1101700230708")).code, 4);
        let mut p = thai("", "AB1234567");
        p.id_type = IdType::Passport;
        p.laser_code = None;
        assert!(sim.verify(&p).verified);
        p.id_number = "XA1234567".into();
        assert_eq!(sim.verify(&p).code, 10);
        assert_eq!(ok.evidence["reference"], sim.verify(&thai("JC1234567890", "1101700230708")).evidence["reference"], "deterministic");
    }

    #[test]
    fn unknown_providers_are_refused() {
        assert!(provider("simulator").is_ok());
        assert!(provider("dopa").is_err());
    }
}
