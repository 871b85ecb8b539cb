//! Builds the web app in `../../web` with npm (Vite) so that `src/lib.rs` can embed `web/dist`:
//! `npm ci` when `node_modules` is missing or older than `package-lock.json`, then
//! `npm run build`. Set `TALAT_WEB_SKIP_BUILD=1` to embed an existing `web/dist` as it is.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let web: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web");
    for input in ["src", "index.html", "console.html", "package.json", "package-lock.json", "vite.config.ts", "tsconfig.json"] {
        println!("cargo:rerun-if-changed={}", web.join(input).display());
    }
    println!("cargo:rerun-if-env-changed=TALAT_WEB_SKIP_BUILD");
    if std::env::var_os("TALAT_WEB_SKIP_BUILD").is_some() && web.join("dist/index.html").exists() {
        return;
    }
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    if Command::new(npm).arg("--version").output().map(|o| !o.status.success()).unwrap_or(true) {
        panic!(
            "\n\ntalat-webapp: building the web app needs Node.js (18 or newer) and npm on the PATH.\n\
             Install them (Debian/Ubuntu: `apt-get install nodejs npm`), then build again.\n\n"
        );
    }
    let stamp = web.join("node_modules/.package-lock.json");
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let stale = match (modified(&stamp), modified(&web.join("package-lock.json"))) {
        (Some(installed), Some(lock)) => lock > installed,
        _ => true,
    };
    if stale {
        run(Command::new(npm).args(["ci", "--no-audit", "--no-fund"]).current_dir(&web), "npm ci");
    }
    run(Command::new(npm).args(["run", "build"]).current_dir(&web), "npm run build");
}

fn run(command: &mut Command, what: &str) {
    let out = command.output().unwrap_or_else(|e| panic!("talat-webapp: cannot run {what}: {e}"));
    if !out.status.success() {
        panic!(
            "talat-webapp: `{what}` in web/ failed ({}):\n--- stdout ---\n{}\n--- stderr ---\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
