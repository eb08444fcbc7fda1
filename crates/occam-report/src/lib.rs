//! occam-report: pictures and one self-contained HTML page that answer "what did
//! regularization do?". Every page is built from the typed results a run wrote
//! (`occam::results`, read back by `occam::results::RunResult::read`); the report never runs
//! a solver and never reads JSON by string key.

pub mod html;
pub mod pages;
pub mod plots;
pub mod png;

pub use html::{Page, Section};
pub use pages::{compare, render};
