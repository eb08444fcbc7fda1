//! occam-report: pictures and one self-contained HTML page that answer "what did
//! regularization do?". It draws from plain result data (paths, CV curves, epoch logs,
//! weights) and never runs a solver; the CLI reads run folders and calls it.

pub mod html;
pub mod plots;
pub mod png;

pub use html::{Page, Section};
