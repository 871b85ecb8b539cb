//! Scores a customer against a sanctions list.
//!
//! The scheme follows nomenklatura's logic-v1 (exchange-domain.md §2): each entry's score is its
//! **best main feature** (a weighted name or identifier comparison), then, if non-zero, **plus all
//! qualifiers** (penalties for facts that disagree, a small bonus for an exact date of birth),
//! clamped to 0–1. A score ≥ the threshold (default [`DEFAULT_THRESHOLD`] = 0.70) is a hit that a
//! human must review; nothing here rejects a customer.
//!
//! Main features, per (customer name, listed name) pair, best pair wins:
//!
//! | feature | score |
//! |---|---|
//! | same normalised name | [`NAME_EXACT`] 1.0 |
//! | same name parts in another order, or same letters with other spacing | [`NAME_TOKEN_SET`] 0.95 |
//! | otherwise: best of whole-name and part-wise Jaro-Winkler similarity, × weight | [`NAME_JARO_WINKLER_WEIGHT`] 0.8 |
//! | a customer's document number equals a listed document number | [`IDENTIFIER_MATCH`] 0.85 |
//!
//! A match on a weak (`Low`) alias is capped at [`WEAK_ALIAS_CAP`] 0.8. Latin names are compared
//! in [`crate::names::normalise_latin`] form; Thai-script names (the customer's Thai name against
//! listed names in Thai script) separately in [`crate::names::normalise_thai`] form, since
//! comparing letters across scripts is meaningless.
//!
//! Whole-name similarity is Jaro-Winkler of the names without spaces, used only between names of
//! similar length. Part-wise similarity matches each name part to its most similar counterpart
//! and weighs how much of each name the other covers (see `token_similarity`): a customer's
//! two or more parts all found in a longer listed name still score high (left-out middle names
//! and patronymics are common), while a one-part name such as "Tarek" cannot score highly against
//! "Tarek bin Salim Haddor" just because its one word appears: short names over-matching is a
//! known weak spot of name screening.
//!
//! Qualifiers (only when both sides know the fact):
//!
//! | qualifier | points |
//! |---|---|
//! | no listed birth year fits the customer's | [`DOB_YEAR_DISJOINT`] −0.15 |
//! | a listed full date in the customer's birth year, but another day, and no year-only fact for that year | [`DOB_DAY_DISJOINT`] −0.2 |
//! | a listed full date equals the customer's | [`DOB_EXACT_BONUS`] +0.05 |
//! | no listed nationality equals the customer's (both mapped to ISO alpha-3) | [`COUNTRY_MISMATCH`] −0.2 |
//!
//! With these weights an exact-name namesake with a different birth year still scores 0.85 and is
//! reviewed; only fuzzy name matches drop below 0.70 on one disagreeing fact. That is deliberate:
//! the list may hold a wrong or approximate date, and a reviewer is cheaper than a missed match.

use super::model::{AliasQuality, DobFact, EntryKind, ListEntry};
use crate::country::canonical_code;
use crate::date::Date;
use crate::names::{contains_thai, normalise_latin, normalise_thai};
use serde::{Deserialize, Serialize};
use strsim::jaro_winkler;

/// Score at or above which a hit opens a review (yente's default).
pub const DEFAULT_THRESHOLD: f64 = 0.70;
/// Hits returned by default; the strongest come first.
pub const DEFAULT_LIMIT: usize = 10;
/// Most hits a caller may ask for.
pub const LIMIT_MAX: usize = 100;

pub const NAME_EXACT: f64 = 1.0;
pub const NAME_TOKEN_SET: f64 = 0.95;
pub const NAME_JARO_WINKLER_WEIGHT: f64 = 0.8;
pub const WEAK_ALIAS_CAP: f64 = 0.8;
pub const IDENTIFIER_MATCH: f64 = 0.85;
pub const DOB_YEAR_DISJOINT: f64 = -0.15;
pub const DOB_DAY_DISJOINT: f64 = -0.2;
pub const DOB_EXACT_BONUS: f64 = 0.05;
pub const COUNTRY_MISMATCH: f64 = -0.2;

/// Whole-name Jaro-Winkler is used only between names whose lengths differ by less than this ratio.
pub const WHOLE_NAME_LENGTH_RATIO_MIN: f64 = 0.8;
/// Name parts less alike than this count as absent in the token-wise score.
pub const TOKEN_SIMILARITY_FLOOR: f64 = 0.75;
/// Weight of "how much of the customer's name is in the listed name" for names of 2+ parts.
pub const MULTI_PART_SUBJECT_WEIGHT: f64 = 0.8;

/// Most names of each script, and most ID numbers, one subject may carry.
pub const SUBJECT_VALUES_MAX: usize = 16;
/// Longest single name or ID number of a subject, in bytes.
pub const SUBJECT_TEXT_MAX_BYTES: usize = 512;
/// Shortest document number compared; shorter ones collide by chance.
const IDENTIFIER_MIN_CHARS: usize = 5;

/// The customer (or prospective customer) being screened.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// Full names in Latin script ("first last"), e.g. from the passport or the romanised ID card.
    pub latin_names: Vec<String>,
    /// Full names in Thai script, from the ID card.
    pub thai_names: Vec<String>,
    pub dob: Option<Date>,
    /// ISO alpha-3 code or English country name.
    pub nationality: Option<String>,
    /// National ID, passport and other document numbers.
    pub id_numbers: Vec<String>,
}

/// Screening settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MatchConfig {
    /// Hits need a score at least this high; in (0, 1].
    pub threshold: f64,
    /// At most this many hits are returned; 1..=[`LIMIT_MAX`].
    pub limit: usize,
}

impl Default for MatchConfig {
    fn default() -> MatchConfig {
        MatchConfig { threshold: DEFAULT_THRESHOLD, limit: DEFAULT_LIMIT }
    }
}

/// A listed entry that scored at or above the threshold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub list: String,
    pub entity_id: String,
    pub version: u32,
    /// 0–1, rounded to 3 decimals.
    pub score: f64,
    /// The listed name (as written in the list) that matched best.
    pub matched_name: String,
    /// Why, in words a reviewer reads: the main feature first, then each qualifier.
    pub reasons: Vec<String>,
}

/// Why screening could not run.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ScreenError {
    #[error("the screening threshold must be above 0 and at most 1 (got {threshold})")]
    Threshold { threshold: f64 },
    #[error("the hit limit must be 1 to {LIMIT_MAX} (got {limit})")]
    Limit { limit: usize },
    #[error("the subject has more than {SUBJECT_VALUES_MAX} {field}")]
    TooManyValues { field: &'static str },
    #[error("a subject's {field} value is longer than {SUBJECT_TEXT_MAX_BYTES} bytes")]
    TextTooLong { field: &'static str },
    #[error("the subject has no name to screen")]
    NoName,
}

/// A name ready for comparison.
#[derive(Clone, Debug)]
struct PreparedName {
    /// As written in the list, for [`Hit::matched_name`].
    original: String,
    normal: String,
    /// Name parts in normal form, sorted, for the any-order comparison.
    sorted_tokens: Vec<String>,
    /// `normal` without spaces, for the spacing-insensitive comparison.
    compact: String,
    weak: bool,
}

impl PreparedName {
    fn latin(original: &str, weak: bool) -> Option<PreparedName> {
        let normal = normalise_latin(original);
        PreparedName::from_normal(original, normal.split(' ').map(str::to_owned).collect(), normal, weak)
    }

    fn thai(original: &str, weak: bool) -> Option<PreparedName> {
        let tokens: Vec<String> = original.split_whitespace().map(normalise_thai).filter(|t| !t.is_empty()).collect();
        let normal = tokens.join(" ");
        PreparedName::from_normal(original, tokens, normal, weak)
    }

    fn from_normal(original: &str, mut tokens: Vec<String>, normal: String, weak: bool) -> Option<PreparedName> {
        tokens.retain(|t| !t.is_empty());
        if tokens.is_empty() {
            return None;
        }
        tokens.sort();
        let compact = normal.replace(' ', "");
        Some(PreparedName { original: original.to_owned(), normal, sorted_tokens: tokens, compact, weak })
    }
}

/// One entry with its names normalised once.
#[derive(Clone, Debug)]
struct PreparedEntry {
    latin: Vec<PreparedName>,
    thai: Vec<PreparedName>,
    /// Canonical alpha-3 codes, or `None` if any listed nationality could not be mapped.
    nationality_codes: Option<Vec<&'static str>>,
    document_numbers: Vec<String>,
}

/// A list prepared for repeated screening (normalisation is done once, not per customer).
#[derive(Clone, Debug)]
pub struct PreparedList {
    entries: Vec<ListEntry>,
    prepared: Vec<PreparedEntry>,
}

impl PreparedList {
    /// Normalises every name of every entry. Entries are expected to come from the parsers in
    /// this module tree, which bound the number and length of names.
    pub fn new(entries: Vec<ListEntry>) -> PreparedList {
        let prepared = entries.iter().map(prepare_entry).collect();
        PreparedList { entries, prepared }
    }

    /// The entries, in the order given.
    pub fn entries(&self) -> &[ListEntry] {
        &self.entries
    }
}

fn prepare_entry(entry: &ListEntry) -> PreparedEntry {
    let mut latin = Vec::new();
    let mut thai = Vec::new();
    let mut add = |name: &str, weak: bool| {
        if contains_thai(name) {
            thai.extend(PreparedName::thai(name, weak));
        } else {
            latin.extend(PreparedName::latin(name, weak));
        }
    };
    for name in &entry.names {
        add(name, false);
    }
    for alias in &entry.aliases {
        add(&alias.name, alias.quality == AliasQuality::Low);
    }
    // Original-script names in other scripts (Arabic, Cyrillic, …) cannot be compared with our
    // customers' Latin or Thai names; the list carries their romanised forms as names/aliases.
    for name in entry.original_script.iter().filter(|n| contains_thai(n)) {
        thai.extend(PreparedName::thai(name, false));
    }
    let codes: Vec<Option<&'static str>> = entry.nationalities.iter().map(|n| canonical_code(n)).collect();
    let nationality_codes = codes.iter().all(Option::is_some).then(|| codes.into_iter().flatten().collect());
    let document_numbers = entry.documents.iter().map(|d| normalise_identifier(&d.number)).collect();
    PreparedEntry { latin, thai, nationality_codes, document_numbers }
}

/// Upper-case letters and digits only, so `AB-123 456` equals `ab123456`.
fn normalise_identifier(number: &str) -> String {
    number.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect()
}

struct PreparedSubject {
    latin: Vec<PreparedName>,
    thai: Vec<PreparedName>,
    dob: Option<Date>,
    nationality_code: Option<&'static str>,
    nationality_text: Option<String>,
    id_numbers: Vec<String>,
}

fn prepare_subject(subject: &Subject) -> Result<PreparedSubject, ScreenError> {
    let check = |values: &[String], field: &'static str| {
        if values.len() > SUBJECT_VALUES_MAX {
            return Err(ScreenError::TooManyValues { field });
        }
        if values.iter().any(|v| v.len() > SUBJECT_TEXT_MAX_BYTES) {
            return Err(ScreenError::TextTooLong { field });
        }
        Ok(())
    };
    check(&subject.latin_names, "Latin names")?;
    check(&subject.thai_names, "Thai names")?;
    check(&subject.id_numbers, "ID numbers")?;
    if subject.nationality.as_ref().is_some_and(|n| n.len() > SUBJECT_TEXT_MAX_BYTES) {
        return Err(ScreenError::TextTooLong { field: "nationality" });
    }
    let latin: Vec<PreparedName> = subject.latin_names.iter().filter_map(|n| PreparedName::latin(n, false)).collect();
    let thai: Vec<PreparedName> = subject.thai_names.iter().filter_map(|n| PreparedName::thai(n, false)).collect();
    if latin.is_empty() && thai.is_empty() {
        return Err(ScreenError::NoName);
    }
    Ok(PreparedSubject {
        latin,
        thai,
        dob: subject.dob,
        nationality_code: subject.nationality.as_deref().and_then(canonical_code),
        nationality_text: subject.nationality.clone(),
        id_numbers: subject.id_numbers.iter().map(|n| normalise_identifier(n)).filter(|n| n.len() >= IDENTIFIER_MIN_CHARS).collect(),
    })
}

/// Screens one subject against a prepared list; hits sorted by score, strongest first.
pub fn screen(subject: &Subject, list: &PreparedList, config: &MatchConfig) -> Result<Vec<Hit>, ScreenError> {
    if !(config.threshold > 0.0 && config.threshold <= 1.0) {
        return Err(ScreenError::Threshold { threshold: config.threshold });
    }
    if !(1..=LIMIT_MAX).contains(&config.limit) {
        return Err(ScreenError::Limit { limit: config.limit });
    }
    let subject = prepare_subject(subject)?;
    assert_eq!(list.entries.len(), list.prepared.len());
    let mut hits: Vec<Hit> = list
        .entries
        .iter()
        .zip(&list.prepared)
        .filter_map(|(entry, prepared)| score_entry(&subject, entry, prepared))
        .filter(|hit| hit.score >= config.threshold)
        .collect();
    hits.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.list.cmp(&b.list)).then_with(|| a.entity_id.cmp(&b.entity_id)));
    hits.truncate(config.limit);
    Ok(hits)
}

/// The best main feature: score, listed name, reason.
struct Main {
    score: f64,
    matched_name: String,
    reason: String,
}

fn consider(best: &mut Option<Main>, candidate: Main) {
    if best.as_ref().is_none_or(|b| candidate.score > b.score) {
        *best = Some(candidate);
    }
}

fn score_entry(subject: &PreparedSubject, entry: &ListEntry, prepared: &PreparedEntry) -> Option<Hit> {
    let mut best: Option<Main> = None;
    for (subject_names, entry_names, script) in [(&subject.latin, &prepared.latin, "name"), (&subject.thai, &prepared.thai, "Thai-script name")] {
        for s in subject_names {
            for e in entry_names {
                let (raw, how) = compare_names(s, e);
                let score = if e.weak { raw.min(WEAK_ALIAS_CAP) } else { raw };
                let mut reason = format!("{script}: {how} ({score:.2})");
                if e.weak {
                    reason.push_str(", weak alias");
                }
                consider(&mut best, Main { score, matched_name: e.original.clone(), reason });
            }
        }
    }
    let mut reasons = Vec::new();
    for number in &subject.id_numbers {
        if prepared.document_numbers.iter().any(|d| d == number) {
            let reason = format!("document number {number} is listed ({IDENTIFIER_MATCH:.2})");
            reasons.push(reason.clone());
            let matched_name = entry.names.first().cloned().unwrap_or_default();
            consider(&mut best, Main { score: IDENTIFIER_MATCH, matched_name, reason });
        }
    }
    let main = best?;
    if main.score <= 0.0 {
        return None;
    }
    reasons.retain(|r| *r != main.reason);
    reasons.insert(0, main.reason);
    let mut score = main.score;
    if entry.kind == EntryKind::Individual {
        score += dob_qualifier(subject.dob, &entry.dobs, &mut reasons);
        score += nationality_qualifier(subject, entry, prepared, &mut reasons);
    }
    let score = (score.clamp(0.0, 1.0) * 1000.0).round() / 1000.0;
    Some(Hit { list: entry.list.clone(), entity_id: entry.entity_id.clone(), version: entry.version, score, matched_name: main.matched_name, reasons })
}

/// Score of one name pair before any weak-alias cap, and how it matched.
fn compare_names(subject: &PreparedName, listed: &PreparedName) -> (f64, String) {
    if subject.normal == listed.normal {
        return (NAME_EXACT, "exact match".to_owned());
    }
    if subject.sorted_tokens == listed.sorted_tokens {
        return (NAME_TOKEN_SET, "same name parts in a different order".to_owned());
    }
    if subject.compact == listed.compact {
        return (NAME_TOKEN_SET, "same letters with different spacing".to_owned());
    }
    let similarity = whole_name_similarity(&subject.compact, &listed.compact).max(token_similarity(&subject.sorted_tokens, &listed.sorted_tokens));
    (NAME_JARO_WINKLER_WEIGHT * similarity, format!("similar spelling (similarity {similarity:.2})"))
}

/// Jaro-Winkler of the names without spaces, only between names of similar length
/// (shorter ≥ [`WHOLE_NAME_LENGTH_RATIO_MIN`] of longer). Between very different lengths the
/// Winkler prefix bonus lets "Tarek" score 0.85 against "Tarek bin Salim Haddor".
fn whole_name_similarity(a: &str, b: &str) -> f64 {
    let (a_chars, b_chars) = (a.chars().count(), b.chars().count());
    let (shorter, longer) = (a_chars.min(b_chars), a_chars.max(b_chars));
    assert!(shorter > 0);
    if (shorter as f64) < WHOLE_NAME_LENGTH_RATIO_MIN * longer as f64 {
        return 0.0;
    }
    jaro_winkler(a, b)
}

/// How well the name parts correspond.
///
/// For each part, its best Jaro-Winkler against the other name's parts, counted as 0 below
/// [`TOKEN_SIMILARITY_FLOOR`] (unrelated words still score around 0.5); averaged per side, so
/// `coverage(subject)` says how much of the customer's name appears in the listed one and
/// `coverage(listed)` the reverse. A customer name of two or more parts that all appear in the
/// listed name is a strong signal (middle names and patronymics are often left out), so it
/// weighs [`MULTI_PART_SUBJECT_WEIGHT`]; a one-part name must also cover the listed name, so
/// both sides weigh half and "Dray" alone does not match "Ilsa Dray".
fn token_similarity(subject: &[String], listed: &[String]) -> f64 {
    assert!(!subject.is_empty() && !listed.is_empty());
    let coverage = |from: &[String], to: &[String]| {
        let total: f64 = from
            .iter()
            .map(|f| to.iter().map(|t| jaro_winkler(f, t)).fold(0.0, f64::max))
            .map(|best| if best < TOKEN_SIMILARITY_FLOOR { 0.0 } else { best })
            .sum();
        total / from.len() as f64
    };
    let subject_weight = if subject.len() >= 2 { MULTI_PART_SUBJECT_WEIGHT } else { 0.5 };
    subject_weight * coverage(subject, listed) + (1.0 - subject_weight) * coverage(listed, subject)
}

fn dob_qualifier(subject_dob: Option<Date>, listed: &[DobFact], reasons: &mut Vec<String>) -> f64 {
    let Some(dob) = subject_dob else { return 0.0 };
    if listed.is_empty() {
        return 0.0;
    }
    if listed.contains(&DobFact::Date(dob)) {
        reasons.push(format!("date of birth {dob} matches (+{DOB_EXACT_BONUS:.2})"));
        return DOB_EXACT_BONUS;
    }
    let covering: Vec<&DobFact> = listed.iter().filter(|f| f.covers_year(dob.year())).collect();
    if covering.is_empty() {
        reasons.push(format!("no listed birth year matches {} ({DOB_YEAR_DISJOINT:.2})", dob.year()));
        return DOB_YEAR_DISJOINT;
    }
    if covering.iter().all(|f| matches!(f, DobFact::Date(_))) {
        reasons.push(format!("birth year {} matches but the day differs ({DOB_DAY_DISJOINT:.2})", dob.year()));
        return DOB_DAY_DISJOINT;
    }
    reasons.push(format!("birth year {} fits the listed year", dob.year()));
    0.0
}

fn nationality_qualifier(subject: &PreparedSubject, entry: &ListEntry, prepared: &PreparedEntry, reasons: &mut Vec<String>) -> f64 {
    // Penalise only when every value could be mapped: an unknown spelling must not lower a score.
    let (Some(code), Some(listed)) = (subject.nationality_code, prepared.nationality_codes.as_ref()) else {
        return 0.0;
    };
    if listed.is_empty() {
        return 0.0;
    }
    if listed.contains(&code) {
        reasons.push(format!("nationality {code} matches"));
        return 0.0;
    }
    let shown = subject.nationality_text.as_deref().unwrap_or(code);
    reasons.push(format!("nationality {shown} differs from the listed {} ({COUNTRY_MISMATCH:.2})", entry.nationalities.join(", ")));
    COUNTRY_MISMATCH
}

#[cfg(test)]
mod tests {
    use super::super::un_xml::parse_un_xml;
    use super::*;

    const FIXTURE: &[u8] = include_bytes!("../../fixtures/un-synthetic.xml");

    fn list() -> PreparedList {
        PreparedList::new(parse_un_xml(FIXTURE).unwrap())
    }

    fn latin(name: &str) -> Subject {
        Subject { latin_names: vec![name.to_owned()], ..Subject::default() }
    }

    fn date(s: &str) -> Date {
        Date::parse_iso(s).unwrap()
    }

    fn top(subject: &Subject) -> Option<Hit> {
        screen(subject, &list(), &MatchConfig::default()).unwrap().into_iter().next()
    }

    /// Best score for one entry, even below the threshold.
    fn score_of(subject: &Subject, entity_id: &str) -> f64 {
        let config = MatchConfig { threshold: 0.000_001, limit: LIMIT_MAX };
        let hits = screen(subject, &list(), &config).unwrap();
        hits.iter().find(|h| h.entity_id == entity_id).map_or(0.0, |h| h.score)
    }

    #[test]
    fn exact_name() {
        let hit = top(&latin("Varnel Oskard Tremaine")).unwrap();
        assert_eq!(hit.entity_id, "9100001");
        assert_eq!(hit.score, 1.0);
        assert_eq!(hit.matched_name, "VARNEL OSKARD TREMAINE");
        assert!(hit.reasons[0].contains("exact match"), "{:?}", hit.reasons);
        // Accents, case and punctuation do not matter.
        assert_eq!(top(&latin("  varnel óskard-TREMAINE ")).unwrap().score, 1.0);
        // A good alias scores like a name.
        assert_eq!(top(&latin("Varnel Tremaine")).unwrap().score, 1.0);
        // A previous name (f.k.a.) too.
        assert_eq!(top(&latin("Mireva Dunhollow")).unwrap().entity_id, "9100007");
    }

    #[test]
    fn reordered_name() {
        let hit = top(&latin("Tremaine Varnel Oskard")).unwrap();
        assert_eq!(hit.entity_id, "9100001");
        assert_eq!(hit.score, NAME_TOKEN_SET);
        assert!(hit.reasons[0].contains("different order"));
        // Run-together parts.
        let hit = top(&latin("Prasopchai Kaew Morakot")).unwrap();
        assert_eq!((hit.entity_id.as_str(), hit.score), ("9100002", NAME_TOKEN_SET));
    }

    #[test]
    fn left_out_middle_name_still_hits() {
        let hit = top(&latin("Dorian Maraval")).unwrap();
        assert_eq!(hit.entity_id, "9100003");
        assert!(hit.score >= DEFAULT_THRESHOLD, "{hit:?}");
        assert_eq!(top(&latin("Oskard Varnel")).unwrap().entity_id, "9100001");
    }

    #[test]
    fn misspelled_name() {
        let hit = top(&latin("Varnell Oskar Tremain")).unwrap();
        assert_eq!(hit.entity_id, "9100001");
        assert!(hit.score >= DEFAULT_THRESHOLD && hit.score <= NAME_JARO_WINKLER_WEIGHT, "{hit:?}");
        assert!(hit.reasons[0].contains("similar spelling"));
        let hit = top(&latin("Ysolde Branigar")).unwrap();
        assert_eq!(hit.entity_id, "9100015");
    }

    #[test]
    fn thai_script_name() {
        let subject = Subject { thai_names: vec!["ประสพชัย แก้วมรกต".to_owned()], ..Subject::default() };
        let hit = top(&subject).unwrap();
        assert_eq!(hit.entity_id, "9100002");
        assert_eq!(hit.score, 1.0);
        assert!(hit.reasons[0].starts_with("Thai-script name: exact match"));
        // Tone mark left out and the parts swapped.
        let subject = Subject { thai_names: vec!["แกวมรกต ประสพชัย".to_owned()], ..Subject::default() };
        let hit = top(&subject).unwrap();
        assert_eq!((hit.entity_id.as_str(), hit.score), ("9100002", NAME_TOKEN_SET));
        // One letter different.
        let subject = Subject { thai_names: vec!["ประสบชัย แก้วมรกต".to_owned()], ..Subject::default() };
        assert_eq!(top(&subject).unwrap().entity_id, "9100002");
    }

    #[test]
    fn date_of_birth_qualifiers() {
        // Exact namesake with another birth year: lowered but still reviewed.
        let mut subject = latin("Dorian Felk Maraval");
        subject.dob = Some(date("1990-05-05"));
        let hit = top(&subject).unwrap();
        assert_eq!(hit.score, 0.85);
        assert!(hit.reasons.iter().any(|r| r.contains("no listed birth year")), "{:?}", hit.reasons);
        // Same year, other day.
        subject.dob = Some(date("1980-03-01"));
        assert_eq!(top(&subject).unwrap().score, 0.8);
        // Exact date: bonus, capped at 1.
        subject.dob = Some(date("1980-02-11"));
        assert_eq!(top(&subject).unwrap().score, 1.0);
        // A fuzzy namesake born another year falls below the threshold.
        let mut fuzzy = latin("Dorien Felk Marawal");
        assert!(score_of(&fuzzy, "9100003") >= DEFAULT_THRESHOLD);
        fuzzy.dob = Some(date("1990-05-05"));
        assert!(score_of(&fuzzy, "9100003") < DEFAULT_THRESHOLD);
        assert!(top(&fuzzy).is_none());
        // Year-only and year-range facts: no day penalty inside the year.
        let mut subject = latin("Halvard Quenby Otterlin");
        subject.dob = Some(date("1965-07-01"));
        assert_eq!(top(&subject).unwrap().score, 1.0);
        let mut subject = latin("Zephrine Abelard Kostovar");
        subject.dob = Some(date("1960-07-01"));
        assert_eq!(top(&subject).unwrap().score, 1.0);
        subject.dob = Some(date("1970-07-01"));
        assert_eq!(top(&subject).unwrap().score, 0.85);
        // An approximate listed date is only compared by year.
        let mut subject = latin("Mireva Santorel");
        subject.dob = Some(date("1975-12-31"));
        assert_eq!(top(&subject).unwrap().score, 1.0);
    }

    #[test]
    fn nationality_mismatch_lowers() {
        let mut subject = latin("Dorian Felk Maraval");
        subject.nationality = Some("THA".to_owned());
        let hit = top(&subject).unwrap();
        assert_eq!(hit.score, 0.8);
        assert!(hit.reasons.iter().any(|r| r.contains("nationality THA differs from the listed France")));
        subject.nationality = Some("france".to_owned());
        assert_eq!(top(&subject).unwrap().score, 1.0);
        subject.nationality = Some("FRA".to_owned());
        assert_eq!(top(&subject).unwrap().score, 1.0);
        // Unknown spelling: no penalty.
        subject.nationality = Some("Frankreich".to_owned());
        assert_eq!(top(&subject).unwrap().score, 1.0);
        // Both disagreeing facts together drop even an exact namesake below the threshold.
        subject.nationality = Some("THA".to_owned());
        subject.dob = Some(date("1990-05-05"));
        assert!(top(&subject).is_none());
        assert!((score_of(&subject, "9100003") - 0.65).abs() < 1e-9);
        // Either of two listed nationalities is fine.
        let mut dual = latin("Quillon Ashgrove");
        dual.nationality = Some("GBR".to_owned());
        assert_eq!(top(&dual).unwrap().score, 1.0);
    }

    #[test]
    fn unrelated_and_short_names_do_not_hit() {
        assert!(top(&latin("Somchai Jaidee")).is_none());
        assert!(top(&latin("John Smith")).is_none());
        // One listed name part alone is not enough.
        assert!(score_of(&latin("Tarek"), "9100009") < DEFAULT_THRESHOLD);
        assert!(score_of(&latin("Tarek Haddad"), "9100009") < DEFAULT_THRESHOLD);
        assert!(score_of(&latin("Salim"), "9100009") < DEFAULT_THRESHOLD);
        assert!(score_of(&latin("Dray"), "9100006") < DEFAULT_THRESHOLD);
        assert!(score_of(&latin("Hal"), "9100004") < DEFAULT_THRESHOLD);
        assert!(top(&latin("Bo")).is_none());
        // A weak alias is capped below an exact name.
        let hit = top(&latin("Oska")).unwrap();
        assert_eq!((hit.entity_id.as_str(), hit.score), ("9100001", WEAK_ALIAS_CAP));
        assert!(hit.reasons[0].contains("weak alias"));
    }

    #[test]
    fn identifiers_and_entities() {
        let subject = Subject { latin_names: vec!["Someone Else".to_owned()], id_numbers: vec!["x 009-3417".to_owned()], ..Subject::default() };
        let hit = top(&subject).unwrap();
        assert_eq!((hit.entity_id.as_str(), hit.score), ("9100001", IDENTIFIER_MATCH));
        assert!(hit.reasons[0].contains("document number X0093417"));
        let hit = top(&latin("Northwind Salt Co")).unwrap();
        assert_eq!((hit.entity_id.as_str(), hit.score), ("9200001", 1.0));
    }

    #[test]
    fn csv_list_with_thai_names() {
        let entries = super::super::csv::parse_csv_list(include_bytes!("../../fixtures/sanctions-synthetic.csv")).unwrap();
        let list = PreparedList::new(entries);
        let subject = Subject { thai_names: vec!["รัตนาภรณ์  ศิลปคำ".to_owned()], ..Subject::default() };
        let hits = screen(&subject, &list, &MatchConfig::default()).unwrap();
        assert_eq!((hits[0].entity_id.as_str(), hits[0].score), ("SYN-0002", 1.0));
        assert_eq!(hits[0].version, 2);
        // Listed by name ("Lao People's Democratic Republic"), customer by code.
        let mut subject = latin("Kelvaro Dunstrane");
        subject.nationality = Some("LAO".to_owned());
        subject.dob = Some(date("1967-09-09"));
        let hits = screen(&subject, &list, &MatchConfig::default()).unwrap();
        assert_eq!((hits[0].entity_id.as_str(), hits[0].score), ("SYN-0003", 1.0));
        subject.nationality = Some("VNM".to_owned());
        let hits = screen(&subject, &list, &MatchConfig::default()).unwrap();
        assert_eq!(hits[0].score, 0.85);
    }

    #[test]
    fn hits_are_sorted_and_limited() {
        let subject =
            Subject { latin_names: vec!["Ilsabet Corwen Dray".to_owned(), "Estrid Vallomere".to_owned(), "Ilsa Drey".to_owned()], ..Subject::default() };
        let hits = screen(&subject, &list(), &MatchConfig::default()).unwrap();
        assert!(hits.len() >= 2);
        assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
        let one = screen(&subject, &list(), &MatchConfig { limit: 1, ..MatchConfig::default() }).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].entity_id, hits[0].entity_id);
    }

    #[test]
    fn refuses_bad_config_and_subjects() {
        let l = list();
        let s = latin("A B");
        assert!(matches!(screen(&s, &l, &MatchConfig { threshold: 0.0, limit: 10 }), Err(ScreenError::Threshold { .. })));
        assert!(matches!(screen(&s, &l, &MatchConfig { threshold: f64::NAN, limit: 10 }), Err(ScreenError::Threshold { .. })));
        assert!(matches!(screen(&s, &l, &MatchConfig { threshold: 0.7, limit: 0 }), Err(ScreenError::Limit { .. })));
        assert_eq!(screen(&latin("--"), &l, &MatchConfig::default()), Err(ScreenError::NoName));
        let many = Subject { latin_names: vec!["A".to_owned(); 17], ..Subject::default() };
        assert!(matches!(screen(&many, &l, &MatchConfig::default()), Err(ScreenError::TooManyValues { .. })));
        let long = latin(&"a".repeat(SUBJECT_TEXT_MAX_BYTES + 1));
        assert!(matches!(screen(&long, &l, &MatchConfig::default()), Err(ScreenError::TextTooLong { .. })));
    }
}
