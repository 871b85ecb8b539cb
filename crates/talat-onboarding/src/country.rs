//! Countries: ISO 3166-1 alpha-3 codes and the English names lists and customers use for them.
//!
//! Sanctions lists give nationality as a country name ("Iran (Islamic Republic of)"), while our
//! forms and passports give alpha-3 codes (`IRN`). [`canonical_code`] maps either form to the
//! code so the two can be compared. The table covers UN member states and a few territories whose
//! passports or registrations we meet; a name it does not know maps to `None`, and callers must
//! then treat the country as unknown (screening then applies no nationality penalty, which errs
//! towards human review, never away from it).

/// `(alpha-3, names)`; names are matched after [`crate::names::normalise_latin`].
const COUNTRIES: &[(&str, &[&str])] = &[
    ("AFG", &["afghanistan"]),
    ("ALB", &["albania"]),
    ("DZA", &["algeria"]),
    ("AND", &["andorra"]),
    ("AGO", &["angola"]),
    ("ATG", &["antigua and barbuda"]),
    ("ARG", &["argentina"]),
    ("ARM", &["armenia"]),
    ("AUS", &["australia"]),
    ("AUT", &["austria"]),
    ("AZE", &["azerbaijan"]),
    ("BHS", &["bahamas", "the bahamas"]),
    ("BHR", &["bahrain"]),
    ("BGD", &["bangladesh"]),
    ("BRB", &["barbados"]),
    ("BLR", &["belarus"]),
    ("BEL", &["belgium"]),
    ("BLZ", &["belize"]),
    ("BEN", &["benin"]),
    ("BTN", &["bhutan"]),
    ("BOL", &["bolivia", "bolivia plurinational state of"]),
    ("BIH", &["bosnia and herzegovina"]),
    ("BWA", &["botswana"]),
    ("BRA", &["brazil"]),
    ("BRN", &["brunei", "brunei darussalam"]),
    ("BGR", &["bulgaria"]),
    ("BFA", &["burkina faso"]),
    ("BDI", &["burundi"]),
    ("CPV", &["cabo verde", "cape verde"]),
    ("KHM", &["cambodia"]),
    ("CMR", &["cameroon"]),
    ("CAN", &["canada"]),
    ("CAF", &["central african republic"]),
    ("TCD", &["chad"]),
    ("CHL", &["chile"]),
    ("CHN", &["china", "peoples republic of china"]),
    ("COL", &["colombia"]),
    ("COM", &["comoros"]),
    ("COG", &["congo", "republic of the congo"]),
    ("COD", &["democratic republic of the congo", "congo democratic republic of the", "dr congo"]),
    ("CRI", &["costa rica"]),
    ("CIV", &["cote d ivoire", "cote divoire", "ivory coast"]),
    ("HRV", &["croatia"]),
    ("CUB", &["cuba"]),
    ("CYP", &["cyprus"]),
    ("CZE", &["czechia", "czech republic"]),
    ("DNK", &["denmark"]),
    ("DJI", &["djibouti"]),
    ("DMA", &["dominica"]),
    ("DOM", &["dominican republic"]),
    ("ECU", &["ecuador"]),
    ("EGY", &["egypt"]),
    ("SLV", &["el salvador"]),
    ("GNQ", &["equatorial guinea"]),
    ("ERI", &["eritrea"]),
    ("EST", &["estonia"]),
    ("SWZ", &["eswatini", "swaziland"]),
    ("ETH", &["ethiopia"]),
    ("FJI", &["fiji"]),
    ("FIN", &["finland"]),
    ("FRA", &["france"]),
    ("GAB", &["gabon"]),
    ("GMB", &["gambia", "the gambia"]),
    ("GEO", &["georgia"]),
    ("DEU", &["germany"]),
    ("GHA", &["ghana"]),
    ("GRC", &["greece"]),
    ("GRD", &["grenada"]),
    ("GTM", &["guatemala"]),
    ("GIN", &["guinea"]),
    ("GNB", &["guinea bissau"]),
    ("GUY", &["guyana"]),
    ("HTI", &["haiti"]),
    ("HND", &["honduras"]),
    ("HKG", &["hong kong"]),
    ("HUN", &["hungary"]),
    ("ISL", &["iceland"]),
    ("IND", &["india"]),
    ("IDN", &["indonesia"]),
    ("IRN", &["iran", "iran islamic republic of", "islamic republic of iran"]),
    ("IRQ", &["iraq"]),
    ("IRL", &["ireland"]),
    ("ISR", &["israel"]),
    ("ITA", &["italy"]),
    ("JAM", &["jamaica"]),
    ("JPN", &["japan"]),
    ("JOR", &["jordan"]),
    ("KAZ", &["kazakhstan"]),
    ("KEN", &["kenya"]),
    ("KIR", &["kiribati"]),
    ("PRK", &["democratic peoples republic of korea", "north korea", "korea democratic peoples republic of"]),
    ("KOR", &["republic of korea", "south korea", "korea republic of"]),
    ("KWT", &["kuwait"]),
    ("KGZ", &["kyrgyzstan"]),
    ("LAO", &["lao peoples democratic republic", "laos", "lao pdr"]),
    ("LVA", &["latvia"]),
    ("LBN", &["lebanon"]),
    ("LSO", &["lesotho"]),
    ("LBR", &["liberia"]),
    ("LBY", &["libya"]),
    ("LIE", &["liechtenstein"]),
    ("LTU", &["lithuania"]),
    ("LUX", &["luxembourg"]),
    ("MAC", &["macao", "macau"]),
    ("MDG", &["madagascar"]),
    ("MWI", &["malawi"]),
    ("MYS", &["malaysia"]),
    ("MDV", &["maldives"]),
    ("MLI", &["mali"]),
    ("MLT", &["malta"]),
    ("MHL", &["marshall islands"]),
    ("MRT", &["mauritania"]),
    ("MUS", &["mauritius"]),
    ("MEX", &["mexico"]),
    ("FSM", &["micronesia", "micronesia federated states of"]),
    ("MDA", &["moldova", "republic of moldova"]),
    ("MCO", &["monaco"]),
    ("MNG", &["mongolia"]),
    ("MNE", &["montenegro"]),
    ("MAR", &["morocco"]),
    ("MOZ", &["mozambique"]),
    ("MMR", &["myanmar", "burma"]),
    ("NAM", &["namibia"]),
    ("NRU", &["nauru"]),
    ("NPL", &["nepal"]),
    ("NLD", &["netherlands", "the netherlands"]),
    ("NZL", &["new zealand"]),
    ("NIC", &["nicaragua"]),
    ("NER", &["niger"]),
    ("NGA", &["nigeria"]),
    ("MKD", &["north macedonia"]),
    ("NOR", &["norway"]),
    ("OMN", &["oman"]),
    ("PAK", &["pakistan"]),
    ("PLW", &["palau"]),
    ("PSE", &["palestine", "state of palestine"]),
    ("PAN", &["panama"]),
    ("PNG", &["papua new guinea"]),
    ("PRY", &["paraguay"]),
    ("PER", &["peru"]),
    ("PHL", &["philippines"]),
    ("POL", &["poland"]),
    ("PRT", &["portugal"]),
    ("QAT", &["qatar"]),
    ("ROU", &["romania"]),
    ("RUS", &["russian federation", "russia"]),
    ("RWA", &["rwanda"]),
    ("KNA", &["saint kitts and nevis"]),
    ("LCA", &["saint lucia"]),
    ("VCT", &["saint vincent and the grenadines"]),
    ("WSM", &["samoa"]),
    ("SMR", &["san marino"]),
    ("STP", &["sao tome and principe"]),
    ("SAU", &["saudi arabia"]),
    ("SEN", &["senegal"]),
    ("SRB", &["serbia"]),
    ("SYC", &["seychelles"]),
    ("SLE", &["sierra leone"]),
    ("SGP", &["singapore"]),
    ("SVK", &["slovakia"]),
    ("SVN", &["slovenia"]),
    ("SLB", &["solomon islands"]),
    ("SOM", &["somalia"]),
    ("ZAF", &["south africa"]),
    ("SSD", &["south sudan"]),
    ("ESP", &["spain"]),
    ("LKA", &["sri lanka"]),
    ("SDN", &["sudan"]),
    ("SUR", &["suriname"]),
    ("SWE", &["sweden"]),
    ("CHE", &["switzerland"]),
    ("SYR", &["syrian arab republic", "syria"]),
    ("TWN", &["taiwan"]),
    ("TJK", &["tajikistan"]),
    ("TZA", &["united republic of tanzania", "tanzania"]),
    ("THA", &["thailand"]),
    ("TLS", &["timor leste", "east timor"]),
    ("TGO", &["togo"]),
    ("TON", &["tonga"]),
    ("TTO", &["trinidad and tobago"]),
    ("TUN", &["tunisia"]),
    ("TUR", &["turkiye", "turkey"]),
    ("TKM", &["turkmenistan"]),
    ("TUV", &["tuvalu"]),
    ("UGA", &["uganda"]),
    ("UKR", &["ukraine"]),
    ("ARE", &["united arab emirates"]),
    ("GBR", &["united kingdom", "united kingdom of great britain and northern ireland", "great britain"]),
    ("USA", &["united states", "united states of america"]),
    ("URY", &["uruguay"]),
    ("UZB", &["uzbekistan"]),
    ("VUT", &["vanuatu"]),
    ("VAT", &["holy see", "vatican"]),
    ("VEN", &["venezuela", "venezuela bolivarian republic of"]),
    ("VNM", &["viet nam", "vietnam"]),
    ("YEM", &["yemen"]),
    ("ZMB", &["zambia"]),
    ("ZWE", &["zimbabwe"]),
];

/// Longest input looked at; no country name is anywhere near this long.
const INPUT_MAX_BYTES: usize = 128;

/// The alpha-3 code for an alpha-3 code (any case) or an English country name; `None` if unknown.
pub fn canonical_code(code_or_name: &str) -> Option<&'static str> {
    if code_or_name.len() > INPUT_MAX_BYTES {
        return None;
    }
    let trimmed = code_or_name.trim();
    if trimmed.len() == 3 && trimmed.bytes().all(|b| b.is_ascii_alphabetic()) {
        let upper = trimmed.to_ascii_uppercase();
        if let Some((code, _)) = COUNTRIES.iter().find(|(code, _)| *code == upper) {
            return Some(code);
        }
    }
    let normal = crate::names::normalise_latin(trimmed);
    COUNTRIES.iter().find(|(_, names)| names.contains(&normal.as_str())).map(|(code, _)| *code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names() {
        assert_eq!(canonical_code("tha"), Some("THA"));
        assert_eq!(canonical_code("Thailand"), Some("THA"));
        assert_eq!(canonical_code("Iran (Islamic Republic of)"), Some("IRN"));
        assert_eq!(canonical_code("Democratic People's Republic of Korea"), Some("PRK"));
        assert_eq!(canonical_code("Côte d'Ivoire"), Some("CIV"));
        assert_eq!(canonical_code("Viet Nam"), Some("VNM"));
        assert_eq!(canonical_code("Atlantis"), None);
        assert_eq!(canonical_code("XYZ"), None);
    }

    #[test]
    fn table_is_well_formed() {
        for (index, (code, names)) in COUNTRIES.iter().enumerate() {
            assert!(code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()), "{code}");
            assert!(!names.is_empty());
            for name in names.iter() {
                assert_eq!(crate::names::normalise_latin(name), *name, "names are stored normalised");
            }
            for (other_code, other_names) in &COUNTRIES[index + 1..] {
                assert_ne!(code, other_code);
                for name in names.iter() {
                    assert!(!other_names.contains(name), "{name} is listed twice");
                }
            }
        }
    }
}
