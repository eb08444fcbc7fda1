//! Writing results safely: every output goes to a temporary file in the same folder and is
//! renamed into place only when complete, so a failed run never clobbers an earlier result.

use anyhow::Result;
use occam::{Mode, RunFolder, RunKind};
use std::path::Path;

/// Writes `bytes` to `path` atomically (temporary file, fsync, rename): the facade's
/// `occam::run::write_atomic`, for the files that live outside a run folder.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.is_dir() {
            anyhow::bail!(crate::UserError(format!(
                "cannot write {}: folder {} does not exist",
                path.display(),
                dir.display()
            )));
        }
    }
    Ok(occam::run::write_atomic(path, bytes)?)
}

fn mode(force: bool) -> Mode {
    if force {
        Mode::Force
    } else {
        Mode::New
    }
}

/// Refuses the run folder `dir` when it already holds a run (unless `force`): called before
/// any work starts, so a refused run costs nothing and touches nothing.
pub fn check_new_run(dir: &Path, kind: RunKind, force: bool) -> Result<()> {
    RunFolder::check(dir, kind, mode(force))?;
    Ok(())
}

/// Creates the run folder `dir` for a new run of `kind` (see `check_new_run`).
pub fn new_run(dir: &Path, kind: RunKind, force: bool) -> Result<RunFolder> {
    Ok(RunFolder::create(dir, kind, mode(force))?)
}

/// A model kind that cannot continue an interrupted run says so instead of ignoring --resume.
pub fn refuse_resume(resume: bool, what: &str) -> Result<()> {
    if resume {
        anyhow::bail!(crate::UserError(format!(
            "--resume is not supported for {what}; start a new run folder (or --force to replace \
             the run)"
        )));
    }
    Ok(())
}

/// Serializes `value` as pretty JSON and writes it atomically.
pub fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<()> {
    let mut s = serde_json::to_string_pretty(value)?;
    s.push('\n');
    write_atomic(path, s.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = std::env::temp_dir().join(format!("occam-out-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("r.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        assert!(write_atomic(&dir.join("no/such/dir.json"), b"x").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
