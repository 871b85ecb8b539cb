//! The fuzz target for request parsing on both APIs: the Bitkub parameters (query and JSON body),
//! the duplicate-key check, and the web API's JSON object reader, on any bytes: parsed or
//! refused with an error, never a panic. `TALAT_FUZZ_CASES` sets the cases (`scripts/fuzz`).

use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig { cases: std::env::var("TALAT_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256), ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_request_parses_or_is_refused(query in "\\PC{0,200}", body in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let _ = talat_api::params::Params::parse(Some(&query), &body);
        let _ = talat_gateway::strict_json::duplicate_key(&body);
    }

    #[test]
    fn json_like_bodies_parse_or_are_refused(body in r#"\{("[a-z]{1,3}":(-?[0-9]{1,20}(\.[0-9]{0,20})?|"[^"\\]{0,10}"|null|true|\{\}|\[\]),?){0,8}\}?"#) {
        if let Ok(p) = talat_api::params::Params::parse(None, body.as_bytes()) {
            for key in ["amt", "rat", "sym", "a"] {
                let _ = p.opt_str(key);
                let _ = p.opt_u64(key);
                let _ = p.decimal(key, 8, u64::MAX / 2);
            }
        }
        let _ = talat_gateway::strict_json::duplicate_key(body.as_bytes());
    }
}
