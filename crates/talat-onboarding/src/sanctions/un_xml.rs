//! Parser for the UN Security Council Consolidated List XML
//! (`https://scsanctions.un.org/resources/xml/en/consolidated.xml`).
//!
//! Shape read (other elements are skipped, so additions to the feed do not break screening):
//!
//! ```text
//! CONSOLIDATED_LIST
//! ├─ INDIVIDUALS > INDIVIDUAL*
//! │    DATAID, VERSIONNUM, FIRST_NAME…FOURTH_NAME, UN_LIST_TYPE, REFERENCE_NUMBER, LISTED_ON,
//! │    NAME_ORIGINAL_SCRIPT, NATIONALITY > VALUE*, INDIVIDUAL_ALIAS{QUALITY, ALIAS_NAME}*,
//! │    INDIVIDUAL_DATE_OF_BIRTH{TYPE_OF_DATE, DATE | YEAR | FROM_YEAR+TO_YEAR}*,
//! │    INDIVIDUAL_DOCUMENT{TYPE_OF_DOCUMENT, NUMBER, ISSUING_COUNTRY | COUNTRY_OF_ISSUE}*
//! └─ ENTITIES > ENTITY*
//!      same header fields (the name is in FIRST_NAME), ENTITY_ALIAS{QUALITY, ALIAS_NAME}*
//! ```
//!
//! Safety: input size, entry count, nesting depth, values per entry and text length are all
//! bounded ([`super::model::bounds`]); quick-xml never expands DTD-declared entities, so an
//! undeclared reference is an error rather than an external fetch. Errors name the element and
//! the entry (`INDIVIDUAL #3 (DATAID 6908001)`) so staff can find the bad record.
//!
//! A date marked `APPROXIMATELY` is kept at year precision: penalising a customer's day of birth
//! against a guessed day would wrongly lower real matches.

use super::model::{bounds, Alias, AliasQuality, DobFact, DocumentFact, EntryKind, ListEntry};
use super::ListError;
use crate::date::Date;
use quick_xml::events::Event;
use quick_xml::Reader;
use std::collections::BTreeSet;

/// The `list` value given to entries from this feed.
pub const LIST_NAME: &str = "un-sc";

/// Deepest element nesting accepted; the real list is 5 deep.
const DEPTH_MAX: usize = 16;

/// Parses the whole list. Entries come back in document order (individuals, then entities).
pub fn parse_un_xml(input: &[u8]) -> Result<Vec<ListEntry>, ListError> {
    if input.len() > bounds::INPUT_MAX_BYTES {
        return Err(ListError::TooLarge { bytes: input.len(), max_bytes: bounds::INPUT_MAX_BYTES });
    }
    let text = std::str::from_utf8(input).map_err(|e| ListError::Utf8 { at_byte: e.valid_up_to() })?;
    let mut parser = Parser::default();
    let mut reader = Reader::from_str(text);
    reader.config_mut().expand_empty_elements = true;
    // Each event consumes input, so the loop runs at most input.len() + 1 times.
    for _ in 0..=input.len() {
        let at = reader.buffer_position();
        let event = reader.read_event().map_err(|e| ListError::Xml { at_byte: at, message: e.to_string() })?;
        match event {
            Event::Start(start) => {
                let name = std::str::from_utf8(start.name().as_ref()).unwrap_or("?").to_owned();
                parser.start(name, at)?;
            }
            Event::End(_) => parser.end()?,
            Event::Text(t) => {
                let content = t.xml10_content().map_err(|e| ListError::Xml { at_byte: at, message: e.to_string() })?;
                parser.text(&content)?;
            }
            Event::CData(c) => {
                let content = c.decode().map_err(|e| ListError::Xml { at_byte: at, message: e.to_string() })?;
                parser.text(&content)?;
            }
            Event::GeneralRef(r) => {
                let resolved = if let Some(ch) = r.resolve_char_ref().map_err(|e| ListError::Xml { at_byte: at, message: e.to_string() })? {
                    ch.to_string()
                } else {
                    let name = r.decode().map_err(|e| ListError::Xml { at_byte: at, message: e.to_string() })?;
                    quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or_else(|| ListError::Xml { at_byte: at, message: format!("unknown entity &{name};") })?
                        .to_owned()
                };
                parser.text(&resolved)?;
            }
            Event::Eof => return parser.finish(),
            // Declarations, comments, processing instructions and DOCTYPE carry no list data.
            Event::Empty(_) | Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    unreachable!("the XML reader made no progress");
}

/// A value of an entry's sub-record, collected until its closing tag.
#[derive(Default)]
struct Sub {
    quality: Option<String>,
    alias_name: Option<String>,
    type_of_date: Option<String>,
    date: Option<String>,
    year: Option<String>,
    from_year: Option<String>,
    to_year: Option<String>,
    document_kind: Option<String>,
    number: Option<String>,
    country: Option<String>,
}

struct EntryBuilder {
    kind: EntryKind,
    /// 1-based position among entries of its kind, for error messages.
    ordinal: usize,
    /// Index in the element stack of the INDIVIDUAL or ENTITY element.
    depth: usize,
    entity_id: Option<String>,
    version: Option<String>,
    name_parts: [Option<String>; 4],
    regime: Option<String>,
    reference: Option<String>,
    listed_on: Option<String>,
    original_script: Vec<String>,
    nationalities: Vec<String>,
    aliases: Vec<Alias>,
    dobs: Vec<DobFact>,
    documents: Vec<DocumentFact>,
    sub: Sub,
}

impl EntryBuilder {
    fn label(&self) -> String {
        let element = match self.kind {
            EntryKind::Individual => "INDIVIDUAL",
            EntryKind::Entity => "ENTITY",
        };
        match &self.entity_id {
            Some(id) => format!("{element} #{} (DATAID {id})", self.ordinal),
            None => format!("{element} #{}", self.ordinal),
        }
    }

    fn invalid(&self, element: &str, value: &str, why: &str) -> ListError {
        ListError::Invalid { entry: self.label(), element: element.to_owned(), value: value.chars().take(80).collect(), why: why.to_owned() }
    }

    fn bounded_push<T>(&self, values: &mut Vec<T>, value: T, element: &str) -> Result<(), ListError> {
        if values.len() >= bounds::VALUES_PER_ENTRY_MAX {
            return Err(ListError::TooManyValues { entry: self.label(), element: element.to_owned(), max: bounds::VALUES_PER_ENTRY_MAX });
        }
        values.push(value);
        Ok(())
    }
}

#[derive(Default)]
struct Parser {
    stack: Vec<String>,
    text: String,
    entry: Option<EntryBuilder>,
    entries: Vec<ListEntry>,
    seen_ids: BTreeSet<String>,
    individuals: usize,
    entities: usize,
    saw_root: bool,
}

impl Parser {
    fn start(&mut self, name: String, at_byte: u64) -> Result<(), ListError> {
        if self.stack.len() >= DEPTH_MAX {
            return Err(ListError::TooDeep { at_byte, max: DEPTH_MAX });
        }
        if self.stack.is_empty() {
            if self.saw_root || name != "CONSOLIDATED_LIST" {
                return Err(ListError::Xml { at_byte, message: format!("the root element is {name}, expected CONSOLIDATED_LIST") });
            }
            self.saw_root = true;
        }
        let kind = match (self.stack.len(), self.stack.last().map(String::as_str), name.as_str()) {
            (2, Some("INDIVIDUALS"), "INDIVIDUAL") => Some(EntryKind::Individual),
            (2, Some("ENTITIES"), "ENTITY") => Some(EntryKind::Entity),
            _ => None,
        };
        if let Some(kind) = kind {
            assert!(self.entry.is_none());
            if self.entries.len() >= bounds::ENTRIES_MAX {
                return Err(ListError::TooManyEntries { max: bounds::ENTRIES_MAX });
            }
            let ordinal = match kind {
                EntryKind::Individual => {
                    self.individuals += 1;
                    self.individuals
                }
                EntryKind::Entity => {
                    self.entities += 1;
                    self.entities
                }
            };
            self.entry = Some(EntryBuilder {
                kind,
                ordinal,
                depth: self.stack.len(),
                entity_id: None,
                version: None,
                name_parts: Default::default(),
                regime: None,
                reference: None,
                listed_on: None,
                original_script: Vec::new(),
                nationalities: Vec::new(),
                aliases: Vec::new(),
                dobs: Vec::new(),
                documents: Vec::new(),
                sub: Sub::default(),
            });
        }
        self.stack.push(name);
        self.text.clear();
        Ok(())
    }

    fn text(&mut self, content: &str) -> Result<(), ListError> {
        // Text outside entries is indentation; text inside is bounded per element.
        let Some(entry) = &self.entry else { return Ok(()) };
        if self.text.len() + content.len() > bounds::TEXT_MAX_BYTES {
            return Err(ListError::TextTooLong {
                entry: entry.label(),
                element: self.stack.last().cloned().unwrap_or_default(),
                max_bytes: bounds::TEXT_MAX_BYTES,
            });
        }
        self.text.push_str(content);
        Ok(())
    }

    fn end(&mut self) -> Result<(), ListError> {
        let name = self.stack.pop().expect("quick-xml checks that end tags match start tags");
        let value = self.text.trim().to_owned();
        self.text.clear();
        let Some(entry) = self.entry.as_mut() else { return Ok(()) };
        let level = self.stack.len(); // depth of `name`
        if level == entry.depth {
            let entry = self.entry.take().expect("checked above");
            let finished = finish_entry(entry)?;
            if !self.seen_ids.insert(finished.entity_id.clone()) {
                return Err(ListError::DuplicateId { entity_id: finished.entity_id });
            }
            self.entries.push(finished);
        } else if level == entry.depth + 1 {
            field(entry, &name, value)?;
        } else if level == entry.depth + 2 {
            let parent = self.stack[entry.depth + 1].clone();
            sub_field(entry, &parent, &name, value)?;
        }
        Ok(())
    }

    fn finish(self) -> Result<Vec<ListEntry>, ListError> {
        if !self.saw_root {
            return Err(ListError::Xml { at_byte: 0, message: "no CONSOLIDATED_LIST element".to_owned() });
        }
        // quick-xml stops at the end of input without complaining about open elements.
        if let Some(open) = self.stack.last() {
            return Err(ListError::Xml { at_byte: 0, message: format!("the file ends inside <{open}>; it is truncated") });
        }
        assert!(self.entry.is_none());
        Ok(self.entries)
    }
}

/// A direct child of INDIVIDUAL or ENTITY has closed.
fn field(entry: &mut EntryBuilder, name: &str, value: String) -> Result<(), ListError> {
    let set = |slot: &mut Option<String>, value: String| {
        if !value.is_empty() {
            *slot = Some(value);
        }
    };
    match name {
        "DATAID" => set(&mut entry.entity_id, value),
        "VERSIONNUM" => set(&mut entry.version, value),
        "FIRST_NAME" => set(&mut entry.name_parts[0], value),
        "SECOND_NAME" => set(&mut entry.name_parts[1], value),
        "THIRD_NAME" => set(&mut entry.name_parts[2], value),
        "FOURTH_NAME" => set(&mut entry.name_parts[3], value),
        "UN_LIST_TYPE" => set(&mut entry.regime, value),
        "REFERENCE_NUMBER" => set(&mut entry.reference, value),
        "LISTED_ON" => set(&mut entry.listed_on, value),
        "NAME_ORIGINAL_SCRIPT" if !value.is_empty() => {
            let mut names = std::mem::take(&mut entry.original_script);
            entry.bounded_push(&mut names, value, name)?;
            entry.original_script = names;
        }
        "INDIVIDUAL_ALIAS" | "ENTITY_ALIAS" => finish_alias(entry, name)?,
        "INDIVIDUAL_DATE_OF_BIRTH" => finish_dob(entry)?,
        "INDIVIDUAL_DOCUMENT" => finish_document(entry)?,
        _ => {}
    }
    Ok(())
}

/// A grandchild (inside NATIONALITY, an alias, a DOB or a document) has closed.
fn sub_field(entry: &mut EntryBuilder, parent: &str, name: &str, value: String) -> Result<(), ListError> {
    if value.is_empty() {
        return Ok(());
    }
    let sub = &mut entry.sub;
    match (parent, name) {
        ("NATIONALITY", "VALUE") => {
            let mut values = std::mem::take(&mut entry.nationalities);
            entry.bounded_push(&mut values, value, "NATIONALITY")?;
            entry.nationalities = values;
        }
        ("INDIVIDUAL_ALIAS" | "ENTITY_ALIAS", "QUALITY") => sub.quality = Some(value),
        ("INDIVIDUAL_ALIAS" | "ENTITY_ALIAS", "ALIAS_NAME") => sub.alias_name = Some(value),
        ("INDIVIDUAL_DATE_OF_BIRTH", "TYPE_OF_DATE") => sub.type_of_date = Some(value),
        ("INDIVIDUAL_DATE_OF_BIRTH", "DATE") => sub.date = Some(value),
        ("INDIVIDUAL_DATE_OF_BIRTH", "YEAR") => sub.year = Some(value),
        ("INDIVIDUAL_DATE_OF_BIRTH", "FROM_YEAR") => sub.from_year = Some(value),
        ("INDIVIDUAL_DATE_OF_BIRTH", "TO_YEAR") => sub.to_year = Some(value),
        ("INDIVIDUAL_DOCUMENT", "TYPE_OF_DOCUMENT") => sub.document_kind = Some(value),
        ("INDIVIDUAL_DOCUMENT", "NUMBER") => sub.number = Some(value),
        ("INDIVIDUAL_DOCUMENT", "ISSUING_COUNTRY" | "COUNTRY_OF_ISSUE") => sub.country = Some(value),
        _ => {}
    }
    Ok(())
}

fn finish_alias(entry: &mut EntryBuilder, element: &str) -> Result<(), ListError> {
    let sub = std::mem::take(&mut entry.sub);
    let quality_text = sub.quality.unwrap_or_default();
    let quality = AliasQuality::from_un(&quality_text)
        .ok_or_else(|| entry.invalid(&format!("{element}/QUALITY"), &quality_text, "expected Good, Low, a.k.a. or f.k.a."))?;
    let Some(names) = sub.alias_name else { return Ok(()) };
    // Some aliases carry several spellings separated by ';'.
    let mut aliases = std::mem::take(&mut entry.aliases);
    for name in names.split(';').map(str::trim).filter(|n| !n.is_empty()) {
        entry.bounded_push(&mut aliases, Alias { name: name.to_owned(), quality }, element)?;
    }
    entry.aliases = aliases;
    Ok(())
}

fn parse_year(entry: &EntryBuilder, element: &str, text: &str) -> Result<u16, ListError> {
    if text.len() != 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(entry.invalid(element, text, "expected a four-digit year"));
    }
    let year: u16 = text.parse().expect("four ASCII digits");
    if year == 0 {
        return Err(entry.invalid(element, text, "year 0000 does not exist"));
    }
    Ok(year)
}

fn finish_dob(entry: &mut EntryBuilder) -> Result<(), ListError> {
    const ELEMENT: &str = "INDIVIDUAL_DATE_OF_BIRTH";
    let sub = std::mem::take(&mut entry.sub);
    let approximate = sub.type_of_date.as_deref() == Some("APPROXIMATELY");
    let fact = if let Some(text) = sub.date {
        // Some records write an unknown month and day as 00.
        let text = text.get(..10).unwrap_or(&text).to_owned();
        if let Some(year) = text.strip_suffix("-00-00") {
            DobFact::Year(parse_year(entry, "INDIVIDUAL_DATE_OF_BIRTH/DATE", year)?)
        } else {
            let date = Date::parse_iso(&text).map_err(|e| entry.invalid("INDIVIDUAL_DATE_OF_BIRTH/DATE", &text, &e.to_string()))?;
            if approximate {
                DobFact::Year(date.year())
            } else {
                DobFact::Date(date)
            }
        }
    } else if let Some(text) = sub.year {
        DobFact::Year(parse_year(entry, "INDIVIDUAL_DATE_OF_BIRTH/YEAR", &text)?)
    } else if let (Some(from), Some(to)) = (sub.from_year, sub.to_year) {
        let from = parse_year(entry, "INDIVIDUAL_DATE_OF_BIRTH/FROM_YEAR", &from)?;
        let to = parse_year(entry, "INDIVIDUAL_DATE_OF_BIRTH/TO_YEAR", &to)?;
        if from > to {
            return Err(entry.invalid("INDIVIDUAL_DATE_OF_BIRTH/TO_YEAR", &to.to_string(), "earlier than FROM_YEAR"));
        }
        DobFact::YearRange(from, to)
    } else {
        // A record holding only a NOTE says nothing we can compare.
        return Ok(());
    };
    let mut dobs = std::mem::take(&mut entry.dobs);
    entry.bounded_push(&mut dobs, fact, ELEMENT)?;
    entry.dobs = dobs;
    Ok(())
}

fn finish_document(entry: &mut EntryBuilder) -> Result<(), ListError> {
    let sub = std::mem::take(&mut entry.sub);
    let Some(number) = sub.number else { return Ok(()) };
    let document = DocumentFact { kind: sub.document_kind.unwrap_or_default(), number, country: sub.country };
    let mut documents = std::mem::take(&mut entry.documents);
    entry.bounded_push(&mut documents, document, "INDIVIDUAL_DOCUMENT")?;
    entry.documents = documents;
    Ok(())
}

fn finish_entry(entry: EntryBuilder) -> Result<ListEntry, ListError> {
    let label = entry.label();
    let entity_id = entry.entity_id.clone().ok_or(ListError::Missing { entry: label.clone(), element: "DATAID" })?;
    let version_text = entry.version.clone().ok_or(ListError::Missing { entry: label.clone(), element: "VERSIONNUM" })?;
    let version: u32 = version_text.parse().map_err(|_| entry.invalid("VERSIONNUM", &version_text, "expected a whole number"))?;
    let primary: Vec<&str> = entry.name_parts.iter().flatten().map(String::as_str).collect();
    if entry.name_parts[0].is_none() || primary.is_empty() {
        return Err(ListError::Missing { entry: label, element: "FIRST_NAME" });
    }
    Ok(ListEntry {
        list: LIST_NAME.to_owned(),
        entity_id,
        version,
        kind: entry.kind,
        names: vec![primary.join(" ")],
        aliases: entry.aliases,
        original_script: entry.original_script,
        dobs: entry.dobs,
        nationalities: entry.nationalities,
        documents: entry.documents,
        reference: entry.reference.unwrap_or_default(),
        regime: entry.regime,
        listed_on: entry.listed_on,
        addresses: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &[u8] = include_bytes!("../../fixtures/un-synthetic.xml");

    fn wrap(individual: &str) -> String {
        format!("<CONSOLIDATED_LIST><INDIVIDUALS>{individual}</INDIVIDUALS><ENTITIES/></CONSOLIDATED_LIST>")
    }

    #[test]
    fn parses_the_synthetic_fixture() {
        let entries = parse_un_xml(FIXTURE).unwrap();
        assert_eq!(entries.len(), 20);
        let individuals = entries.iter().filter(|e| e.kind == EntryKind::Individual).count();
        let entities = entries.iter().filter(|e| e.kind == EntryKind::Entity).count();
        assert_eq!((individuals, entities), (17, 3));
        let qualities: BTreeSet<String> = entries.iter().flat_map(|e| e.aliases.iter()).map(|a| format!("{:?}", a.quality)).collect();
        assert_eq!(qualities.len(), 3, "every alias quality appears: {qualities:?}");

        let first = &entries[0];
        assert_eq!(first.list, "un-sc");
        assert_eq!(first.entity_id, "9100001");
        assert_eq!(first.version, 1);
        assert_eq!(first.names, vec!["VARNEL OSKARD TREMAINE".to_owned()]);
        assert_eq!(first.reference, "QDi.901");
        assert_eq!(first.regime.as_deref(), Some("Al-Qaida"));
        assert_eq!(first.listed_on.as_deref(), Some("2011-03-14"));
        assert_eq!(first.dobs, vec![DobFact::Date(Date::parse_iso("1971-08-09").unwrap())]);
        assert_eq!(first.nationalities, vec!["Norway".to_owned()]);
        assert!(first.aliases.iter().any(|a| a.quality == AliasQuality::Low));
        assert_eq!(first.documents.len(), 1);
        assert_eq!(first.documents[0].number, "X0093417");

        assert!(entries.iter().any(|e| e.dobs.iter().any(|d| matches!(d, DobFact::Year(_)))));
        assert!(entries.iter().any(|e| e.dobs.iter().any(|d| matches!(d, DobFact::YearRange(..)))));
        assert!(entries.iter().any(|e| e.version == 2));
        assert!(entries.iter().any(|e| e.original_script.iter().any(|n| crate::names::contains_thai(n))));
        assert!(entries.iter().any(|e| e.original_script.iter().any(|n| !crate::names::contains_thai(n))));
    }

    #[test]
    fn escaped_text_and_empty_elements() {
        let xml = wrap(
            "<INDIVIDUAL><DATAID>1</DATAID><VERSIONNUM>3</VERSIONNUM><FIRST_NAME>Anna &amp; &#x42;o</FIRST_NAME>\
             <SECOND_NAME/><THIRD_NAME><![CDATA[Q<R]]></THIRD_NAME><NATIONALITY><VALUE>Ruritania</VALUE></NATIONALITY>\
             <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>BETWEEN</TYPE_OF_DATE><FROM_YEAR>1960</FROM_YEAR><TO_YEAR>1962</TO_YEAR></INDIVIDUAL_DATE_OF_BIRTH>\
             <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>APPROXIMATELY</TYPE_OF_DATE><DATE>1961-04-02</DATE></INDIVIDUAL_DATE_OF_BIRTH>\
             <INDIVIDUAL_ALIAS><QUALITY>a.k.a.</QUALITY><ALIAS_NAME>Ann B; Anya B</ALIAS_NAME></INDIVIDUAL_ALIAS>\
             <NEW_FIELD_FROM_THE_FUTURE><X>y</X></NEW_FIELD_FROM_THE_FUTURE></INDIVIDUAL>",
        );
        let entries = parse_un_xml(xml.as_bytes()).unwrap();
        assert_eq!(entries[0].names, vec!["Anna & Bo Q<R".to_owned()]);
        assert_eq!(entries[0].version, 3);
        assert_eq!(entries[0].dobs, vec![DobFact::YearRange(1960, 1962), DobFact::Year(1961)]);
        assert_eq!(entries[0].aliases.len(), 2);
        assert_eq!(entries[0].nationalities, vec!["Ruritania".to_owned()]);
    }

    #[test]
    fn errors_name_the_entry_and_element() {
        let missing = wrap("<INDIVIDUAL><DATAID>77</DATAID><FIRST_NAME>A</FIRST_NAME></INDIVIDUAL>");
        let err = parse_un_xml(missing.as_bytes()).unwrap_err();
        assert_eq!(err.to_string(), "INDIVIDUAL #1 (DATAID 77): VERSIONNUM is missing");

        let bad_version = wrap("<INDIVIDUAL><DATAID>77</DATAID><VERSIONNUM>two</VERSIONNUM><FIRST_NAME>A</FIRST_NAME></INDIVIDUAL>");
        let err = parse_un_xml(bad_version.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("DATAID 77") && err.contains("VERSIONNUM") && err.contains("two"), "{err}");

        let bad_quality = wrap(
            "<INDIVIDUAL><DATAID>5</DATAID><VERSIONNUM>1</VERSIONNUM><FIRST_NAME>A</FIRST_NAME>\
             <INDIVIDUAL_ALIAS><QUALITY>Maybe</QUALITY><ALIAS_NAME>B</ALIAS_NAME></INDIVIDUAL_ALIAS></INDIVIDUAL>",
        );
        let err = parse_un_xml(bad_quality.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("INDIVIDUAL_ALIAS/QUALITY") && err.contains("Maybe"), "{err}");

        let bad_date = wrap(
            "<INDIVIDUAL><DATAID>5</DATAID><VERSIONNUM>1</VERSIONNUM><FIRST_NAME>A</FIRST_NAME>\
             <INDIVIDUAL_DATE_OF_BIRTH><DATE>1970-02-30</DATE></INDIVIDUAL_DATE_OF_BIRTH></INDIVIDUAL>",
        );
        let err = parse_un_xml(bad_date.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("INDIVIDUAL_DATE_OF_BIRTH/DATE") && err.contains("1970-02-30"), "{err}");

        let no_name = wrap("<INDIVIDUAL><DATAID>5</DATAID><VERSIONNUM>1</VERSIONNUM></INDIVIDUAL>");
        assert!(matches!(parse_un_xml(no_name.as_bytes()), Err(ListError::Missing { element: "FIRST_NAME", .. })));

        let one = "<INDIVIDUAL><DATAID>5</DATAID><VERSIONNUM>1</VERSIONNUM><FIRST_NAME>A</FIRST_NAME></INDIVIDUAL>";
        let duplicate = wrap(&format!("{one}{one}"));
        assert!(matches!(parse_un_xml(duplicate.as_bytes()), Err(ListError::DuplicateId { .. })));
    }

    #[test]
    fn refuses_malformed_and_hostile_input() {
        assert!(matches!(parse_un_xml(b"<OTHER/>"), Err(ListError::Xml { .. })));
        assert!(matches!(parse_un_xml(b""), Err(ListError::Xml { .. })));
        assert!(matches!(parse_un_xml(b"<CONSOLIDATED_LIST><INDIVIDUALS>"), Err(ListError::Xml { .. })));
        let truncated = "<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID>";
        let err = parse_un_xml(truncated.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("ends inside <INDIVIDUAL>"), "{err}");
        assert!(matches!(parse_un_xml(b"\xff\xfe"), Err(ListError::Utf8 { .. })));
        let deep = format!("<CONSOLIDATED_LIST>{}", "<A>".repeat(40));
        assert!(matches!(parse_un_xml(deep.as_bytes()), Err(ListError::TooDeep { .. })));
        let entity = "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>\
            <CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID><VERSIONNUM>1</VERSIONNUM>\
            <FIRST_NAME>&e;</FIRST_NAME></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>";
        let err = parse_un_xml(entity.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("unknown entity &e;"), "{err}");
        let long = wrap(&format!(
            "<INDIVIDUAL><DATAID>1</DATAID><VERSIONNUM>1</VERSIONNUM><FIRST_NAME>{}</FIRST_NAME></INDIVIDUAL>",
            "a".repeat(bounds::TEXT_MAX_BYTES + 1)
        ));
        assert!(matches!(parse_un_xml(long.as_bytes()), Err(ListError::TextTooLong { .. })));
    }

    /// The fuzz target: the UN list parser and the CSV list parser on any bytes and on the
    /// fixtures with bytes changed, cut or appended: a list or an error, never a panic.
    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        const CSV_FIXTURE: &[u8] = include_bytes!("../../fixtures/sanctions-synthetic.csv");

        fn config() -> ProptestConfig {
            ProptestConfig { cases: std::env::var("TALAT_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256), ..ProptestConfig::default() }
        }

        fn mutate(base: &[u8], at: usize, byte: u8, cut: usize) -> Vec<u8> {
            let mut bytes = base.to_vec();
            let i = at % bytes.len();
            bytes[i] = byte;
            bytes.truncate(cut % (bytes.len() + 1));
            bytes
        }

        proptest! {
            #![proptest_config(config())]

            #[test]
            fn any_bytes_parse_or_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
                let _ = parse_un_xml(&bytes);
                let _ = crate::sanctions::csv::parse_csv_list(&bytes);
            }

            #[test]
            fn damaged_lists_parse_or_are_refused(at in any::<usize>(), byte in any::<u8>(), cut in any::<usize>()) {
                let _ = parse_un_xml(&mutate(FIXTURE, at, byte, cut));
                let _ = crate::sanctions::csv::parse_csv_list(&mutate(CSV_FIXTURE, at, byte, cut));
            }
        }
    }
}
