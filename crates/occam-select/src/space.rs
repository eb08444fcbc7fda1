//! A search space over hyperparameters, as written in TOML (one table per name):
//!
//! ```toml
//! [l1]
//! log = [1e-4, 1e-1]     # log-uniform
//! [dropout]
//! range = [0.0, 0.5]     # uniform
//! [width]
//! choice = [16, 32, 64]  # one of these values
//! [depth]
//! int = [1, 3]           # an integer in [1, 3]
//! ```
//!
//! Grid search takes `grid` points per continuous dimension (default 4; log-spaced for `log`).
//! Names a search understands: l1, l2, weight_decay, alpha, dropout, dropconnect, lr,
//! width, depth (a network) and alpha, lambda (a linear model).

use occam_core::rng::Rng;
use std::collections::BTreeMap;

/// The dimensions a search understands: a network's (l1, l2, weight_decay, alpha, dropout,
/// dropconnect, lr, width, depth) and a linear model's (alpha, lambda); each config refuses
/// the ones it has not.
pub const KNOWN: [&str; 10] = [
    "l1",
    "l2",
    "weight_decay",
    "alpha",
    "dropout",
    "dropconnect",
    "lr",
    "width",
    "depth",
    "lambda",
];

/// One dimension as written in the file.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DimSpec {
    pub log: Option<[f64; 2]>,
    pub range: Option<[f64; 2]>,
    pub choice: Option<Vec<f64>>,
    pub int: Option<[i64; 2]>,
    pub grid: Option<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Dim {
    LogUniform { lo: f64, hi: f64 },
    Uniform { lo: f64, hi: f64 },
    Choice(Vec<f64>),
    Int { lo: i64, hi: i64 },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Space {
    pub dims: Vec<(String, Dim)>,
    pub grid_points: Vec<usize>,
}

/// The smallest and largest value a dimension can take.
fn bounds(d: &Dim) -> (f64, f64) {
    match d {
        Dim::LogUniform { lo, hi } | Dim::Uniform { lo, hi } => (*lo, *hi),
        Dim::Choice(c) => c
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            }),
        Dim::Int { lo, hi } => (*lo as f64, *hi as f64),
    }
}

/// Each known hyperparameter's own range: a space that could propose a width of -3 or a
/// dropout of 1 is refused when it is read, not at the trial that draws it.
fn check_range(name: &str, d: &Dim) -> Result<(), String> {
    let (lo, hi) = bounds(d);
    let (ok, want) = match name {
        "width" | "depth" => (lo >= 1.0, "at least 1"),
        "l1" | "l2" | "weight_decay" => (lo >= 0.0, ">= 0"),
        "alpha" => (lo >= 0.0 && hi <= 1.0, "in [0, 1]"),
        "dropout" | "dropconnect" => (lo >= 0.0 && hi < 1.0, "in [0, 1)"),
        "lr" => (lo > 0.0, "> 0"),
        _ => (true, ""),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "[{name}]: values must be {want}; the space allows {lo} to {hi}"
        ))
    }
}

/// Parameter values of one trial, by name.
pub type Params = BTreeMap<String, f64>;

impl Space {
    /// Validates a parsed file; errors name the dimension.
    pub fn from_specs(specs: &BTreeMap<String, DimSpec>) -> Result<Space, String> {
        if specs.is_empty() {
            return Err("the space has no dimension".into());
        }
        let mut dims = Vec::new();
        let mut grid_points = Vec::new();
        for (name, s) in specs {
            if !KNOWN.contains(&name.as_str()) {
                return Err(format!(
                    "[{name}]: unknown hyperparameter; known: {}",
                    KNOWN.join(", ")
                ));
            }
            let given = [
                s.log.is_some(),
                s.range.is_some(),
                s.choice.is_some(),
                s.int.is_some(),
            ];
            if given.iter().filter(|g| **g).count() != 1 {
                return Err(format!(
                    "[{name}]: give exactly one of log, range, choice, int"
                ));
            }
            let d = if let Some([lo, hi]) = s.log {
                if !(lo > 0.0 && hi > lo && hi.is_finite()) {
                    return Err(format!("[{name}]: log = [{lo}, {hi}] needs 0 < lo < hi"));
                }
                Dim::LogUniform { lo, hi }
            } else if let Some([lo, hi]) = s.range {
                if !(hi > lo && lo.is_finite() && hi.is_finite()) {
                    return Err(format!("[{name}]: range = [{lo}, {hi}] needs lo < hi"));
                }
                Dim::Uniform { lo, hi }
            } else if let Some(c) = &s.choice {
                if c.is_empty() || c.iter().any(|v| !v.is_finite()) {
                    return Err(format!("[{name}]: choice needs finite values"));
                }
                Dim::Choice(c.clone())
            } else {
                let [lo, hi] = s.int.expect("one given");
                if hi < lo {
                    return Err(format!("[{name}]: int = [{lo}, {hi}] needs lo <= hi"));
                }
                Dim::Int { lo, hi }
            };
            check_range(name, &d)?;
            grid_points.push(s.grid.unwrap_or(4).max(1));
            dims.push((name.clone(), d));
        }
        Ok(Space { dims, grid_points })
    }

    /// A uniform draw (log-uniform for `log`).
    pub fn sample(&self, rng: &mut Rng) -> Params {
        self.dims
            .iter()
            .map(|(n, d)| (n.clone(), sample_dim(d, rng)))
            .collect()
    }

    /// The values a grid search visits per dimension.
    pub fn grid_values(&self) -> Vec<Vec<f64>> {
        self.dims
            .iter()
            .zip(&self.grid_points)
            .map(|((_, d), &k)| match d {
                Dim::LogUniform { lo, hi } => (0..k)
                    .map(|i| {
                        (lo.ln() + (hi.ln() - lo.ln()) * i as f64 / (k.max(2) - 1) as f64).exp()
                    })
                    .collect(),
                Dim::Uniform { lo, hi } => (0..k)
                    .map(|i| lo + (hi - lo) * i as f64 / (k.max(2) - 1) as f64)
                    .collect(),
                Dim::Choice(c) => c.clone(),
                Dim::Int { lo, hi } => (*lo..=*hi).map(|v| v as f64).collect(),
            })
            .collect()
    }

    pub fn grid_size(&self) -> usize {
        self.grid_values().iter().map(|v| v.len()).product()
    }

    /// The i-th point of the grid (row-major over dimensions in name order).
    pub fn grid_point(&self, mut i: usize) -> Option<Params> {
        let vals = self.grid_values();
        if i >= self.grid_size() {
            return None;
        }
        let mut p = Params::new();
        for ((n, _), v) in self.dims.iter().zip(&vals).rev() {
            p.insert(n.clone(), v[i % v.len()]);
            i /= v.len();
        }
        Some(p)
    }
}

pub fn sample_dim(d: &Dim, rng: &mut Rng) -> f64 {
    match d {
        Dim::LogUniform { lo, hi } => (lo.ln() + (hi.ln() - lo.ln()) * rng.uniform()).exp(),
        Dim::Uniform { lo, hi } => lo + (hi - lo) * rng.uniform(),
        Dim::Choice(c) => c[rng.below(c.len())],
        Dim::Int { lo, hi } => (*lo + rng.below((hi - lo + 1) as usize) as i64) as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(name: &str, spec: DimSpec) -> Result<Space, String> {
        let mut m = BTreeMap::new();
        m.insert(name.to_string(), spec);
        Space::from_specs(&m)
    }

    #[test]
    fn each_hyperparameter_keeps_its_own_range() {
        let int = |lo, hi| DimSpec {
            int: Some([lo, hi]),
            ..Default::default()
        };
        let e = one("width", int(-3, 8)).unwrap_err();
        assert!(e.contains("[width]") && e.contains("-3"), "{e}");
        assert!(one("width", int(1, 8)).is_ok());
        let choice = |c: Vec<f64>| DimSpec {
            choice: Some(c),
            ..Default::default()
        };
        assert!(one("dropout", choice(vec![0.0, 1.0])).is_err());
        assert!(one("dropout", choice(vec![0.0, 0.5])).is_ok());
        assert!(one("alpha", choice(vec![0.5, 1.5])).is_err());
        assert!(one("l1", choice(vec![-1e-3])).is_err());
    }
}
