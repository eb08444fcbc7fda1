//! Stage 2 for the network commands: the TOML config under the flags (the options resolve
//! into the facade's `occam::Mlp` by `TrainOptions::mlp`); the rayon pool and checkpoints.

use crate::flags_nn::TrainOptions;
use crate::UserError;
use anyhow::{Context, Result};
use std::path::Path;

/// Flags over the TOML file: every option set on the command line replaces the file's.
pub fn merge(cli: &TrainOptions, config: Option<&Path>) -> Result<TrainOptions> {
    let Some(path) = config else {
        return Ok(cli.clone());
    };
    let text = std::fs::read_to_string(path).map_err(|e| occam_core::DataError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let file: TrainOptions = toml::from_str(&text).map_err(|e| {
        let (line, col) = e
            .span()
            .map(|s| {
                let before = &text[..s.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                (line, col)
            })
            .unwrap_or((0, 0));
        UserError(format!(
            "{}, line {line}, column {col}: {}",
            path.display(),
            e.message()
        ))
    })?;
    Ok(cli.over(&file))
}

/// Sets the rayon pool size once per process.
pub fn set_threads(threads: Option<usize>) -> Result<usize> {
    let n = threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if n == 0 {
        return Err(occam_core::DataError::param("--threads", "must be at least 1").into());
    }
    // A second call in the same process (tests) keeps the first pool.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build_global();
    Ok(rayon::current_num_threads())
}

/// Runs `f` on a thread of the rayon pool, so that the engine's parallel products start on a
/// worker (the other workers pick up their share while still spinning) instead of waking the
/// pool from outside for every product.
pub fn in_pool<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    let mut out = None;
    rayon::scope(|s| s.spawn(|_| out = Some(f())));
    out.expect("the pool ran the job")
}

pub fn read_checkpoint(path: &Path) -> Result<occam_nn::TrainState<f32>> {
    let bytes = std::fs::read(path).with_context(|| {
        format!(
            "cannot read the checkpoint {} (nothing to resume?)",
            path.display()
        )
    })?;
    occam_nn::TrainState::decode(&bytes)
        .with_context(|| format!("{} is not a usable checkpoint", path.display()))
}
