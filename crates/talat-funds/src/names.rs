//! Names normalised for comparison, in Thai and Latin script: a bank writes "MR. SOMCHAI
//! JAIDEE" or "นาย สมชาย ใจดี" where KYC holds "Somchai Jaidee" or "สมชาย ใจดี".
//!
//! [`normalise`] does, in this order:
//!
//! 1. keeps the first [`MAX_NAME_CHARS`] characters (a name is far shorter; this bounds the work);
//! 2. Unicode NFC, so that composed and decomposed accents compare equal; Thai SARA AM typed as
//!    NIKHAHIT + SARA AA (with or without a tone mark between) becomes the one character U+0E33,
//!    which NFC leaves alone;
//! 3. lower case (only Latin, Greek, Cyrillic… have case; Thai has none and is left exactly as
//!    it is — no accent stripping or ASCII transliteration of any script: Thai tone marks and
//!    vowels are part of the name);
//! 4. drops zero-width characters (ZWSP, ZWNJ, ZWJ, word joiner, BOM, soft hyphen) and turns
//!    every whitespace into a space;
//! 5. drops honorific titles at the start (up to three: "นาย ดร. …"), with or without dots:
//!    Latin `Mr`, `Mrs`, `Ms`, `Miss`, `Mister`, `Mx`, `Dr`, `Prof`, `Sir`, `Madam`, `Khun`
//!    (followed by a dot or a space); Thai `นาย`, `นาง`, `นางสาว`, `เด็กชาย`, `เด็กหญิง`,
//!    `คุณ` (followed by a dot, a space or — as Thai writes them — directly by the name, when it
//!    begins with a consonant or a leading vowel: "นายสมชาย" is Mr Somchai, "คุณากร" is the name
//!    Khunakorn), and the abbreviations `น.ส.`, `ด.ช.`, `ด.ญ.`, `ดร.`, `ศ.`, `รศ.`, `ผศ.`
//!    (with their dots, or undotted before a space or a dot);
//! 6. drops dots and apostrophes ("O'Brien" = "OBrien") and turns other punctuation into a space
//!    ("Jean-Pierre" = "Jean Pierre", "JAIDEE,SOMCHAI" = "Jaidee Somchai");
//! 7. collapses runs of spaces into one and trims.
//!
//! [`same_person`] accepts two names that normalise to the same text, to the same tokens in
//! another order (surname first), or where one is the bank's truncated form of the other: a
//! prefix that ends between two tokens and still has at least two tokens or ten characters.
//! A cut inside a token ("SOMCHAI JAIDEEMA") is not recognised: it goes to staff.

use unicode_normalization::UnicodeNormalization;

/// The most characters of a name that are read.
pub const MAX_NAME_CHARS: usize = 256;

/// Titles that end at a dot or a space.
const LATIN_TITLES: [&str; 11] = ["mr", "mrs", "ms", "miss", "mister", "mx", "dr", "prof", "sir", "madam", "khun"];
/// Thai titles that are whole words; longer first, so that `นางสาว` is tried before `นาง`.
const THAI_TITLES: [&str; 6] = ["เด็กหญิง", "เด็กชาย", "นางสาว", "นาง", "นาย", "คุณ"];
/// Thai abbreviations, as written with their dots.
const THAI_ABBREVIATIONS: [&str; 7] = ["น.ส.", "ด.ช.", "ด.ญ.", "ดร.", "รศ.", "ผศ.", "ศ."];
/// A name carries one title, sometimes two ("นาย ดร."); three is already generous.
const MAX_TITLES: usize = 3;

/// The name in the comparable form described in the module documentation.
pub fn normalise(name: &str) -> String {
    let composed: String = name.chars().take(MAX_NAME_CHARS).nfc().collect();
    let cleaned = collapse(&clean_characters(&composed.to_lowercase()));
    let mut rest = cleaned.as_str();
    for _ in 0..MAX_TITLES {
        match strip_title(rest) {
            Some(after) => rest = after,
            None => break,
        }
    }
    collapse(&without_punctuation(rest))
}

/// Whether two names are the same person's, as far as names can tell (see the module
/// documentation); an empty name matches nothing.
pub fn same_person(a: &str, b: &str) -> bool {
    let (a, b) = (normalise(a), normalise(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    if a == b {
        return true;
    }
    let mut a_tokens: Vec<&str> = a.split(' ').collect();
    let mut b_tokens: Vec<&str> = b.split(' ').collect();
    a_tokens.sort_unstable();
    b_tokens.sort_unstable();
    a_tokens == b_tokens || truncated_form(&a, &b) || truncated_form(&b, &a)
}

/// `short` is `long` cut between two tokens, and long enough to still say something.
fn truncated_form(short: &str, long: &str) -> bool {
    match long.strip_prefix(short) {
        Some(rest) => rest.starts_with(' ') && (short.split(' ').count() >= 2 || short.chars().count() >= 10),
        None => false,
    }
}

/// Zero-width characters dropped, whitespace made a space, SARA AM composed.
fn clean_characters(text: &str) -> String {
    let mut out: Vec<char> = Vec::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' => {}
            c if c.is_whitespace() => out.push(' '),
            // SARA AA after NIKHAHIT (a tone mark may sit between) is SARA AM typed in two keys.
            '\u{0E32}' if out.last() == Some(&'\u{0E4D}') => {
                out.pop();
                out.push('\u{0E33}');
            }
            '\u{0E32}' if out.len() >= 2 && out[out.len() - 2] == '\u{0E4D}' && is_thai_tone_mark(out[out.len() - 1]) => {
                let tone = out[out.len() - 1];
                out.truncate(out.len() - 2);
                out.push(tone);
                out.push('\u{0E33}');
            }
            c => out.push(c),
        }
    }
    out.into_iter().collect()
}

fn is_thai_tone_mark(c: char) -> bool {
    ('\u{0E48}'..='\u{0E4B}').contains(&c)
}

/// Thai consonants (ก…ฮ) and the vowels written before their consonant (เ แ โ ใ ไ): what a
/// name can begin with, so what may follow a Thai title written without a space.
fn begins_thai_syllable(c: char) -> bool {
    ('\u{0E01}'..='\u{0E2E}').contains(&c) || ('\u{0E40}'..='\u{0E44}').contains(&c)
}

/// The text after one leading title (and the dots and spaces after it), if it starts with one.
/// A name that is only a title becomes empty, so that it matches nobody.
fn strip_title(text: &str) -> Option<&str> {
    let ends_here = |rest: &str| rest.starts_with(['.', ' ']);
    let latin = LATIN_TITLES.iter().filter_map(|t| text.strip_prefix(t)).find(|rest| ends_here(rest));
    let thai = || THAI_TITLES.iter().filter_map(|t| text.strip_prefix(t)).find(|rest| ends_here(rest) || rest.starts_with(begins_thai_syllable));
    let abbreviation = || {
        THAI_ABBREVIATIONS.iter().find_map(|t| text.strip_prefix(t).or_else(|| text.strip_prefix(t.replace('.', "").as_str()).filter(|rest| ends_here(rest))))
    };
    let rest = latin.or_else(thai).or_else(abbreviation)?;
    Some(rest.trim_start_matches(['.', ' ']))
}

/// Dots and apostrophes dropped (they join: "O'Brien", "น.ส."); other punctuation a space.
fn without_punctuation(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '.' | '\'' | '\u{2018}' | '\u{2019}' | '\u{02BC}' | '`' | '\u{00B4}' => {}
            c if is_punctuation(c) => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(c, '\u{00A1}'..='\u{00BF}' | '\u{2010}'..='\u{205E}' | '\u{3000}'..='\u{303F}' | '\u{FF01}'..='\u{FF0F}' | '\u{FF1A}'..='\u{FF20}')
        // Thai FONGMAN, ANGKHANKHU, KHOMUT: section marks, not letters.
        || matches!(c, '\u{0E4F}' | '\u{0E5A}' | '\u{0E5B}')
}

/// Runs of spaces as one, none at the ends.
fn collapse(text: &str) -> String {
    text.split(' ').filter(|t| !t.is_empty()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_names_lose_case_titles_and_punctuation() {
        assert_eq!(normalise("MR. SOMCHAI  JAIDEE"), "somchai jaidee");
        assert_eq!(normalise("Mr.Somchai Jaidee"), "somchai jaidee");
        assert_eq!(normalise(" mrs  Jane\tO'Brien-Smith "), "jane obrien smith");
        assert_eq!(normalise("MISS JANE DOE"), "jane doe");
        assert_eq!(normalise("Dr. Prof. Ada Lovelace"), "ada lovelace");
        assert_eq!(normalise("JAIDEE,SOMCHAI"), "jaidee somchai");
        // Not titles: a name that begins with the same letters, and a title alone.
        assert_eq!(normalise("Mrsa Kim"), "mrsa kim");
        assert_eq!(normalise("Drake Bell"), "drake bell");
        // A title alone is no name.
        assert_eq!(normalise("Miss."), "");
        assert_eq!(normalise("นาย"), "นาย", "without a dot or space after it, a word is not known to be a title");
    }

    #[test]
    fn thai_names_lose_titles_written_any_way() {
        for name in ["นาย สมชาย ใจดี", "นายสมชาย ใจดี", "นาย.สมชาย ใจดี", "คุณสมชาย ใจดี", "สมชาย  ใจดี"]
        {
            assert_eq!(normalise(name), "สมชาย ใจดี", "{name}");
        }
        for name in ["นางสาวสมหญิง รักไทย", "นางสาว สมหญิง รักไทย", "น.ส.สมหญิง รักไทย", "น.ส. สมหญิง รักไทย", "นส. สมหญิง รักไทย", "นส สมหญิง รักไทย"]
        {
            assert_eq!(normalise(name), "สมหญิง รักไทย", "{name}");
        }
        assert_eq!(normalise("นางสมศรี มีสุข"), "สมศรี มีสุข");
        assert_eq!(normalise("ด.ช.ก้อง ดีงาม"), "ก้อง ดีงาม");
        assert_eq!(normalise("นาย ดร.สมชาย ใจดี"), "สมชาย ใจดี");
        assert_eq!(normalise("นายเอก ใจดี"), "เอก ใจดี");
    }

    #[test]
    fn thai_names_that_begin_like_a_title_keep_it() {
        // Mrs Savitri: นางสาว would cut into the name, นาง does not.
        assert_eq!(normalise("นางสาวิตรี ศรีสุข"), "สาวิตรี ศรีสุข");
        // Khunakorn and Nayika are names, not คุณ or นาย before one.
        assert_eq!(normalise("คุณากร ศรีสุข"), "คุณากร ศรีสุข");
        assert_eq!(normalise("นายิกา ศรีสุข"), "นายิกา ศรีสุข");
        // An undotted abbreviation needs a space or dot after it.
        assert_eq!(normalise("ศรีสุข วงศ์ดี"), "ศรีสุข วงศ์ดี");
    }

    #[test]
    fn invisible_and_composition_differences_vanish() {
        assert_eq!(normalise("สม\u{200B}ชาย\u{00A0}ใจ\u{200D}ดี"), "สมชาย ใจดี");
        assert_eq!(normalise("Jose\u{301} Garci\u{301}a"), normalise("José García"));
        // SARA AM typed as NIKHAHIT + SARA AA, with the tone mark between.
        assert_eq!(normalise("น\u{0E4D}\u{0E49}\u{0E32}ใจ"), "น\u{0E49}\u{0E33}ใจ");
        assert_eq!(normalise("ค\u{0E4D}\u{0E32}"), "ค\u{0E33}");
        assert_eq!(normalise(""), "");
        assert_eq!(normalise(" .-'\u{200B} "), "");
    }

    #[test]
    fn thai_is_never_folded() {
        let name = "สมช้าย ใจดี";
        assert_eq!(normalise(name), name);
        assert!(!same_person("สมชาย ใจดี", name), "a tone mark is part of the name");
        assert!(!same_person("สมชาย ใจดี", "สมชาย ใจด"), "so is a vowel");
        assert!(!same_person("Jose Garcia", "José García"), "no accent folding in Latin either");
    }

    #[test]
    fn the_same_person_written_differently() {
        let same = [
            ("MR. SOMCHAI JAIDEE", "Somchai Jaidee"),
            ("นาย สมชาย ใจดี", "สมชาย ใจดี"),
            ("น.ส.สมหญิง รักไทย", "นางสาว สมหญิง รักไทย"),
            ("JAIDEE SOMCHAI", "Somchai Jaidee"),
            ("ใจดี สมชาย", "นายสมชาย ใจดี"),
            ("SOMCHAI JAIDEE SAETANG", "Mr Somchai Jaidee"),
            ("Somchai Jaidee", "SOMCHAI JAIDEE SAETANG"),
            ("CHAIYAPORNSAK", "Chaiyapornsak Srisuk"),
            ("สมชาย ใจดี", "สมชาย ใจดี ศรีสุข"),
        ];
        for (a, b) in same {
            assert!(same_person(a, b), "{a} / {b}");
            assert!(same_person(b, a), "{b} / {a}");
        }
    }

    #[test]
    fn different_people_do_not_match() {
        let different = [
            ("Somchai Jaidee", "Somchai Rakdee"),
            ("สมชาย ใจดี", "สมชาย รักดี"),
            ("Somchai", "Somchai Jaidee"),
            ("สมชาย", "สมชาย ใจดี"),
            ("นายสมชาย", "สมชาย ใจดี"),
            ("Somchai Jai", "Somchai Jaidee"),
            ("SOMCHAI JAIDEEMA", "Somchai Jaideemak"),
            ("Jaidee Somchai Saetang", "Somchai Jaidee"),
            ("", ""),
            ("Mr.", "Mr."),
            ("Somchai Jaidee", ""),
        ];
        for (a, b) in different {
            assert!(!same_person(a, b), "{a} / {b}");
            assert!(!same_person(b, a), "{b} / {a}");
        }
    }

    proptest::proptest! {
        #[test]
        fn same_person_is_symmetric_and_reflexive(a in "(Mr\\.? |นาย|น\\.ส\\.)?[A-Za-zก-ฮ่-๋ .'-]{0,20}", b in "[A-Za-zก-ฮ .]{0,20}") {
            proptest::prop_assert_eq!(same_person(&a, &b), same_person(&b, &a));
            proptest::prop_assert_eq!(same_person(&a, &a), !normalise(&a).is_empty());
        }
    }

    #[test]
    fn long_input_is_bounded() {
        let long = "ก".repeat(10_000);
        assert_eq!(normalise(&long).chars().count(), MAX_NAME_CHARS);
    }
}
