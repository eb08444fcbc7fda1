//! The run folder: the one place that decides how a run is laid out on disk.
//!
//! A run folder holds `manifest.json` (the format version, the run kind, and the SHA-256 of
//! every file written through it) beside the files themselves. Every write goes to a temporary
//! file in the same folder and is renamed into place when complete, so a failed run never
//! clobbers an earlier result. A file listed in the manifest is verified when read: an edited
//! or corrupt file is refused with a clear error, never silently used.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The manifest's format string; bumped when the layout changes incompatibly.
pub const RUN_FORMAT: &str = "occam-run-1";

/// The name of the manifest inside a run folder.
pub const MANIFEST: &str = "manifest.json";

/// Files that mark a folder as holding a run (also those of runs made before the manifest).
const RUN_MARKERS: [&str; 10] = [
    MANIFEST,
    "summary.json",
    "model.json",
    "checkpoint.safetensors",
    "cv.json",
    "path.json",
    "trials.jsonl",
    "stability.csv",
    "forecasts.csv",
    "recommendations.csv",
];

/// What a run folder holds; the report and `predict` dispatch on it, never on file names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunKind {
    /// A linear path without cross-validation (`occam linear path`).
    LinearPath,
    /// A cross-validated linear path (`occam linear cv`, the demo).
    LinearCv,
    /// A multilayer perceptron or CNN (`occam train`).
    Mlp,
    /// A hyperparameter search with its chosen network (`occam tune`).
    Tune,
    /// Stability selection (`occam select`).
    Select,
    /// The LassoNet path of a network (`occam path`).
    NetworkPath,
    /// A text model on tf-idf n-grams (`occam train --model text`).
    Text,
    /// Matrix factorisation (`occam train --model recommender`).
    Recommender,
    /// An LSTM/GRU forecaster (`occam train --model lstm|gru`).
    Forecast,
    /// Bayesian ridge or ARD (`occam linear bayes`).
    Bayes,
    /// An explanation of a run's model on data (`occam explain`).
    Explain,
}

impl RunKind {
    /// The kind as written in the manifest.
    pub fn name(self) -> &'static str {
        match self {
            RunKind::LinearPath => "linear-path",
            RunKind::LinearCv => "linear-cv",
            RunKind::Mlp => "mlp",
            RunKind::Tune => "tune",
            RunKind::Select => "select",
            RunKind::NetworkPath => "network-path",
            RunKind::Text => "text",
            RunKind::Recommender => "recommender",
            RunKind::Forecast => "forecast",
            RunKind::Bayes => "bayes",
            RunKind::Explain => "explain",
        }
    }
}

/// How to treat a folder that already holds a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Refuse a folder that already holds a run (the default).
    #[default]
    New,
    /// Continue the run in the folder; it must be of the same kind.
    Resume,
    /// Replace the run in the folder: its files are overwritten as the new run writes them.
    Force,
}

/// `manifest.json`: format, kind and a checksum per file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`RUN_FORMAT`].
    pub format: String,
    /// What the run is.
    pub kind: RunKind,
    /// The occam version that wrote the run.
    pub occam_version: String,
    /// File name -> lowercase hex SHA-256 of its bytes.
    pub files: BTreeMap<String, String>,
}

/// An open run folder.
#[derive(Debug)]
pub struct RunFolder {
    dir: PathBuf,
    manifest: Manifest,
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `dir` already holds a run (a manifest or a run file of any kind).
pub fn holds_run(dir: &Path) -> bool {
    RUN_MARKERS.iter().any(|m| dir.join(m).exists())
}

fn io(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, fsync, rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, &mut |w| w.write_all(bytes)).map(|_| ())
}

/// [`write_atomic`] of what `fill` writes (through a buffer, never held whole in memory);
/// returns the SHA-256 of the bytes written, in hex.
pub fn write_atomic_with(
    path: &Path,
    fill: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
) -> Result<String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.is_dir() {
            return Err(Error::Run {
                path: dir.to_path_buf(),
                detail: format!(
                    "cannot write {}: the folder does not exist",
                    path.file_name().unwrap_or_default().to_string_lossy()
                ),
            });
        }
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<String> {
        let mut w = Hashing {
            inner: std::io::BufWriter::with_capacity(1 << 16, std::fs::File::create(&tmp)?),
            hash: Sha256::new(),
        };
        fill(&mut w)?;
        let f = w.inner.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        Ok(w.hash
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|e| io(path, e))
}

/// A writer that hashes what passes through it.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl RunFolder {
    /// Creates (or, with `Mode::Resume`, reopens) the run folder `dir` for a run of `kind`.
    ///
    /// `Mode::New` refuses a folder that already holds a run, naming what to do instead;
    /// `Mode::Resume` needs a run of the same kind there; `Mode::Force` starts a fresh
    /// manifest in place (earlier files stay until the new run replaces them).
    pub fn create(dir: &Path, kind: RunKind, mode: Mode) -> Result<RunFolder> {
        if let Some(open) = RunFolder::check(dir, kind, mode)? {
            return Ok(open);
        }
        std::fs::create_dir_all(dir).map_err(|e| Error::Run {
            path: dir.to_path_buf(),
            detail: format!("cannot create the folder: {e}"),
        })?;
        let mut run = RunFolder {
            dir: dir.to_path_buf(),
            manifest: Manifest {
                format: RUN_FORMAT.into(),
                kind,
                occam_version: env!("CARGO_PKG_VERSION").into(),
                files: BTreeMap::new(),
            },
        };
        run.save_manifest()?;
        Ok(run)
    }

    /// What `create` checks, without touching anything: call it before the work starts and
    /// `create` when there is something to write, so that a failed run leaves no folder
    /// behind. Returns the open run for `Mode::Resume`.
    pub fn check(dir: &Path, kind: RunKind, mode: Mode) -> Result<Option<RunFolder>> {
        if dir.exists() && !dir.is_dir() {
            return Err(Error::Run {
                path: dir.to_path_buf(),
                detail: "is a file, not a folder; choose another output folder".into(),
            });
        }
        match mode {
            Mode::New if holds_run(dir) => {
                return Err(Error::Run {
                    path: dir.to_path_buf(),
                    detail: "already holds a run; choose another output folder, or replace it \
                             with --force (or continue it with --resume where the model allows)"
                        .into(),
                })
            }
            Mode::Resume => {
                let open = RunFolder::open(dir).map_err(|e| Error::Run {
                    path: dir.to_path_buf(),
                    detail: format!("--resume needs an earlier run here ({e})"),
                })?;
                if open.manifest.kind != kind {
                    return Err(Error::Run {
                        path: dir.to_path_buf(),
                        detail: format!(
                            "--resume: the folder holds a {} run, not a {} run",
                            open.manifest.kind.name(),
                            kind.name()
                        ),
                    });
                }
                return Ok(Some(open));
            }
            _ => {}
        }
        Ok(None)
    }

    /// Opens an existing run folder and reads its manifest.
    pub fn open(dir: &Path) -> Result<RunFolder> {
        let mp = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&mp).map_err(|e| Error::Run {
            path: dir.to_path_buf(),
            detail: format!(
                "is not an occam run folder: cannot read {MANIFEST} ({e}); a run folder is \
                 written by `occam train`, `occam linear cv --out` or a fitted model's save"
            ),
        })?;
        let manifest: Manifest = serde_json::from_str(&text)
            .map_err(|e| Error::model(&mp, format!("not a valid manifest: {e}")))?;
        if manifest.format != RUN_FORMAT {
            return Err(Error::model(
                &mp,
                format!(
                    "format '{}' is not {RUN_FORMAT}; this occam cannot read it",
                    manifest.format
                ),
            ));
        }
        Ok(RunFolder {
            dir: dir.to_path_buf(),
            manifest,
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The run kind from the manifest.
    pub fn kind(&self) -> RunKind {
        self.manifest.kind
    }

    /// The manifest as read or written.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The path of `name` inside the folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn save_manifest(&mut self) -> Result<()> {
        let mut s = serde_json::to_string_pretty(&self.manifest).expect("a manifest serializes");
        s.push('\n');
        write_atomic(&self.dir.join(MANIFEST), s.as_bytes())
    }

    /// Writes `name` atomically and records its checksum in the manifest.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        write_atomic(&self.path(name), bytes)?;
        self.manifest
            .files
            .insert(name.to_string(), sha256_hex(bytes));
        self.save_manifest()
    }

    /// Writes `name` atomically from what `fill` writes (streamed through a buffer: a large
    /// file is never held whole in memory) and records its checksum in the manifest.
    pub fn write_with(
        &mut self,
        name: &str,
        fill: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<()> {
        let sum = write_atomic_with(&self.path(name), fill)?;
        self.manifest.files.insert(name.to_string(), sum);
        self.save_manifest()
    }

    /// Writes `value` as pretty JSON (see [`RunFolder::write`]), streamed.
    pub fn write_json(&mut self, name: &str, value: &impl Serialize) -> Result<()> {
        let mut failed = None;
        let r = self.write_with(name, &mut |w| {
            serde_json::to_writer_pretty(&mut *w, value).map_err(|e| {
                if !e.is_io() {
                    failed = Some(e.to_string());
                }
                std::io::Error::other(e.to_string())
            })?;
            w.write_all(b"\n")
        });
        match (r, failed) {
            (Err(_), Some(detail)) => Err(Error::Run {
                path: self.path(name),
                detail: format!("cannot serialize: {detail}"),
            }),
            (r, _) => r,
        }
    }

    /// Reads `name`, verifying it against the manifest's checksum when the manifest lists it.
    pub fn read(&self, name: &str) -> Result<Vec<u8>> {
        let p = self.path(name);
        let bytes = std::fs::read(&p).map_err(|e| io(&p, e))?;
        if let Some(want) = self.manifest.files.get(name) {
            let got = sha256_hex(&bytes);
            if &got != want {
                return Err(Error::model(
                    &p,
                    format!(
                        "has changed since the run wrote it (SHA-256 {}..., the manifest \
                         records {}...); an edited or corrupt model is refused: train it again",
                        &got[..12],
                        &want[..want.len().min(12)]
                    ),
                ));
            }
        }
        Ok(bytes)
    }

    /// Reads `name` as a required file: it must be listed in the manifest (and match).
    pub fn read_listed(&self, name: &str) -> Result<Vec<u8>> {
        if !self.manifest.files.contains_key(name) {
            return Err(Error::model(
                self.path(name),
                format!("is not listed in {MANIFEST}; the run folder is incomplete"),
            ));
        }
        self.read(name)
    }

    /// Reads and parses the JSON file `name` (listed in the manifest).
    pub fn read_json<T: serde::de::DeserializeOwned>(&self, name: &str) -> Result<T> {
        let bytes = self.read_listed(name)?;
        serde_json::from_slice(&bytes)
            .map_err(|e| Error::model(self.path(name), format!("cannot be read: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("occam-run-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn new_run_refuses_an_existing_one_and_force_replaces_it() {
        let d = scratch("refuse");
        let mut r = RunFolder::create(&d, RunKind::LinearCv, Mode::New).unwrap();
        r.write("a.json", b"{}").unwrap();
        let e = RunFolder::create(&d, RunKind::LinearCv, Mode::New).unwrap_err();
        assert_eq!(e.kind(), "run-folder");
        assert!(e.to_string().contains("already holds a run"), "{e}");
        // Nothing was touched by the refused run.
        assert_eq!(std::fs::read(d.join("a.json")).unwrap(), b"{}");
        let r2 = RunFolder::create(&d, RunKind::Mlp, Mode::Force).unwrap();
        assert_eq!(RunFolder::open(&d).unwrap().kind(), RunKind::Mlp);
        assert!(r2.manifest().files.is_empty());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn resume_needs_the_same_kind() {
        let d = scratch("resume");
        let e = RunFolder::create(&d, RunKind::Mlp, Mode::Resume).unwrap_err();
        assert!(
            e.to_string().contains("--resume needs an earlier run"),
            "{e}"
        );
        RunFolder::create(&d, RunKind::Mlp, Mode::New).unwrap();
        let e = RunFolder::create(&d, RunKind::LinearCv, Mode::Resume).unwrap_err();
        assert!(e.to_string().contains("holds a mlp run"), "{e}");
        assert!(RunFolder::create(&d, RunKind::Mlp, Mode::Resume).is_ok());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn an_edited_file_is_refused() {
        let d = scratch("edit");
        let mut r = RunFolder::create(&d, RunKind::LinearCv, Mode::New).unwrap();
        r.write("model.json", b"{\"a\": 1}").unwrap();
        let r = RunFolder::open(&d).unwrap();
        assert_eq!(r.read("model.json").unwrap(), b"{\"a\": 1}");
        std::fs::write(d.join("model.json"), b"{\"a\": 2}").unwrap();
        let e = r.read("model.json").unwrap_err();
        assert_eq!(e.kind(), "bad-model");
        assert!(e.to_string().contains("has changed"), "{e}");
        assert!(r.read_listed("other.json").is_err());
        let names: Vec<_> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn sha256_of_a_known_string() {
        // FIPS 180-2, appendix B.1.
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
