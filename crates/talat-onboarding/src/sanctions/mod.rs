//! Sanctions screening: list parsing, name matching, and clearance of false positives.
//!
//! - [`model`]: one list entry, whatever the source format.
//! - [`un_xml`]: the UN Security Council Consolidated List XML.
//! - [`csv`]: a simple CSV format for other lists (AMLO's Thai list, in-house lists).
//! - [`ofac_csv`]: OFAC's SDN list as published in CSV, with the digital-currency addresses it names.
//! - [`matcher`]: scores a customer against a list (nomenklatura logic-v1 style, threshold 0.70).
//! - [`clearance`]: a reviewer's "not the same person" decision, which lapses when the entry changes.
//!
//! Policy (exchange-domain.md §2): a score at or above the threshold opens a human review; a name
//! match alone never rejects a customer automatically.

pub mod clearance;
pub mod csv;
pub mod matcher;
pub mod model;
pub mod ofac_csv;
pub mod un_xml;

/// Why a sanctions list could not be loaded. Messages are for staff operating the list import.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ListError {
    #[error("the list file is {bytes} bytes; the limit is {max_bytes}")]
    TooLarge { bytes: usize, max_bytes: usize },
    #[error("the list file is not valid UTF-8 (first bad byte at {at_byte})")]
    Utf8 { at_byte: usize },
    #[error("the list has more than {max} entries")]
    TooManyEntries { max: usize },
    #[error("malformed XML near byte {at_byte}: {message}")]
    Xml { at_byte: u64, message: String },
    #[error("XML nested deeper than {max} elements near byte {at_byte}")]
    TooDeep { at_byte: u64, max: usize },
    #[error("{entry}: {element} is missing")]
    Missing { entry: String, element: &'static str },
    #[error("{entry}: {element} has the invalid value {value:?} ({why})")]
    Invalid { entry: String, element: String, value: String, why: String },
    #[error("{entry}: more than {max} {element} values")]
    TooManyValues { entry: String, element: String, max: usize },
    #[error("{entry}: {element} is longer than {max_bytes} bytes")]
    TextTooLong { entry: String, element: String, max_bytes: usize },
    #[error("the entity id {entity_id} appears twice in the list")]
    DuplicateId { entity_id: String },
    #[error("CSV line {line}: {message}")]
    Csv { line: u64, message: String },
}
