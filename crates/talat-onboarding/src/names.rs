//! Person names: what a customer may type, and the normal forms sanctions screening compares.
//!
//! Two scripts are accepted, each in its own field because Thai documents carry both:
//! - **Latin**: letters (including accented letters of the Latin-1, Latin Extended-A/B and Latin
//!   Extended Additional blocks), space, hyphen, apostrophe and period.
//! - **Thai**: the letters, vowels and marks of the Thai block (U+0E00–U+0E7F) and space; Thai
//!   digits, the baht sign and Thai punctuation are refused because names never contain them.
//!
//! Everything else is refused with an error naming the character, which also keeps markup and
//! script (`<`, `>`, `&`, `"`, `javascript:`) and invisible control or direction-override
//! characters out of the names staff will later read in the back office.
//!
//! Stored names are NFC, trimmed, with runs of spaces collapsed to one.

use serde::{Deserialize, Serialize};
use std::fmt;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Fewest characters in a name (after trimming).
pub const NAME_MIN_CHARS: usize = 1;
/// Most characters in a name (after trimming and collapsing spaces).
pub const NAME_MAX_CHARS: usize = 100;
/// Longest raw input looked at: 100 characters of up to 4 bytes plus slack for spaces and
/// decomposed accents.
pub const INPUT_MAX_BYTES: usize = 1024;

/// A checked name in Latin script.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LatinName(String);

/// A checked name in Thai script.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ThaiName(String);

/// Why a name was refused. Messages are shown to customers.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("the name is empty")]
    Empty,
    #[error("the name is too long ({chars} characters; at most {NAME_MAX_CHARS})")]
    TooLong { chars: usize },
    #[error("the character {} is not allowed in a name", describe(*.found))]
    Character { found: char },
    #[error("the name must contain at least one letter")]
    NoLetter,
    #[error("the Thai vowel or tone mark {} must follow a consonant", describe(*.found))]
    MarkWithoutBase { found: char },
}

/// Shows a character so a reader can identify it: printable ones quoted, invisible ones by code.
fn describe(ch: char) -> String {
    if ch.is_control() || ch.is_whitespace() || is_invisible_format(ch) {
        format!("U+{:04X} (an invisible or control character)", u32::from(ch))
    } else {
        format!("'{ch}'")
    }
}

/// Zero-width and bidirectional-override characters: invisible, and used to disguise text.
fn is_invisible_format(ch: char) -> bool {
    matches!(u32::from(ch), 0x00AD | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x2069 | 0xFEFF)
}

/// Letters of the Latin blocks, precomposed or plain.
fn is_latin_letter(ch: char) -> bool {
    match u32::from(ch) {
        0x41..=0x5A | 0x61..=0x7A => true,
        0xD7 | 0xF7 => false, // × and ÷ sit inside the Latin-1 letter range
        0xC0..=0x24F => true,
        0x1E00..=0x1EFF => true,
        _ => false,
    }
}

/// Combining diacritics typed in decomposed form (e.g. `e` + U+0301).
fn is_latin_combining(ch: char) -> bool {
    matches!(u32::from(ch), 0x0300..=0x036F)
}

/// Punctuation a Latin name may contain. U+2019 is the typographic apostrophe phones insert.
fn is_latin_name_punctuation(ch: char) -> bool {
    matches!(ch, ' ' | '-' | '\'' | '\u{2019}' | '.')
}

/// Thai consonants, vowels and marks; not digits (U+0E50–59), the baht sign (U+0E3F) or
/// punctuation (U+0E4F, U+0E5A, U+0E5B).
fn is_thai_name_char(ch: char) -> bool {
    matches!(u32::from(ch), 0x0E01..=0x0E3A | 0x0E40..=0x0E4E)
}

/// Thai vowels and marks written above or below a consonant; they cannot stand alone.
fn is_thai_combining(ch: char) -> bool {
    matches!(u32::from(ch), 0x0E31 | 0x0E34..=0x0E3A | 0x0E47..=0x0E4E)
}

/// The four Thai tone marks (mai ek, mai tho, mai tri, mai chattawa).
fn is_thai_tone_mark(ch: char) -> bool {
    matches!(u32::from(ch), 0x0E48..=0x0E4B)
}

/// True if `text` contains any character of the Thai block.
pub fn contains_thai(text: &str) -> bool {
    text.chars().any(|c| matches!(u32::from(c), 0x0E00..=0x0E7F))
}

/// Trims and collapses runs of spaces, then enforces the length bounds.
fn collapse_and_bound(text: &str) -> Result<String, NameError> {
    let collapsed = text.split(' ').filter(|part| !part.is_empty()).collect::<Vec<_>>().join(" ");
    let chars = collapsed.chars().count();
    if chars < NAME_MIN_CHARS {
        return Err(NameError::Empty);
    }
    if chars > NAME_MAX_CHARS {
        return Err(NameError::TooLong { chars });
    }
    Ok(collapsed)
}

/// Checks a Latin-script name (first name or last name).
pub fn parse_latin_name(input: &str) -> Result<LatinName, NameError> {
    if input.len() > INPUT_MAX_BYTES {
        return Err(NameError::TooLong { chars: input.chars().count() });
    }
    let mut letters: usize = 0;
    let mut previous_is_letter = false;
    for ch in input.chars() {
        if is_latin_letter(ch) {
            letters += 1;
            previous_is_letter = true;
        } else if is_latin_combining(ch) && previous_is_letter {
            // Stays "after a letter" so stacked accents (ệ decomposed) are accepted.
        } else if is_latin_name_punctuation(ch) {
            previous_is_letter = false;
        } else {
            return Err(NameError::Character { found: ch });
        }
    }
    // One apostrophe, so "O’Brien" and "O'Brien" are the same stored name.
    let composed: String = input.nfc().map(|c| if c == '\u{2019}' { '\'' } else { c }).collect();
    let name = collapse_and_bound(&composed)?;
    if letters == 0 {
        return Err(NameError::NoLetter);
    }
    Ok(LatinName(name))
}

/// Checks a Thai-script name (first name or last name).
pub fn parse_thai_name(input: &str) -> Result<ThaiName, NameError> {
    if input.len() > INPUT_MAX_BYTES {
        return Err(NameError::TooLong { chars: input.chars().count() });
    }
    let mut letters: usize = 0;
    let mut previous: Option<char> = None;
    for ch in input.chars() {
        if ch == ' ' {
            previous = Some(ch);
            continue;
        }
        if !is_thai_name_char(ch) {
            return Err(NameError::Character { found: ch });
        }
        if is_thai_combining(ch) {
            if matches!(previous, None | Some(' ')) {
                return Err(NameError::MarkWithoutBase { found: ch });
            }
        } else {
            letters += 1;
        }
        previous = Some(ch);
    }
    let name = collapse_and_bound(input)?;
    if letters == 0 {
        return Err(NameError::NoLetter);
    }
    Ok(ThaiName(name))
}

/// The form Latin names are compared in during screening.
///
/// NFKD, then combining marks dropped (so `Müller` = `Muller`), letters NFKD cannot split
/// folded (`ß`→`ss`, `æ`→`ae`, `ø`→`o`, `ł`→`l`, …), lower-cased; apostrophes and periods
/// dropped (`O'Brien` = `OBrien`, `J.` = `J`), any other non-alphanumeric character treated as a
/// word break (`Jean-Luc` = `Jean Luc`), runs of spaces collapsed. Linear in the input; callers
/// bound the input length.
pub fn normalise_latin(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending_space = false;
    for ch in name.nfkd() {
        if is_combining_mark(ch) {
            continue;
        }
        for lower in ch.to_lowercase() {
            if is_combining_mark(lower) {
                continue; // 'İ' lower-cases to 'i' + U+0307
            }
            if let Some(folded) = fold_latin(lower) {
                push_word_char(&mut out, &mut pending_space, folded);
            } else if lower.is_alphanumeric() {
                let mut buf = [0u8; 4];
                push_word_char(&mut out, &mut pending_space, lower.encode_utf8(&mut buf));
            } else if matches!(lower, '\'' | '\u{2019}' | '\u{2018}' | '\u{02BC}' | '\u{02BB}' | '`' | '\u{00B4}' | '.') {
                // Dropped: they join parts of one word.
            } else {
                pending_space = !out.is_empty();
            }
        }
    }
    out
}

fn push_word_char(out: &mut String, pending_space: &mut bool, text: &str) {
    if *pending_space {
        out.push(' ');
        *pending_space = false;
    }
    out.push_str(text);
}

/// Latin letters with no canonical or compatibility decomposition, spelled in plain letters.
fn fold_latin(ch: char) -> Option<&'static str> {
    Some(match ch {
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'ø' => "o",
        'đ' | 'ð' => "d",
        'þ' => "th",
        'ł' => "l",
        'ı' => "i",
        'ħ' => "h",
        _ => return None,
    })
}

/// The form Thai names are compared in during screening.
///
/// NFKD (so `ำ` typed as one character equals `ํ` + `า` typed as two), then only Thai letters,
/// vowels and marks are kept: spaces, zero-width spaces and anything else are dropped, because
/// Thai is written without spaces between words and lists differ in where they put them.
///
/// **Tone marks are dropped too.** Lists transcribed by non-Thai clerks and hurried data entry
/// often omit or misplace them, and two different people rarely have names differing only in a
/// tone mark, so ignoring them trades a little precision for catching more true matches, which
/// is the right direction for screening (a human reviews every hit).
pub fn normalise_thai(name: &str) -> String {
    name.nfkd().filter(|&c| is_thai_name_char(c) && !is_thai_tone_mark(c)).collect()
}

impl LatinName {
    /// The stored form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl ThaiName {
    /// The stored form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LatinName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for ThaiName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for LatinName {
    type Error = NameError;
    fn try_from(value: String) -> Result<LatinName, NameError> {
        parse_latin_name(&value)
    }
}

impl From<LatinName> for String {
    fn from(value: LatinName) -> String {
        value.0
    }
}

impl TryFrom<String> for ThaiName {
    type Error = NameError;
    fn try_from(value: String) -> Result<ThaiName, NameError> {
        parse_thai_name(&value)
    }
}

impl From<ThaiName> for String {
    fn from(value: ThaiName) -> String {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_names_accepted() {
        assert_eq!(parse_latin_name("  Somchai  ").unwrap().as_str(), "Somchai");
        assert_eq!(parse_latin_name("Jean-Luc  O’Brien").unwrap().as_str(), "Jean-Luc O'Brien");
        assert_eq!(parse_latin_name("Nguyễn Thị").unwrap().as_str(), "Nguyễn Thị");
        assert_eq!(parse_latin_name("J. R.").unwrap().as_str(), "J. R.");
        // Decomposed input is stored composed.
        assert_eq!(parse_latin_name("Rene\u{301}e").unwrap().as_str(), "Renée");
        assert_eq!(parse_latin_name(&"a".repeat(100)).unwrap().as_str().len(), 100);
    }

    #[test]
    fn latin_names_refused_with_the_character() {
        let err = parse_latin_name("<script>").unwrap_err();
        assert_eq!(err, NameError::Character { found: '<' });
        assert_eq!(err.to_string(), "the character '<' is not allowed in a name");
        assert_eq!(parse_latin_name("Tom & Jerry"), Err(NameError::Character { found: '&' }));
        assert_eq!(parse_latin_name("Bob\"x"), Err(NameError::Character { found: '"' }));
        assert_eq!(parse_latin_name("javascript:alert(1)"), Err(NameError::Character { found: ':' }));
        assert_eq!(parse_latin_name("Ann>"), Err(NameError::Character { found: '>' }));
        assert_eq!(parse_latin_name("Ann2"), Err(NameError::Character { found: '2' }));
        assert_eq!(parse_latin_name("A × B"), Err(NameError::Character { found: '×' }));
        let err = parse_latin_name("Ann\u{7}").unwrap_err();
        assert_eq!(err.to_string(), "the character U+0007 (an invisible or control character) is not allowed in a name");
        assert_eq!(parse_latin_name("Ann\u{202E}x"), Err(NameError::Character { found: '\u{202E}' }));
        assert_eq!(parse_latin_name("Ann\tLee"), Err(NameError::Character { found: '\t' }));
        assert_eq!(parse_latin_name("สมชาย"), Err(NameError::Character { found: 'ส' }));
        // A combining accent with no letter before it.
        assert_eq!(parse_latin_name("\u{301}a"), Err(NameError::Character { found: '\u{301}' }));
    }

    #[test]
    fn latin_length_and_letters() {
        assert_eq!(parse_latin_name("   "), Err(NameError::Empty));
        assert_eq!(parse_latin_name(""), Err(NameError::Empty));
        assert_eq!(parse_latin_name("-.'"), Err(NameError::NoLetter));
        assert_eq!(parse_latin_name(&"a".repeat(101)), Err(NameError::TooLong { chars: 101 }));
        assert!(matches!(parse_latin_name(&"a".repeat(5000)), Err(NameError::TooLong { .. })));
    }

    #[test]
    fn thai_names() {
        assert_eq!(parse_thai_name(" สมชาย  ใจดี ").unwrap().as_str(), "สมชาย ใจดี");
        assert_eq!(parse_thai_name("น้ำฝน").unwrap().as_str(), "น้ำฝน");
        assert_eq!(parse_thai_name("สมชาย1"), Err(NameError::Character { found: '1' }));
        assert_eq!(parse_thai_name("สมชาย๑"), Err(NameError::Character { found: '๑' }));
        assert_eq!(parse_thai_name("฿"), Err(NameError::Character { found: '฿' }));
        assert_eq!(parse_thai_name("Somchai"), Err(NameError::Character { found: 'S' }));
        assert_eq!(parse_thai_name("<b>"), Err(NameError::Character { found: '<' }));
        assert_eq!(parse_thai_name("\u{E49}ก"), Err(NameError::MarkWithoutBase { found: '\u{E49}' }));
        assert_eq!(parse_thai_name("ก \u{E34}"), Err(NameError::MarkWithoutBase { found: '\u{E34}' }));
        assert_eq!(parse_thai_name("  "), Err(NameError::Empty));
        assert_eq!(parse_thai_name(&"ก".repeat(101)), Err(NameError::TooLong { chars: 101 }));
    }

    #[test]
    fn latin_normal_form() {
        assert_eq!(normalise_latin("  Müller-Lüdenscheidt "), "muller ludenscheidt");
        assert_eq!(normalise_latin("O'Brien, J."), "obrien j");
        assert_eq!(normalise_latin("STRAẞE Łukasz Ærø"), "strasse lukasz aero");
        assert_eq!(normalise_latin("Nguyễn  Thị\tMinh"), "nguyen thi minh");
        assert_eq!(normalise_latin("ＡＢＣ"), "abc"); // full-width, via NFKD
        assert_eq!(normalise_latin("İbrahim"), "ibrahim");
        assert_eq!(normalise_latin("--"), "");
    }

    #[test]
    fn thai_normal_form() {
        // Spaces and tone marks dropped.
        assert_eq!(normalise_thai("สมชาย ใจดี"), "สมชายใจดี");
        assert_eq!(normalise_thai("น้ำฝน"), normalise_thai("นําฝน"));
        // Sara am typed as one code point or as nikhahit + sara aa.
        assert_eq!(normalise_thai("\u{E19}\u{E33}"), normalise_thai("\u{E19}\u{E4D}\u{E32}"));
        assert_eq!(normalise_thai("ก\u{200B}ข"), "กข");
        assert!(contains_thai("abc ก"));
        assert!(!contains_thai("abc"));
    }
}
