//! The layering of talat-web's modules, read from the sources. A route module (a file with
//! axum handlers: an `async fn` taking `State<Arc<Web>>` or one of `auth`'s extractors) never
//! names another route module, and neither does anything the routes share (`auth`, `views`,
//! `login`, `session`, `body`, a family's helpers such as `support/view.rs` or
//! `kyc/levels.rs`), nor a family's `mod.rs`. Only the mounts — `lib.rs` and the `mod.rs` files,
//! which put the routes together — name route modules. So the routes sit above everything they
//! use and no import loop can run through them. A `crate::…` or `super::…` path anywhere in the
//! code counts, not only in `use` lines.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A module path (`["kyc", "customer"]`; the crate root is empty) and its file.
type Modules = BTreeMap<Vec<String>, PathBuf>;

/// Every module file under `src`, by module path.
fn modules(src: &Path) -> Modules {
    let mut out = Modules::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                continue;
            }
            let rel = path.strip_prefix(src).unwrap().with_extension("");
            let mut module: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            if matches!(module.last().map(String::as_str), Some("lib" | "mod")) {
                module.pop();
            }
            out.insert(module, path);
        }
    }
    out
}

/// The source with comments and the insides of string and char literals blanked (lines kept),
/// so that only code is read.
fn code_only(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let blank = |ch: char| if ch == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < c.len() {
        if c[i] == '/' && c.get(i + 1) == Some(&'/') {
            while i < c.len() && c[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c[i] == '/' && c.get(i + 1) == Some(&'*') {
            while i < c.len() && !(c[i] == '*' && c.get(i + 1) == Some(&'/')) {
                out.push(blank(c[i]));
                i += 1;
            }
            out.push_str("  ");
            i += 2;
        } else if c[i] == 'r' && (c.get(i + 1) == Some(&'"') || c.get(i + 1) == Some(&'#')) && (i == 0 || !is_ident(c[i - 1])) {
            let hashes = c[i + 1..].iter().take_while(|&&ch| ch == '#').count();
            let end: String = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
            let body_start = i + 2 + hashes;
            let close = (body_start..c.len()).find(|&j| c[j..].iter().take(end.len()).copied().eq(end.chars())).unwrap_or(c.len());
            out.extend(c[i..close].iter().map(|&ch| blank(ch)));
            out.push_str(&" ".repeat(end.len().min(c.len() - close)));
            i = close + end.len();
        } else if c[i] == '"' {
            out.push(' ');
            i += 1;
            while i < c.len() && c[i] != '"' {
                let n = if c[i] == '\\' { 2 } else { 1 };
                out.extend(c[i..(i + n).min(c.len())].iter().map(|&ch| blank(ch)));
                i += n;
            }
            out.push(' ');
            i += 1;
        } else if c[i] == '\'' && (c.get(i + 2) == Some(&'\'') || c.get(i + 1) == Some(&'\\')) {
            // A char literal ('x', '\n', '\''), not a lifetime.
            let close = if c[i + 1] == '\\' { (i + 3..c.len()).find(|&j| c[j] == '\'').unwrap_or(c.len() - 1) } else { i + 2 };
            out.extend(c[i..=close].iter().map(|_| ' '));
            i = close + 1;
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

fn is_ident(ch: char) -> bool {
    ch.is_alphanumeric() || ch == '_'
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Sep,
    Punct(char),
}

/// Tokens with their line numbers.
fn tokens(code: &str) -> Vec<(Tok, usize)> {
    let c: Vec<char> = code.chars().collect();
    let (mut out, mut line, mut i) = (Vec::new(), 1, 0);
    while i < c.len() {
        if c[i] == '\n' {
            line += 1;
            i += 1;
        } else if c[i].is_whitespace() {
            i += 1;
        } else if is_ident(c[i]) {
            let start = i;
            while i < c.len() && is_ident(c[i]) {
                i += 1;
            }
            out.push((Tok::Ident(c[start..i].iter().collect()), line));
        } else if c[i] == ':' && c.get(i + 1) == Some(&':') {
            out.push((Tok::Sep, line));
            i += 2;
        } else {
            out.push((Tok::Punct(c[i]), line));
            i += 1;
        }
    }
    out
}

/// The paths starting at `toks[*i]` (a use tree: `a::b::{c, d::e}`), each as its segments.
fn use_tree(toks: &[(Tok, usize)], i: &mut usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut path = prefix;
    loop {
        match toks.get(*i).map(|t| &t.0) {
            Some(Tok::Ident(id)) => {
                path.push(id.clone());
                *i += 1;
            }
            Some(Tok::Punct('{')) => {
                *i += 1;
                while !matches!(toks.get(*i).map(|t| &t.0), None | Some(Tok::Punct('}'))) {
                    use_tree(toks, i, path.clone(), out);
                    if toks.get(*i).map(|t| &t.0) == Some(&Tok::Punct(',')) {
                        *i += 1;
                    }
                }
                *i += 1;
                return;
            }
            Some(Tok::Punct('*')) => {
                *i += 1;
                break;
            }
            _ => break,
        }
        if toks.get(*i).map(|t| &t.0) != Some(&Tok::Sep) {
            break;
        }
        *i += 1;
    }
    if toks.get(*i).map(|t| &t.0) == Some(&Tok::Ident("as".into())) {
        *i += 2;
    }
    if path.last().map(String::as_str) == Some("self") {
        path.pop();
    }
    out.push(path);
}

/// Every `crate::…` and `super::…` path in `code`, resolved to absolute module paths, with its
/// line and the text as written. `module` is the file's own module; inline modules (`mod tests
/// { use super::*; }`) are followed, so `super` means what it means there.
fn named_paths(code: &str, module: &[String]) -> Vec<(usize, String, Vec<String>)> {
    let toks = tokens(code);
    let mut out = Vec::new();
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < toks.len() {
        let (tok, line) = (&toks[i].0, toks[i].1);
        match tok {
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                depth -= 1;
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            Tok::Ident(kw) if kw == "mod" => {
                if let (Some((Tok::Ident(name), _)), Some((Tok::Punct('{'), _))) = (toks.get(i + 1), toks.get(i + 2)) {
                    inline.push((name.clone(), depth));
                }
            }
            Tok::Ident(start) if (start == "crate" || start == "super") && toks.get(i + 1).map(|t| &t.0) == Some(&Tok::Sep) => {
                let after_sep = i > 0 && toks[i - 1].0 == Tok::Sep;
                if !after_sep {
                    let mut here: Vec<String> = module.iter().cloned().chain(inline.iter().map(|(n, _)| n.clone())).collect();
                    let mut j = i;
                    let base = if start == "crate" {
                        j += 2;
                        Vec::new()
                    } else {
                        while toks.get(j).map(|t| &t.0) == Some(&Tok::Ident("super".into())) && toks.get(j + 1).map(|t| &t.0) == Some(&Tok::Sep) {
                            here.pop();
                            j += 2;
                        }
                        here
                    };
                    let mut paths = Vec::new();
                    use_tree(&toks, &mut j, base, &mut paths);
                    let shown = written(&toks[i..j.min(toks.len())]);
                    out.extend(paths.into_iter().map(|p| (line, shown.clone(), p)));
                    i = j;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Tokens back as text, for the message.
fn written(toks: &[(Tok, usize)]) -> String {
    let mut out = String::new();
    for (k, (t, _)) in toks.iter().enumerate() {
        match t {
            Tok::Ident(s) if k > 0 && matches!(toks[k - 1].0, Tok::Ident(_)) => out.push_str(&format!(" {s}")),
            Tok::Ident(s) => out.push_str(s),
            Tok::Sep => out.push_str("::"),
            Tok::Punct(',') => out.push_str(", "),
            Tok::Punct(c) => out.push(*c),
        }
    }
    out
}

/// The module a path lands in: its longest prefix that is a module file.
fn module_of<'a>(modules: &'a Modules, path: &[String]) -> &'a [String] {
    (0..=path.len()).rev().find_map(|n| modules.get_key_value(&path[..n]).map(|(k, _)| k.as_slice())).unwrap_or(&[])
}

/// A file with axum handlers: an `async fn` whose parameters take the state or an extractor of
/// `auth`.
fn is_route_module(code: &str) -> bool {
    code.split("async fn ").skip(1).any(|rest| {
        let params = rest.split(" -> ").next().unwrap_or("");
        ["State<Arc<Web>>", ": Customer", ": CustomerSession", ": Staff", ": StaffEvenRestricted"].iter().any(|p| params.contains(p))
    })
}

fn is_mount(module: &[String], file: &Path) -> bool {
    module.is_empty() || file.file_name().is_some_and(|n| n == "mod.rs")
}

#[test]
fn no_module_below_the_mounts_names_a_route_module() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules = modules(&src);
    let code: BTreeMap<&Vec<String>, String> = modules.iter().map(|(m, f)| (m, code_only(&std::fs::read_to_string(f).unwrap()))).collect();
    let routes: Vec<&Vec<String>> = code.iter().filter(|(_, c)| is_route_module(c)).map(|(m, _)| *m).collect();
    for expected in ["customer", "orders", "history", "console", "dashboard"] {
        assert!(routes.iter().any(|m| m.len() == 1 && m[0] == expected), "{expected}.rs should be found as a route module (its handlers were not recognised)");
    }
    let show = |m: &[String]| modules[m].strip_prefix(&src).unwrap().display().to_string();
    let mut offences = Vec::new();
    for (module, file) in &modules {
        if is_mount(module, file) {
            continue;
        }
        for (line, written, path) in named_paths(&code[module], module) {
            let target = module_of(&modules, &path);
            if target == module.as_slice() || target.is_empty() {
                continue;
            }
            let what = if routes.iter().any(|r| r.as_slice() == target) {
                "the route module"
            } else if is_mount(target, &modules[target]) {
                "the mount"
            } else {
                continue;
            };
            offences.push(format!("src/{}:{line}: `{written}` names {what} src/{}", show(module), show(target)));
        }
    }
    assert!(offences.is_empty(), "route modules import only what sits below them (auth, views, error, body, session, secrets, the crate root, a family's helpers), never each other:\n{}", offences.join("\n"));
}

#[test]
fn the_reader_sees_paths_as_rust_does() {
    let m = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let code = code_only(
        "use super::{admission, levels::apply as a};\nuse crate::auth::{self, Staff};\n// use crate::orders;\nlet s = \"crate::history\";\nfn f() { super::super::x::y(); }\nmod tests { use super::*; }\npub(crate) fn g() {}\n",
    );
    let found: Vec<(usize, Vec<String>)> = named_paths(&code, &m(&["kyc", "customer"])).into_iter().map(|(l, _, p)| (l, p)).collect();
    assert_eq!(
        found,
        vec![
            (1, m(&["kyc", "admission"])),
            (1, m(&["kyc", "levels", "apply"])),
            (2, m(&["auth"])),
            (2, m(&["auth", "Staff"])),
            (5, m(&["x", "y"])),
            (6, m(&["kyc", "customer"])),
        ]
    );
    assert!(is_route_module("async fn me(State(web): State<Arc<Web>>, c: Customer) -> WebResult<Json<Value>> {"));
    assert!(is_route_module("pub async fn me(Customer { account, .. }: Customer) -> X {"));
    assert!(!is_route_module("pub async fn apply(web: &Web, account: &WebAccountRow) -> WebResult<()> {"));
    let text = "let c = '{'; let e = '\\''; let l: &'static str = r#\"a \"crate::x\" }\"#; x::y";
    let code = code_only(text);
    assert_eq!(code.len(), text.len());
    assert!(!code.contains('{') && !code.contains('}') && !code.contains("crate") && code.contains("&'static str") && code.ends_with("; x::y"), "{code:?}");
}
