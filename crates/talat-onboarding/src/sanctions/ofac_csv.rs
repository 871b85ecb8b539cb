//! OFAC's Specially Designated Nationals list in its published CSV form (`SDN.CSV`), read for
//! the facts a Thai exchange screens with: names, kind, dates of birth, nationality and, above
//! all, the digital-currency addresses OFAC names ("Digital Currency Address - XBT 1…").
//!
//! The file has no header; each row has twelve fields: `ent_num, SDN_Name, SDN_Type, Program,
//! Title, Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks`. `-0-` means
//! empty. `SDN_Type` is `individual`, `vessel`, `aircraft` or empty (an entity). The remarks are
//! `;`-separated facts, an alternative one prefixed `alt.`. The file may end in a DOS
//! end-of-file byte (0x1A).
//!
//! SDN.CSV carries no revision number, so an entry's version is derived from its row's content:
//! a row that changes gets another version, and a clearance of it lapses, as for the UN list.

use super::model::{bounds, normalize_address, Alias, AliasQuality, DobFact, EntryKind, ListEntry, ListedAddress};
use super::ListError;
use crate::date::Date;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

/// The list name entries carry.
pub const LIST: &str = "ofac-sdn";
const FIELDS: usize = 12;
const ADDRESS_FACT: &str = "Digital Currency Address - ";

/// Parses a whole SDN.CSV file.
pub fn parse_ofac_sdn_csv(input: &[u8]) -> Result<Vec<ListEntry>, ListError> {
    if input.len() > bounds::INPUT_MAX_BYTES {
        return Err(ListError::TooLarge { bytes: input.len(), max_bytes: bounds::INPUT_MAX_BYTES });
    }
    // The end-of-file byte, if any, is not a row.
    let input = input.strip_suffix(b"\x1a").or_else(|| input.strip_suffix(b"\x1a\r\n")).or_else(|| input.strip_suffix(b"\x1a\n")).unwrap_or(input);
    let mut reader = ::csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(::csv::Trim::All).from_reader(input);
    let mut entries = Vec::new();
    let mut seen_ids = BTreeSet::new();
    for (row, record) in reader.records().enumerate() {
        let line = row as u64 + 1;
        let record = record.map_err(|e| ListError::Csv { line, message: e.to_string() })?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() != FIELDS {
            return Err(ListError::Csv { line, message: format!("an SDN row has {FIELDS} fields, this one {}", record.len()) });
        }
        if entries.len() >= bounds::ENTRIES_MAX {
            return Err(ListError::TooManyEntries { max: bounds::ENTRIES_MAX });
        }
        let entry = parse_row(&record, line)?;
        if !seen_ids.insert(entry.entity_id.clone()) {
            return Err(ListError::DuplicateId { entity_id: entry.entity_id });
        }
        entries.push(entry);
    }
    Ok(entries)
}

/// A field's value, `None` for OFAC's empty marker.
fn value(record: &::csv::StringRecord, index: usize) -> Option<&str> {
    record.get(index).map(str::trim).filter(|v| !v.is_empty() && *v != "-0-")
}

fn parse_row(record: &::csv::StringRecord, line: u64) -> Result<ListEntry, ListError> {
    let fail = |message: String| ListError::Csv { line, message };
    if let Some(long) = record.iter().find(|v| v.len() > bounds::TEXT_MAX_BYTES) {
        return Err(fail(format!("a field of {} bytes is longer than {}", long.len(), bounds::TEXT_MAX_BYTES)));
    }
    let entity_id = value(record, 0).ok_or_else(|| fail("ent_num is missing".into()))?;
    if !entity_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(fail(format!("ent_num {entity_id:?} is not a number")));
    }
    let written = value(record, 1).ok_or_else(|| fail(format!("{entity_id}: SDN_Name is missing")))?;
    let kind = match value(record, 2) {
        Some("individual") => EntryKind::Individual,
        _ => EntryKind::Entity,
    };
    // Individuals are written "SURNAME, Given names": screen the order people write them in,
    // and keep the list's order as an alias.
    let (names, aliases) = match (kind, written.split_once(", ")) {
        (EntryKind::Individual, Some((surname, given))) => {
            (vec![format!("{given} {surname}")], vec![Alias { name: written.to_owned(), quality: AliasQuality::Good }])
        }
        _ => (vec![written.to_owned()], Vec::new()),
    };
    let mut dobs = Vec::new();
    let mut nationalities = Vec::new();
    let mut addresses = Vec::new();
    for fact in value(record, 11).unwrap_or("").split(';').map(|f| f.trim().trim_end_matches('.').trim()) {
        let fact = fact.strip_prefix("alt. ").unwrap_or(fact);
        if let Some(rest) = fact.strip_prefix(ADDRESS_FACT) {
            let mut words = rest.split_whitespace();
            match (words.next(), words.next(), words.next()) {
                (Some(currency), Some(address), None) => {
                    addresses.push(ListedAddress { currency: currency.to_ascii_uppercase(), address: normalize_address(address) })
                }
                _ => return Err(fail(format!("{entity_id}: {fact:?} is not \"{ADDRESS_FACT}CURRENCY address\""))),
            }
        } else if let Some(dob) = fact.strip_prefix("DOB ").and_then(parse_dob) {
            dobs.push(dob);
        } else if let Some(country) = fact.strip_prefix("nationality ") {
            nationalities.push(country.to_owned());
        }
    }
    if [dobs.len(), nationalities.len(), addresses.len()].into_iter().any(|n| n > bounds::VALUES_PER_ENTRY_MAX) {
        return Err(fail(format!("{entity_id}: more than {} values of one kind", bounds::VALUES_PER_ENTRY_MAX)));
    }
    Ok(ListEntry {
        list: LIST.into(),
        entity_id: entity_id.to_owned(),
        version: version_of(record),
        kind,
        names,
        aliases,
        original_script: Vec::new(),
        dobs,
        nationalities,
        documents: Vec::new(),
        reference: String::new(),
        regime: value(record, 3).map(str::to_owned),
        listed_on: None,
        addresses,
    })
}

/// A version from the row's content (≥ 1): the same row always gets the same one.
fn version_of(record: &::csv::StringRecord) -> u32 {
    let mut hash = Sha256::new();
    for field in record {
        hash.update(field.as_bytes());
        hash.update([0]);
    }
    let digest = hash.finalize();
    (u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) >> 1) + 1
}

/// `19 Jun 1951` or `1951`; ranges and "circa" are left out (the name still screens).
fn parse_dob(text: &str) -> Option<DobFact> {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.as_slice() {
        [year] if year.len() == 4 => year.parse().ok().filter(|y| *y >= 1).map(DobFact::Year),
        [day, month, year] => {
            let month = MONTHS.iter().position(|m| m == month)? + 1;
            Date::parse_iso(&format!("{year}-{month:02}-{:0>2}", day)).ok().map(DobFact::Date)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Synthetic rows in SDN.CSV's shape (not real listings).
    const ROWS: &str = "36001,\"EXAMPLE, Somchai\",\"individual\",\"CYBER2\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"DOB 12 Apr 1975; nationality Thailand; Digital Currency Address - XBT 1ExampLeAddre55; alt. Digital Currency Address - LTC rltc1qExample0; Gender Male.\"\r\n\
36002,\"MIXER EXAMPLE LTD\",-0- ,\"CYBER2] [DPRK3\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"Digital Currency Address - ETH 0xABCdef0123456789abcdef0123456789ABCDEF01.\"\r\n\
36003,\"SHIP EXAMPLE\",\"vessel\",\"IRAN\",-0- ,\"CALL1\",\"Tanker\",-0- ,-0- ,\"Panama\",-0- ,-0- \r\n\x1a";

    #[test]
    fn rows_give_names_facts_and_addresses() {
        let entries = parse_ofac_sdn_csv(ROWS.as_bytes()).unwrap();
        assert_eq!(entries.len(), 3);
        let person = &entries[0];
        assert_eq!((person.entity_id.as_str(), person.kind, person.list.as_str()), ("36001", EntryKind::Individual, LIST));
        assert_eq!(person.names, vec!["Somchai EXAMPLE".to_owned()]);
        assert_eq!(person.aliases[0].name, "EXAMPLE, Somchai");
        assert_eq!(person.dobs, vec![DobFact::Date(Date::parse_iso("1975-04-12").unwrap())]);
        assert_eq!(person.nationalities, vec!["Thailand".to_owned()]);
        assert_eq!(
            person.addresses,
            vec![
                ListedAddress { currency: "XBT".into(), address: "1exampleaddre55".into() },
                ListedAddress { currency: "LTC".into(), address: "rltc1qexample0".into() }
            ]
        );
        let firm = &entries[1];
        assert_eq!((firm.kind, firm.regime.as_deref()), (EntryKind::Entity, Some("CYBER2] [DPRK3")));
        assert_eq!(firm.addresses[0].address, "0xabcdef0123456789abcdef0123456789abcdef01");
        assert!(entries[2].addresses.is_empty());
        assert!(entries.iter().all(|e| e.version >= 1));
    }

    #[test]
    fn a_changed_row_gets_another_version_and_the_same_row_the_same() {
        let once = parse_ofac_sdn_csv(ROWS.as_bytes()).unwrap();
        let again = parse_ofac_sdn_csv(ROWS.as_bytes()).unwrap();
        assert_eq!(once[0].version, again[0].version);
        let changed = ROWS.replace("Gender Male", "Gender Male; nationality Laos");
        assert_ne!(parse_ofac_sdn_csv(changed.as_bytes()).unwrap()[0].version, once[0].version);
    }

    #[test]
    fn malformed_rows_name_their_line() {
        let short = "36001,\"A\",\"individual\"\n";
        assert_eq!(parse_ofac_sdn_csv(short.as_bytes()).unwrap_err().to_string(), "CSV line 1: an SDN row has 12 fields, this one 3");
        let bad_address = ROWS.replace("XBT 1ExampLeAddre55", "XBT");
        assert!(parse_ofac_sdn_csv(bad_address.as_bytes()).unwrap_err().to_string().starts_with("CSV line 1: 36001: \"Digital Currency Address - XBT\""));
        let duplicate = format!("{}\n{}", ROWS.lines().next().unwrap(), ROWS.lines().next().unwrap());
        assert!(matches!(parse_ofac_sdn_csv(duplicate.as_bytes()), Err(ListError::DuplicateId { .. })));
        let not_numbered = ROWS.replacen("36001", "X1", 1);
        assert!(parse_ofac_sdn_csv(not_numbered.as_bytes()).unwrap_err().to_string().contains("is not a number"));
    }
}
