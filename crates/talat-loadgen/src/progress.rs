//! The progress bar: drawn on stderr, and only when stderr is a terminal and the caller did not
//! ask for quiet, so `--json` on stdout and CI logs stay clean.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// Whether to draw progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// A bar on stderr when stderr is a terminal.
    Auto,
    /// Nothing (`--quiet`, tests).
    Hidden,
}

impl Progress {
    /// `--quiet` → hidden; otherwise a bar when stderr is a terminal.
    pub fn from_quiet(quiet: bool) -> Progress {
        if quiet {
            Progress::Hidden
        } else {
            Progress::Auto
        }
    }

    pub(crate) fn bar(self, total: u64, what: &str) -> ProgressBar {
        if self == Progress::Hidden || !std::io::stderr().is_terminal() {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr_with_hz(4));
        let template = format!("{what:>7} [{{bar:30}}] {{pos}}/{{len}} {{msg}} ({{elapsed}}, eta {{eta}})");
        bar.set_style(ProgressStyle::with_template(&template).expect("a static template").progress_chars("=> "));
        bar
    }
}
