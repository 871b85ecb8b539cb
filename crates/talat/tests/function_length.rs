//! Functions a reader can hold: no function on the request path — the crates a request or its
//! command passes through (gateway, the two HTTP surfaces, sequencer, engine, store) — is longer
//! than about 70 lines. Measured from the `fn` line to its closing brace, with comments and
//! string literals blanked first so their braces do not count; `#[cfg(test)]` modules are
//! skipped (tests may read as long stories).

use std::fs;
use std::path::{Path, PathBuf};

/// "About 70": a little slack for a signature or a match arm that rustfmt spreads out.
const MAX_FN_LINES: usize = 80;

/// The crates on the request path.
const REQUEST_PATH: [&str; 6] = ["talat-gateway", "talat-api", "talat-web", "talat-sequencer", "talat-engine", "talat-store"];

/// Not on the request path, though in those crates: benchmark drivers and workload generators,
/// and start-up code that runs once per process.
const EXEMPT: [(&str, &str); 4] = [
    ("talat-sequencer/src/bench.rs", "*"),
    ("talat-sequencer/src/workload.rs", "*"),
    ("talat-gateway/src/read/mod.rs", "from_engine"),
    ("talat-engine/src/snapshot.rs", "from_snapshot"),
];

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries {
        let path = entry.expect("a readable directory entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// `text` with comments, string and char literals replaced by spaces (newlines kept), so that
/// braces are only the code's.
fn code_only(text: &str) -> Vec<u8> {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut out[from..to.min(b.len())] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let mut i = 0;
    while i < b.len() {
        let rest = &b[i..];
        let ident_before = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        if rest.starts_with(b"//") {
            let end = rest.iter().position(|&c| c == b'\n').map_or(b.len(), |p| i + p);
            blank(&mut out, i, end);
            i = end;
        } else if rest.starts_with(b"/*") {
            let (mut depth, mut j) = (0usize, i);
            while j < b.len() {
                if b[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if b[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank(&mut out, i, j);
            i = j;
        } else if !ident_before && (rest.starts_with(b"r#") || rest.starts_with(b"r\"") || rest.starts_with(b"br")) {
            let start = if rest[0] == b'b' { 2 } else { 1 };
            let hashes = rest[start..].iter().take_while(|&&c| c == b'#').count();
            if rest.get(start + hashes) != Some(&b'"') {
                i += 1;
                continue;
            }
            let close: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
            let body = i + start + hashes + 1;
            let end = b[body..].windows(close.len()).position(|w| w == close.as_slice()).map_or(b.len(), |p| body + p + close.len());
            blank(&mut out, i, end);
            i = end;
        } else if rest[0] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            blank(&mut out, i, j + 1);
            i = j + 1;
        } else if rest[0] == b'\'' {
            // A char literal ('x', '\n', '\u{..}'), not a lifetime ('a).
            let len = if rest.get(1) == Some(&b'\\') {
                rest.iter().skip(2).position(|&c| c == b'\'').map(|p| p + 3)
            } else {
                let ch = text[i + 1..].chars().next().map_or(1, char::len_utf8);
                (rest.get(1 + ch) == Some(&b'\'')).then_some(ch + 2)
            };
            match len {
                Some(len) => {
                    blank(&mut out, i, i + len);
                    i += len;
                }
                None => i += 1,
            }
        } else {
            i += 1;
        }
    }
    out
}

fn matching_brace(code: &[u8], open: usize) -> usize {
    let mut depth = 0usize;
    for (j, &c) in code.iter().enumerate().skip(open) {
        match c {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return j;
                }
            }
            _ => {}
        }
    }
    code.len()
}

/// (name, first line, length in lines) of every function with a body, outside test modules.
fn functions(text: &str) -> Vec<(String, usize, usize)> {
    let code = code_only(text);
    let line_of = |at: usize| code[..at].iter().filter(|&&c| c == b'\n').count() + 1;
    let mut skipped: Vec<(usize, usize)> = Vec::new();
    let needle = b"#[cfg(test)]";
    let mut at = 0;
    while let Some(p) = code[at..].windows(needle.len()).position(|w| w == needle) {
        let start = at + p;
        let open = code[start..].iter().position(|&c| c == b'{').map(|q| start + q);
        let semi = code[start..].iter().position(|&c| c == b';').map(|q| start + q);
        if let Some(open) = open.filter(|o| semi.is_none_or(|s| *o < s)) {
            skipped.push((start, matching_brace(&code, open)));
        }
        at = start + needle.len();
    }
    let mut found = Vec::new();
    for (i, w) in code.windows(3).enumerate() {
        let boundary = i == 0 || !(code[i - 1].is_ascii_alphanumeric() || code[i - 1] == b'_');
        if w != b"fn " || !boundary || skipped.iter().any(|&(a, z)| (a..=z).contains(&i)) {
            continue;
        }
        let name: String = text[i + 3..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        let mut depth = 0i32;
        let mut body = None;
        for (j, &c) in code.iter().enumerate().skip(i + 3) {
            match c {
                b'(' | b'[' => depth += 1,
                b')' | b']' => depth -= 1,
                b';' if depth <= 0 => break,
                b'{' if depth <= 0 => {
                    body = Some(j);
                    break;
                }
                _ => {}
            }
        }
        if let Some(open) = body {
            found.push((name, line_of(i), line_of(matching_brace(&code, open)) - line_of(i) + 1));
        }
    }
    found
}

#[test]
fn the_measure_counts_code_not_comments_or_strings() {
    let text = "fn a() {\n    let s = \"}}}\"; // }\n    let c = '}';\n    let r = r#\"{\"#;\n}\nfn b<'x>(v: &'x str) -> usize { v.len() }\n#[cfg(test)]\nmod tests {\n    fn long() {\n    }\n}\n";
    assert_eq!(functions(text), vec![("a".to_string(), 1, 5), ("b".to_string(), 6, 1)]);
}

#[test]
fn no_function_on_the_request_path_is_longer_than_about_70_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("the workspace root");
    let mut long = Vec::new();
    let mut measured = 0;
    for krate in REQUEST_PATH {
        let mut files = Vec::new();
        rust_files(&root.join("crates").join(krate).join("src"), &mut files);
        for file in files {
            let rel = file.strip_prefix(root.join("crates")).expect("under crates/").display().to_string();
            let text = fs::read_to_string(&file).unwrap_or_else(|e| panic!("{rel}: {e}"));
            for (name, line, lines) in functions(&text) {
                measured += 1;
                let exempt = EXEMPT.iter().any(|(f, n)| *f == rel && (*n == "*" || *n == name));
                if lines > MAX_FN_LINES && !exempt {
                    long.push(format!("{rel}:{line} fn {name}: {lines} lines"));
                }
            }
        }
    }
    assert!(measured > 1_000, "measured only {measured} functions; is the walk right?");
    assert!(long.is_empty(), "functions on the request path longer than {MAX_FN_LINES} lines (split them):\n  {}", long.join("\n  "));
}
