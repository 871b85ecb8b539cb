//! Crash injection for the tests of the real process: with `TALAT_CRASH_AT=<point>` in its
//! environment, the process aborts the moment it passes that point — no destructor, no flush,
//! as a SIGKILL landing exactly there would. The points are the moments a withdrawal must
//! survive: `custody-signed` (the signed transaction recorded, nothing broadcast) and
//! `custody-broadcast` (broadcast, not yet settled). Unset, a point costs one string compare.

use std::sync::OnceLock;

static CRASH_AT: OnceLock<Option<String>> = OnceLock::new();

pub fn point(name: &str) {
    if CRASH_AT.get_or_init(|| std::env::var("TALAT_CRASH_AT").ok()).as_deref() == Some(name) {
        eprintln!("talat: crash point {name} reached (TALAT_CRASH_AT): aborting");
        std::process::abort();
    }
}
