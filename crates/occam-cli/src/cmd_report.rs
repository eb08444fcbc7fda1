//! `occam report RUN_DIR [RUN_DIR ...]`: reads a run folder (from `occam train`, or a linear
//! path/CV folder with path.json or cv.json) and writes RUN_DIR/report.html, one
//! self-contained page. Several folders: a comparison page (first-layer weight distributions
//! overlaid, metrics side by side) written to `--out`.

use crate::{output, UserError};
use anyhow::{Context, Result};
use occam::results::RunResult;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// Run folder(s): from `occam train`, or with cv.json / path.json from `occam linear`.
    #[arg(required = true)]
    pub runs: Vec<PathBuf>,
    /// Where to write the page (default RUN_DIR/report.html; required for several runs).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also write every plot as PNG into a `plots` folder beside the page.
    #[arg(long)]
    pub png: bool,
}

/// Rasterizes the plots of a written page into DIR/plots/figure-NN.png; returns how many.
fn write_pngs(page: &Path) -> Result<usize> {
    let html = std::fs::read_to_string(page)?;
    let dir = page.parent().unwrap_or(Path::new(".")).join("plots");
    std::fs::create_dir_all(&dir)
        .map_err(|e| UserError(format!("cannot create {}: {e}", dir.display())))?;
    if !occam_report::png::fonts_available() {
        eprintln!(
            "warning: no system font found; the PNGs have no text (install fonts-dejavu-core)"
        );
    }
    let svgs = occam_report::png::svgs_in(&html);
    for (i, svg) in svgs.iter().enumerate() {
        let png = occam_report::png::svg_to_png(svg, 2.0).map_err(|e| anyhow::anyhow!(e))?;
        output::write_atomic(&dir.join(format!("figure-{:02}.png", i + 1)), &png)?;
    }
    Ok(svgs.len())
}

pub fn run(a: &ReportArgs) -> Result<()> {
    if a.runs.len() > 1 {
        let out = a.out.clone().ok_or_else(|| {
            UserError("several run folders make a comparison page: give --out FILE.html".into())
        })?;
        let page = compare(&a.runs)?;
        output::write_atomic(&out, page.as_bytes())?;
        println!("wrote {}", out.display());
        if a.png {
            println!("wrote {} PNG plots", write_pngs(&out)?);
        }
        return Ok(());
    }
    let dir = &a.runs[0];
    let out = a.out.clone().unwrap_or_else(|| dir.join("report.html"));
    write(dir, &out)?;
    println!("wrote {}", out.display());
    if a.png {
        println!("wrote {} PNG plots", write_pngs(&out)?);
    }
    Ok(())
}

/// The end of a run: RUN_DIR/report.html unless `no_report`, and the folder's name.
pub fn finish_run(dir: &Path, no_report: bool) -> Result<()> {
    if !no_report {
        let report = dir.join("report.html");
        write(dir, &report)?;
        println!("wrote {}", report.display());
    }
    println!("wrote {}", dir.display());
    Ok(())
}

/// Writes the report of one run folder to `out`: the folder read back into its typed
/// results (`occam::results`), the page drawn from them (occam-report).
pub fn write(dir: &Path, out: &Path) -> Result<()> {
    let run = RunResult::read(dir)?;
    let page =
        occam_report::render(&dir.display().to_string(), &run).map_err(|e| anyhow::anyhow!(e))?;
    output::write_atomic(out, page.as_bytes())
}

/// First-layer weight distributions of several `occam train` runs overlaid, and their metrics.
fn compare(dirs: &[PathBuf]) -> Result<String> {
    let mut runs = Vec::new();
    for d in dirs {
        let label = d.file_name().map_or_else(
            || d.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        match RunResult::read(d)
            .with_context(|| format!("{} is not an `occam train` run", d.display()))?
        {
            RunResult::Network(r) => runs.push((label, *r)),
            _ => anyhow::bail!(UserError(format!(
                "{} is not an `occam train` run of an MLP or CNN; only those can be compared",
                d.display()
            ))),
        }
    }
    occam_report::compare(&runs).map_err(|e| anyhow::anyhow!(e))
}
