//! Builds the web app from `../../web` with npm (Vite) inside `OUT_DIR`, never in the source tree:
//! copies web's sources to `$OUT_DIR/web`, runs `npm ci` there when its `package-lock.json`
//! differs from the one last installed, then `npm run build`; `src/lib.rs` embeds
//! `$OUT_DIR/web/dist`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What the web build reads: the sources, the two pages, npm's manifest and lock, the configs.
const INPUTS: [&str; 7] = ["src", "index.html", "console.html", "package.json", "package-lock.json", "vite.config.ts", "tsconfig.json"];

/// The lock `npm ci` last installed, kept beside `node_modules` to tell whether it must run again.
const INSTALLED_LOCK: &str = "node_modules/.talat-installed-lock.json";

fn main() {
    let web: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web");
    for input in INPUTS {
        println!("cargo:rerun-if-changed={}", web.join(input).display());
    }
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("web");
    fs::create_dir_all(&out).unwrap_or_else(|e| panic!("talat-webapp: cannot create {}: {e}", out.display()));
    for input in INPUTS {
        let (from, to) = (web.join(input), out.join(input));
        if to.is_dir() {
            // Files deleted from web/src must not linger in the copy.
            fs::remove_dir_all(&to).unwrap_or_else(|e| panic!("talat-webapp: cannot remove {}: {e}", to.display()));
        }
        copy(&from, &to);
    }

    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    if Command::new(npm).arg("--version").output().map(|o| !o.status.success()).unwrap_or(true) {
        panic!(
            "\n\ntalat-webapp: building the web app needs Node.js (18 or newer) and npm on the PATH.\n\
             Install them (Debian/Ubuntu: `apt-get install nodejs npm`), then build again.\n\n"
        );
    }
    let lock = fs::read(out.join("package-lock.json")).expect("package-lock.json was just copied");
    if fs::read(out.join(INSTALLED_LOCK)).ok().as_ref() != Some(&lock) {
        run(Command::new(npm).args(["ci", "--no-audit", "--no-fund"]).current_dir(&out), "npm ci");
        fs::write(out.join(INSTALLED_LOCK), &lock).unwrap_or_else(|e| panic!("talat-webapp: cannot record the installed lock: {e}"));
    }
    run(Command::new(npm).args(["run", "build"]).current_dir(&out), "npm run build");
}

/// Copies a file, or a directory recursively.
fn copy(from: &Path, to: &Path) {
    let fail = |e: std::io::Error| -> ! { panic!("talat-webapp: cannot copy {} to {}: {e}", from.display(), to.display()) };
    if from.is_dir() {
        fs::create_dir_all(to).unwrap_or_else(|e| fail(e));
        for entry in fs::read_dir(from).unwrap_or_else(|e| fail(e)) {
            let name = entry.unwrap_or_else(|e| fail(e)).file_name();
            copy(&from.join(&name), &to.join(&name));
        }
    } else {
        fs::copy(from, to).unwrap_or_else(|e| fail(e));
    }
}

fn run(command: &mut Command, what: &str) {
    let out = command.output().unwrap_or_else(|e| panic!("talat-webapp: cannot run {what}: {e}"));
    if !out.status.success() {
        panic!(
            "talat-webapp: `{what}` in $OUT_DIR/web failed ({}):\n--- stdout ---\n{}\n--- stderr ---\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
