//! Progress bars for long jobs (replay, verify, building benchmark journals). Drawn on stderr,
//! and only when stdout is a terminal and the output is not JSON, so scripts and CI logs get
//! clean output.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

/// A bar over `total` items, or a hidden one when `enabled` is false or stdout is not a TTY.
pub fn bar(total: u64, enabled: bool, message: &str, unit: &str) -> ProgressBar {
    if !enabled || !std::io::stdout().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    let template = format!("{{msg:>14}} [{{bar:40}}] {{pos}}/{{len}} {unit} ({{per_sec}}, eta {{eta}})");
    bar.set_style(ProgressStyle::with_template(&template).expect("a static template").progress_chars("=> "));
    bar.set_message(message.to_string());
    bar
}
