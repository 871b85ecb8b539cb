//! Pure domain logic of customer onboarding and KYC for talat's Thai operator.
//!
//! Everything here is deterministic: no clock (every "today" is a parameter), no network, no
//! database. The one exception is [`uploads::store`], which writes uploaded files to disk and is
//! documented as such. SQL tables, HTTP routes and pages call into this crate; they own storage
//! and time. Facts and sources: `exchange-domain.md` §1 (identity, KYC) and §2 (sanctions).
//!
//! Module map, in the order a customer meets them:
//!
//! | module | job |
//! |---|---|
//! | [`date`] | a calendar date type (ISO `YYYY-MM-DD`) and leap-year arithmetic |
//! | [`thai_id`] | the 13-digit national ID: format and check digit |
//! | [`laser`] | the laser code on the back of the ID card, for DOPA's check |
//! | [`passport`] | passport number, issuing country, expiry |
//! | [`dob`] | date of birth in Gregorian or Buddhist era, age, age of majority, DOPA form |
//! | [`names`] | Latin and Thai person names: what may be typed, and normal forms for matching |
//! | [`country`] | ISO alpha-3 codes and English country names |
//! | [`sanctions`] | UN XML and CSV list parsing, name screening, clearances |
//! | [`risk`] | CDD risk rating (Low/Medium/High/Prohibited), review dates |
//! | [`knowledge`] | the crypto knowledge test: load, validate, grade, public view |
//! | [`uploads`] | checking uploaded images (decoded and re-encoded) and PDFs; content-addressed storage |
//! | [`review`] | the review SLA (an application's age, on time, at risk or breached) and whether an approval may go through |
//! | [`levels`] | KYC levels 0–2, their daily withdrawal limits, and those as engine tier limits |
//! | [`account`] | email addresses, passwords, the customer's next step on the way to trading |
//! | [`admission`] | whether the exchange can take one more customer (engine, support, KYC capacity) |
//!
//! Errors are `thiserror` enums whose messages are written to be shown: to customers for
//! input checks, to staff for list imports, configuration and storage.

pub mod account;
pub mod admission;
pub mod country;
pub mod date;
pub mod dob;
pub mod knowledge;
pub mod laser;
pub mod levels;
pub mod names;
pub mod passport;
pub mod review;
pub mod risk;
pub mod sanctions;
pub mod thai_id;
pub mod uploads;

pub use date::Date;
pub use dob::{age_on, check_adult, parse_dob, DateOfBirth, Era};
pub use knowledge::{default_test, Grade, KnowledgeTest};
pub use laser::{parse_laser_code, LaserCode};
pub use levels::{KycLevel, LevelLimits, LevelLimitsTable};
pub use names::{normalise_latin, normalise_thai, parse_latin_name, parse_thai_name, LatinName, ThaiName};
pub use passport::{parse_passport, Passport};
pub use risk::{assess, RiskAssessment, RiskConfig, RiskInput, RiskRating};
pub use sanctions::clearance::{apply_clearances, Clearance};
pub use sanctions::matcher::{screen, Hit, MatchConfig, PreparedList, Subject};
pub use sanctions::model::ListEntry;
pub use thai_id::{parse_national_id, NationalId};
pub use uploads::store::{ContentHash, ContentStore};
pub use uploads::{pdf_has_active_content, validate_upload, CheckedUpload, FileKind, UploadLimits, UploadPurpose};
