//! One entry of a sanctions list, whatever format it came from.
//!
//! Field names follow the UN Security Council Consolidated List, the list every Thai exchange
//! must screen against; other sources (our CSV, later AMLO's Thai list) are mapped onto it.

use crate::date::Date;
use serde::{Deserialize, Serialize};

/// Person or organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Individual,
    Entity,
}

/// How reliable an alias is, from the UN list's `QUALITY`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AliasQuality {
    /// `Good` or `a.k.a.`: a name the person is known by.
    Good,
    /// `Low`: a weak alias (nickname, partial name). Matches on it are capped at 0.8.
    Low,
    /// `f.k.a.`: a previous name. Scored like a good alias; people keep using old names.
    FormerlyKnownAs,
}

impl AliasQuality {
    /// Maps a UN `QUALITY` value. An empty value (seen on entity aliases) is a plain alias.
    pub fn from_un(value: &str) -> Option<AliasQuality> {
        match value.trim() {
            "" | "Good" | "a.k.a." => Some(AliasQuality::Good),
            "Low" => Some(AliasQuality::Low),
            "f.k.a." => Some(AliasQuality::FormerlyKnownAs),
            _ => None,
        }
    }
}

/// An alternative name of a listed person or entity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alias {
    pub name: String,
    pub quality: AliasQuality,
}

/// A date of birth as precise as the list gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "precision", content = "value")]
pub enum DobFact {
    /// The full date is known.
    Date(Date),
    /// Only the year is known (also used for dates marked approximate).
    Year(u16),
    /// Born between two years, inclusive (`TYPE_OF_DATE` BETWEEN).
    YearRange(u16, u16),
}

impl DobFact {
    /// True if someone born in `year` fits this fact at year precision.
    pub fn covers_year(self, year: u16) -> bool {
        match self {
            DobFact::Date(date) => date.year() == year,
            DobFact::Year(y) => y == year,
            DobFact::YearRange(from, to) => (from..=to).contains(&year),
        }
    }
}

/// An identity document listed for an individual (passport, national ID, …).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentFact {
    /// As written in the list, e.g. "Passport", "National Identification Number".
    pub kind: String,
    pub number: String,
    /// Issuing country as written in the list, if any.
    pub country: Option<String>,
}

/// One listed person or entity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListEntry {
    /// Which list the entry came from, e.g. `un-sc`.
    pub list: String,
    /// Stable identifier within the list (UN `DATAID`).
    pub entity_id: String,
    /// Revision of the entry (UN `VERSIONNUM`); a change re-opens cleared matches.
    pub version: u32,
    pub kind: EntryKind,
    /// Primary names. For the UN list: `FIRST_NAME`…`FOURTH_NAME` joined by spaces.
    pub names: Vec<String>,
    pub aliases: Vec<Alias>,
    /// Names in their original script (`NAME_ORIGINAL_SCRIPT`): Arabic, Cyrillic, Thai, ….
    pub original_script: Vec<String>,
    pub dobs: Vec<DobFact>,
    /// Country names or codes as written in the list.
    pub nationalities: Vec<String>,
    pub documents: Vec<DocumentFact>,
    /// The list's own reference (UN `REFERENCE_NUMBER`, e.g. `QDi.001`); empty if none.
    pub reference: String,
    /// Sanctions regime (UN `UN_LIST_TYPE`, e.g. `Al-Qaida`), if given.
    pub regime: Option<String>,
    /// Date of listing as written (`YYYY-MM-DD` for the UN list), if given.
    pub listed_on: Option<String>,
    /// Digital-currency addresses the list names for this entry (OFAC's "Digital Currency
    /// Address"): a withdrawal to one is refused. Lists stored before addresses existed read
    /// as naming none.
    #[serde(default)]
    pub addresses: Vec<ListedAddress>,
}

/// A digital-currency address a list names, with the list's currency code (`XBT`, `ETH`, `LTC`…).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedAddress {
    pub currency: String,
    /// As [`normalize_address`] writes it.
    pub address: String,
}

/// The one form addresses are compared in: trimmed and lower case. Bech32 and hex (`0x…`)
/// addresses are case-insensitive by definition; two Base58 addresses differing only in case
/// would both need a valid checksum, so folding case never makes two real addresses collide.
pub fn normalize_address(address: &str) -> String {
    address.trim().to_ascii_lowercase()
}

/// Bounds every list parser enforces, so a corrupt or hostile file cannot exhaust memory.
pub mod bounds {
    /// Largest list file accepted. The real UN list is a few MiB.
    pub const INPUT_MAX_BYTES: usize = 64 * 1024 * 1024;
    /// Most entries in one list. The UN list has under 2,000.
    pub const ENTRIES_MAX: usize = 100_000;
    /// Most values of one kind (aliases, DOBs, nationalities, documents …) in one entry.
    pub const VALUES_PER_ENTRY_MAX: usize = 500;
    /// Longest single text value (a name, a number, a note) in bytes.
    pub const TEXT_MAX_BYTES: usize = 16 * 1024;
}
