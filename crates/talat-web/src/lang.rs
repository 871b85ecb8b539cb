//! The customer's language, Thai or English: the app is shown in it and the mails to the
//! customer are written in it. Kept on the account (`web_accounts.lang`); chosen at sign-up (the
//! app sends its own language, a browser's `Accept-Language` is the fallback) and changed with
//! the app's language switch. Thai when nothing says otherwise: most of this market reads Thai.

use axum::http::{header, HeaderMap};
use talat_store::WebAccountRow;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Th,
}

impl Lang {
    pub fn parse(word: &str) -> Option<Lang> {
        match word {
            "en" => Some(Lang::En),
            "th" => Some(Lang::Th),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Th => "th",
        }
    }

    /// The account's language (a word the store does not know reads as Thai: only this module
    /// writes it, so that would be a bug, and Thai is the market's language).
    pub fn of(account: &WebAccountRow) -> Lang {
        Lang::parse(&account.lang).unwrap_or(Lang::Th)
    }

    /// The first of `Accept-Language`'s tags that is Thai or English, by the order given
    /// (quality values are not weighed: browsers list tags best first).
    pub fn accepted(headers: &HeaderMap) -> Option<Lang> {
        let value = headers.get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
        value.split(',').map(|tag| tag.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()).find_map(|tag| {
            let primary = tag.split('-').next().unwrap_or_default();
            Lang::parse(primary)
        })
    }

    /// `en` or `th`, whichever is this language.
    pub fn pick<T>(self, en: T, th: T) -> T {
        match self {
            Lang::En => en,
            Lang::Th => th,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn accept_language_picks_the_first_thai_or_english_tag() {
        let of = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static(v));
            Lang::accepted(&h)
        };
        assert_eq!(of("th-TH,th;q=0.9,en;q=0.8"), Some(Lang::Th));
        assert_eq!(of("en-GB,en;q=0.9"), Some(Lang::En));
        assert_eq!(of("ja-JP, EN-us;q=0.5"), Some(Lang::En));
        assert_eq!(of("ja-JP,de"), None);
        assert_eq!(Lang::accepted(&HeaderMap::new()), None);
        assert_eq!(Lang::parse("TH"), None, "only the stored words");
        assert_eq!(Lang::Th.pick("a", "b"), "b");
    }
}
