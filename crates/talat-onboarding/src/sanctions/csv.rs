//! A simple CSV list format, for lists that do not come as UN XML (AMLO's Thai designated-persons
//! list, an in-house watch list) once someone has transcribed them.
//!
//! Format (UTF-8, comma-separated, RFC 4180 quoting, one entry per line):
//!
//! ```text
//! entity_id,version,kind,name,aliases,dob,nationality,list,thai_name
//! TH-0001,1,individual,Somchai Example,"S. Example;Chai Example",1970-01-31,THA,amlo-th,สมชาย ตัวอย่าง
//! ```
//!
//! | column | meaning |
//! |---|---|
//! | `entity_id` | required; unique within the file |
//! | `version` | required; whole number ≥ 1; raise it whenever the row changes, so clearances lapse |
//! | `kind` | `individual` or `entity` |
//! | `name` | required; the primary name in Latin script |
//! | `aliases` | optional; `;`-separated; all treated as good-quality aliases |
//! | `dob` | optional; `;`-separated; each `YYYY-MM-DD` or `YYYY` |
//! | `nationality` | optional; `;`-separated; alpha-3 codes or English country names |
//! | `list` | required; the source list, e.g. `amlo-th` |
//! | `thai_name` | optional; the name in Thai script, screened against customers' Thai names |
//! | `addresses` | optional column; `;`-separated `CURRENCY:address` digital-currency addresses (`LTC:ltc1q…`), refused as withdrawal destinations |
//!
//! The header line must be exactly as above. Lines starting with `#` are comments. Surrounding
//! spaces in fields are trimmed. Errors give the line number and the column.

use super::model::{bounds, normalize_address, Alias, AliasQuality, DobFact, EntryKind, ListEntry, ListedAddress};
use super::ListError;
use crate::date::Date;
use std::collections::BTreeSet;

/// The required header, in order.
pub const HEADER: [&str; 9] = ["entity_id", "version", "kind", "name", "aliases", "dob", "nationality", "list", "thai_name"];
/// The optional last column: digital-currency addresses.
pub const ADDRESSES_COLUMN: &str = "addresses";

/// Parses a whole CSV list.
pub fn parse_csv_list(input: &[u8]) -> Result<Vec<ListEntry>, ListError> {
    if input.len() > bounds::INPUT_MAX_BYTES {
        return Err(ListError::TooLarge { bytes: input.len(), max_bytes: bounds::INPUT_MAX_BYTES });
    }
    let mut reader = ::csv::ReaderBuilder::new().has_headers(true).comment(Some(b'#')).trim(::csv::Trim::All).flexible(false).from_reader(input);
    let header = reader.headers().map_err(|e| csv_error(input, &e))?;
    let with_addresses = header.iter().eq(HEADER.iter().copied().chain([ADDRESSES_COLUMN]));
    if header.iter().ne(HEADER.iter().copied()) && !with_addresses {
        return Err(ListError::Csv {
            line: header.position().map_or(1, |p| line_of(input, p)),
            message: format!("the header must be exactly `{}` (optionally followed by `,{ADDRESSES_COLUMN}`)", HEADER.join(",")),
        });
    }
    let mut entries = Vec::new();
    let mut seen_ids = BTreeSet::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(input, &e))?;
        let line = record.position().map_or(0, |p| line_of(input, p));
        if entries.len() >= bounds::ENTRIES_MAX {
            return Err(ListError::TooManyEntries { max: bounds::ENTRIES_MAX });
        }
        let entry = parse_row(&record, line, with_addresses)?;
        if !seen_ids.insert(entry.entity_id.clone()) {
            return Err(ListError::DuplicateId { entity_id: entry.entity_id });
        }
        entries.push(entry);
    }
    Ok(entries)
}

/// The 1-based line a record starts on in the file. The csv crate's position is where it began
/// reading, i.e. before any comment or blank lines it skipped, and its line count leaves those
/// lines out; either would send staff to the wrong line, so skip them here and count newlines.
fn line_of(input: &[u8], position: &::csv::Position) -> u64 {
    let mut start = usize::try_from(position.byte()).map_or(input.len(), |b| b.min(input.len()));
    // Each pass skips one whole line, so this ends within input.len() passes.
    while start < input.len() && matches!(input[start], b'#' | b'\n' | b'\r') {
        start = input[start..].iter().position(|&b| b == b'\n').map_or(input.len(), |i| start + i + 1);
    }
    input[..start].iter().filter(|&&b| b == b'\n').count() as u64 + 1
}

fn csv_error(input: &[u8], error: &::csv::Error) -> ListError {
    let line = error.position().map_or(0, |p| line_of(input, p));
    ListError::Csv { line, message: error.to_string() }
}

fn parse_row(record: &::csv::StringRecord, line: u64, with_addresses: bool) -> Result<ListEntry, ListError> {
    assert_eq!(record.len(), HEADER.len() + usize::from(with_addresses), "the reader is not flexible");
    let fail = |column: &str, message: String| ListError::Csv { line, message: format!("{column}: {message}") };
    for (column, value) in HEADER.iter().chain([&ADDRESSES_COLUMN]).zip(record.iter()) {
        if value.len() > bounds::TEXT_MAX_BYTES {
            return Err(fail(column, format!("longer than {} bytes", bounds::TEXT_MAX_BYTES)));
        }
    }
    let column = |index: usize| record.get(index).expect("length checked");
    let required = |index: usize| {
        let value = column(index);
        if value.is_empty() {
            Err(fail(HEADER[index], "is required".to_owned()))
        } else {
            Ok(value.to_owned())
        }
    };
    let list_values = |index: usize| -> Result<Vec<String>, ListError> {
        let values: Vec<String> = column(index).split(';').map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned).collect();
        if values.len() > bounds::VALUES_PER_ENTRY_MAX {
            return Err(fail(HEADER[index], format!("more than {} values", bounds::VALUES_PER_ENTRY_MAX)));
        }
        Ok(values)
    };

    let entity_id = required(0)?;
    let version_text = required(1)?;
    let version: u32 = match version_text.parse() {
        Ok(v) if v >= 1 => v,
        _ => return Err(fail("version", format!("{version_text:?} is not a whole number ≥ 1"))),
    };
    let kind = match column(2) {
        "individual" => EntryKind::Individual,
        "entity" => EntryKind::Entity,
        other => return Err(fail("kind", format!("{other:?} is neither `individual` nor `entity`"))),
    };
    let name = required(3)?;
    let aliases = list_values(4)?.into_iter().map(|name| Alias { name, quality: AliasQuality::Good }).collect();
    let mut dobs = Vec::new();
    for text in list_values(5)? {
        dobs.push(parse_dob_fact(&text).ok_or_else(|| fail("dob", format!("{text:?} is neither YYYY-MM-DD nor YYYY")))?);
    }
    let nationalities = list_values(6)?;
    let list = required(7)?;
    let thai_name = column(8);
    let mut addresses = Vec::new();
    if with_addresses {
        for text in column(9).split(';').map(str::trim).filter(|v| !v.is_empty()) {
            let listed = text
                .split_once(':')
                .map(|(currency, address)| (currency.trim(), address.trim()))
                .filter(|(currency, address)| !currency.is_empty() && !address.is_empty() && !address.contains(char::is_whitespace))
                .ok_or_else(|| fail(ADDRESSES_COLUMN, format!("{text:?} is not CURRENCY:address")))?;
            addresses.push(ListedAddress { currency: listed.0.to_ascii_uppercase(), address: normalize_address(listed.1) });
        }
        if addresses.len() > bounds::VALUES_PER_ENTRY_MAX {
            return Err(fail(ADDRESSES_COLUMN, format!("more than {} values", bounds::VALUES_PER_ENTRY_MAX)));
        }
    }
    Ok(ListEntry {
        list,
        entity_id,
        version,
        kind,
        names: vec![name],
        aliases,
        original_script: if thai_name.is_empty() { Vec::new() } else { vec![thai_name.to_owned()] },
        dobs,
        nationalities,
        documents: Vec::new(),
        reference: String::new(),
        regime: None,
        listed_on: None,
        addresses,
    })
}

fn parse_dob_fact(text: &str) -> Option<DobFact> {
    if text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit()) {
        let year: u16 = text.parse().ok()?;
        return (year >= 1).then_some(DobFact::Year(year));
    }
    Date::parse_iso(text).ok().map(DobFact::Date)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &[u8] = include_bytes!("../../fixtures/sanctions-synthetic.csv");
    const HEAD: &str = "entity_id,version,kind,name,aliases,dob,nationality,list,thai_name\n";

    #[test]
    fn parses_the_synthetic_fixture() {
        let entries = parse_csv_list(FIXTURE).unwrap();
        assert_eq!(entries.len(), 5);
        let first = &entries[0];
        assert_eq!(first.entity_id, "SYN-0001");
        assert_eq!(first.version, 1);
        assert_eq!(first.kind, EntryKind::Individual);
        assert_eq!(first.list, "synthetic-th");
        assert_eq!(first.names, vec!["Chaiwat Phromsakul".to_owned()]);
        assert_eq!(first.aliases.len(), 2);
        assert_eq!(first.dobs, vec![DobFact::Date(Date::parse_iso("1975-04-12").unwrap())]);
        assert_eq!(first.nationalities, vec!["THA".to_owned()]);
        assert_eq!(first.original_script, vec!["ชัยวัฒน์ พรหมสกุล".to_owned()]);
        assert!(entries.iter().any(|e| e.kind == EntryKind::Entity));
        assert!(entries.iter().any(|e| e.dobs.contains(&DobFact::Year(1981))));
        assert!(entries.iter().any(|e| e.version == 2));
    }

    #[test]
    fn errors_give_line_and_column() {
        let bad_kind = format!("{HEAD}A,1,person,Name,,,,l,\n");
        let err = parse_csv_list(bad_kind.as_bytes()).unwrap_err().to_string();
        assert_eq!(err, "CSV line 2: kind: \"person\" is neither `individual` nor `entity`");

        let bad_dob = format!("{HEAD}A,1,individual,Name,,1970-13-01,,l,\n");
        let err = parse_csv_list(bad_dob.as_bytes()).unwrap_err().to_string();
        assert!(err.starts_with("CSV line 2: dob:"), "{err}");

        let zero_version = format!("{HEAD}# comment\n\n# another\nA,0,individual,Name,,,,l,\n");
        let err = parse_csv_list(zero_version.as_bytes()).unwrap_err().to_string();
        assert!(err.starts_with("CSV line 5: version:"), "{err}");

        let missing_name = format!("{HEAD}A,1,individual,,,,,l,\n");
        assert!(parse_csv_list(missing_name.as_bytes()).unwrap_err().to_string().contains("name: is required"));

        let short_row = format!("{HEAD}A,1,individual\n");
        assert!(matches!(parse_csv_list(short_row.as_bytes()), Err(ListError::Csv { .. })));

        let bad_address = format!("{}addresses\nA,1,individual,Name,,,,l,,ltc1qxyz\n", HEAD.trim_end().to_owned() + ",");
        let err = parse_csv_list(bad_address.as_bytes()).unwrap_err().to_string();
        assert_eq!(err, "CSV line 2: addresses: \"ltc1qxyz\" is not CURRENCY:address");

        let wrong_header = "id,version\nA,1\n";
        let err = parse_csv_list(wrong_header.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("the header must be exactly"), "{err}");

        let duplicate = format!("{HEAD}A,1,individual,N,,,,l,\nA,2,individual,M,,,,l,\n");
        assert!(matches!(parse_csv_list(duplicate.as_bytes()), Err(ListError::DuplicateId { .. })));
    }

    #[test]
    fn an_addresses_column_names_digital_currency_addresses() {
        let file =
            format!("{},addresses\nA,1,entity,Mixer Co,,,,in-house,,\"LTC: RLTC1QAbc ; eth:0xDeadBeef\"\nB,1,individual,Name,,,,in-house,,\n", HEAD.trim_end());
        let entries = parse_csv_list(file.as_bytes()).unwrap();
        assert_eq!(
            entries[0].addresses,
            vec![ListedAddress { currency: "LTC".into(), address: "rltc1qabc".into() }, ListedAddress { currency: "ETH".into(), address: "0xdeadbeef".into() }]
        );
        assert!(entries[1].addresses.is_empty());
        assert!(parse_csv_list(FIXTURE).unwrap().iter().all(|e| e.addresses.is_empty()), "the nine-column header still reads");
    }
}
