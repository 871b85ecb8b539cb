//! Onboarding's settings (`[onboarding]` in talat.toml); every key has a default.

use super::admission::AdmissionConfig;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use talat_onboarding::sanctions::matcher::MatchConfig;
use talat_onboarding::uploads::UploadLimits;
use talat_onboarding::{LevelLimitsTable, RiskConfig};

/// Largest onboarding request body: a document upload (base64) or a sanctions list file.
pub const MAX_KYC_BODY_BYTES: usize = 8 * 1024 * 1024;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OnboardingConfig {
    /// New customers start at level 0 (no trading, no withdrawals) until KYC lifts them. Off
    /// only for tests of other features.
    pub require_kyc: bool,
    /// Daily withdrawal limits per level (domain reference §1.3 defaults).
    pub levels: LevelLimitsTable,
    /// Where uploaded documents are kept, content-addressed (`talat serve`: `<data>/uploads`).
    pub uploads_dir: Option<PathBuf>,
    pub upload_limits: UploadLimits,
    /// The knowledge test (JSON, talat-onboarding's format); none: the built-in default test.
    pub knowledge_test_path: Option<PathBuf>,
    /// Identity provider: `simulator` (demo and tests). A real DOPA or NDID client plugs in
    /// behind the same trait.
    pub identity_provider: String,
    pub screening: MatchConfig,
    pub risk: RiskConfig,
    /// A KYC application should be decided within this many hours of submission.
    pub review_sla_hours: u32,
    pub admission: AdmissionConfig,
    /// The link in the verification mail starts with this (the web app's address).
    pub public_url: String,
}

impl Default for OnboardingConfig {
    fn default() -> Self {
        OnboardingConfig {
            require_kyc: true,
            levels: LevelLimitsTable::default(),
            uploads_dir: None,
            upload_limits: UploadLimits::default(),
            knowledge_test_path: None,
            identity_provider: "simulator".into(),
            screening: MatchConfig::default(),
            risk: RiskConfig::default(),
            review_sla_hours: 24,
            admission: AdmissionConfig::default(),
            public_url: "http://127.0.0.1:8080".into(),
        }
    }
}
