//! Tidy is a test: every Rust file in the workspace starts with a `//!` doc line, no test is
//! switched off with an ignore attribute, and no file exceeds 800 lines (the per-file line
//! counts are printed, largest first).

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path
                .file_name()
                .is_some_and(|n| n == "target" || n == "fixtures")
            {
                continue;
            }
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn tidy() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    rust_files(&root.join("crates"), &mut files);
    assert!(files.len() > 20, "found only {} files", files.len());
    let ignore_attr = format!("#[{}", "ignore");
    let mut sizes = Vec::new();
    let mut problems = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let rel = f.strip_prefix(&root).unwrap().display().to_string();
        if !text.starts_with("//!") {
            problems.push(format!("{rel}: does not start with a //! doc line"));
        }
        if text.contains(&ignore_attr) {
            problems.push(format!("{rel}: has an ignore attribute"));
        }
        let lines = text.lines().count();
        if lines > 800 {
            problems.push(format!("{rel}: {lines} lines (budget 800)"));
        }
        sizes.push((lines, rel));
    }
    sizes.sort_by(|a, b| b.cmp(a));
    println!("lines  file");
    for (n, f) in &sizes {
        println!("{n:>5}  {f}");
    }
    assert!(problems.is_empty(), "tidy:\n{}", problems.join("\n"));
}
