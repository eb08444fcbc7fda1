//! Progress on a terminal: a bar with an ETA when the amount of work is known, a spinner with
//! the elapsed time when it is not. When stderr is not a terminal there is no bar at all and
//! the commands print one plain line per unit of work (epoch, trial, path point) instead.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

pub fn on_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// A bar over `len` units, or None when stderr is not a terminal.
pub fn bar(len: u64, what: &str) -> Option<ProgressBar> {
    on_terminal().then(|| {
        let b = ProgressBar::new(len);
        b.set_style(
            ProgressStyle::with_template("{prefix} {bar:30} {pos}/{len}, eta {eta} {msg}")
                .expect("valid template"),
        );
        b.set_prefix(what.to_string());
        b
    })
}

/// A ticking spinner for work of unknown length, or None when stderr is not a terminal.
pub fn spinner(what: &str) -> Option<ProgressBar> {
    on_terminal().then(|| {
        let b = ProgressBar::new_spinner();
        b.set_style(
            ProgressStyle::with_template("{spinner} {prefix} {elapsed} {msg}")
                .expect("valid template"),
        );
        b.set_prefix(what.to_string());
        b.enable_steady_tick(Duration::from_millis(120));
        b
    })
}

/// Prints `line` above the bar, or as a plain line without one.
pub fn line(bar: &Option<ProgressBar>, line: &str) {
    match bar {
        Some(b) => b.println(line),
        None => println!("{line}"),
    }
}
