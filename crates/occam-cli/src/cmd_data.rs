//! `occam data inspect`: describe a CSV, libsvm or idx file.

use crate::flags::InspectArgs;
use crate::load::{self, Format};
use anyhow::Result;
use occam_core::{inspect, CsvOptions};

/// Peak resident memory of this process in MB (Linux), for the sparse-loading check.
pub fn peak_memory_mb() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

pub fn inspect(args: &InspectArgs) -> Result<()> {
    let src = load::resolve(&args.file)?;
    match src.format {
        Format::Csv | Format::Parquet => {
            let t = src.table()?;
            let s = inspect::summarize_table(&t, args.target.as_deref())?;
            print!("{s}");
            if let Some(p) = &args.json {
                crate::output::write_json(p, &s)?;
            }
        }
        Format::Libsvm => {
            let bytes_len = src.len();
            let d = load::dataset(&src, &CsvOptions::default(), None)?;
            drop(src);
            let s = inspect::summarize_dataset(&d, "libsvm");
            print!("{s}");
            println!("text size: {:.1} MB", bytes_len as f64 / 1e6);
            if let Some(p) = &args.json {
                crate::output::write_json(p, &s)?;
            }
        }
        Format::Idx => {
            let a = load::idx_array(&src)?;
            println!("{} (idx)", src.path.display());
            println!("dims: {:?}", a.dims);
            println!("items: {}", a.len());
            println!("values per item: {}", a.item_size());
            let (mn, mx) = a
                .data
                .iter()
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| {
                    (a.min(v), b.max(v))
                });
            let mean = a.data.iter().map(|&v| v as f64).sum::<f64>() / a.data.len().max(1) as f64;
            println!("values: min {mn}, mean {mean:.4}, max {mx}");
            if a.item_size() == 1 {
                let mut counts = std::collections::BTreeMap::new();
                for &v in &a.data {
                    *counts.entry(v as i64).or_insert(0usize) += 1;
                }
                let parts: Vec<String> = counts.iter().map(|(k, n)| format!("{k}: {n}")).collect();
                println!("labels: {}", parts.join(", "));
            }
        }
    }
    if let Some(mb) = peak_memory_mb() {
        println!("peak memory: {mb:.1} MB");
    }
    Ok(())
}
