//! Seeded, stratified train/validation/test splits and k-fold assignments.

use crate::error::{DataError, Result};
use crate::rng::Rng;

/// Row indices of a three-way split, each sorted ascending.
#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    pub train: Vec<usize>,
    pub validation: Vec<usize>,
    pub test: Vec<usize>,
}

/// Groups row indices by class (or one group when `classes` is None), each group shuffled.
fn shuffled_groups(n: usize, classes: Option<&[f64]>, rng: &mut Rng) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = match classes {
        None => vec![(0..n).collect()],
        Some(y) => {
            let k = y.iter().fold(0usize, |m, &v| m.max(v as usize + 1));
            let mut g = vec![Vec::new(); k];
            for (i, &v) in y.iter().enumerate() {
                g[v as usize].push(i);
            }
            g
        }
    };
    for g in &mut groups {
        rng.shuffle(g);
    }
    groups
}

/// Splits n rows into train / validation / test with the given fractions (test and validation
/// may be 0), stratified by class index when `classes` is given, reproducibly from `seed`.
pub fn train_val_test(
    n: usize,
    classes: Option<&[f64]>,
    val_frac: f64,
    test_frac: f64,
    seed: u64,
) -> Result<Split> {
    for (name, f) in [("val_fraction", val_frac), ("test_fraction", test_frac)] {
        if !(0.0..1.0).contains(&f) {
            return Err(DataError::param(name, format!("{f} is not in [0, 1)")));
        }
    }
    if val_frac + test_frac >= 1.0 {
        return Err(DataError::param(
            "val_fraction + test_fraction",
            format!("{} leaves no training rows", val_frac + test_frac),
        ));
    }
    let mut rng = Rng::new(seed);
    let mut s = Split {
        train: Vec::new(),
        validation: Vec::new(),
        test: Vec::new(),
    };
    for g in shuffled_groups(n, classes, &mut rng) {
        let m = g.len();
        let nt = (test_frac * m as f64).round() as usize;
        let nv = (val_frac * m as f64).round() as usize;
        s.test.extend(&g[..nt]);
        s.validation.extend(&g[nt..nt + nv]);
        s.train.extend(&g[nt + nv..]);
    }
    s.train.sort_unstable();
    s.validation.sort_unstable();
    s.test.sort_unstable();
    if s.train.is_empty() {
        return Err(DataError::param(
            "split",
            format!("{n} rows leave no training rows"),
        ));
    }
    Ok(s)
}

/// Assigns each of n rows a fold in 0..k, stratified by class index when `classes` is given:
/// each class is shuffled and dealt round-robin, continuing from where the last class stopped,
/// so fold sizes differ by at most one.
pub fn kfold(n: usize, k: usize, classes: Option<&[f64]>, seed: u64) -> Result<Vec<usize>> {
    if k < 2 {
        return Err(DataError::param(
            "folds",
            format!("{k} folds: at least 2 are needed"),
        ));
    }
    if k > n {
        return Err(DataError::param(
            "folds",
            format!("{k} folds for only {n} rows"),
        ));
    }
    let mut rng = Rng::new(seed);
    let mut fold = vec![0usize; n];
    let mut next = 0usize;
    for g in shuffled_groups(n, classes, &mut rng) {
        for i in g {
            fold[i] = next % k;
            next += 1;
        }
    }
    Ok(fold)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stratified_split_keeps_balance_and_is_seeded() {
        let y: Vec<f64> = (0..100).map(|i| if i < 30 { 1.0 } else { 0.0 }).collect();
        let s = train_val_test(100, Some(&y), 0.2, 0.1, 5).unwrap();
        assert_eq!(s.test.len(), 10);
        assert_eq!(s.validation.len(), 20);
        assert_eq!(s.test.iter().filter(|&&i| y[i] == 1.0).count(), 3);
        assert_eq!(s, train_val_test(100, Some(&y), 0.2, 0.1, 5).unwrap());
        assert_ne!(s, train_val_test(100, Some(&y), 0.2, 0.1, 6).unwrap());
        let mut all: Vec<usize> = s
            .train
            .iter()
            .chain(&s.validation)
            .chain(&s.test)
            .copied()
            .collect();
        all.sort_unstable();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn kfold_sizes_and_strata() {
        let y: Vec<f64> = (0..103).map(|i| (i % 3 == 0) as u8 as f64).collect();
        let f = kfold(103, 10, Some(&y), 1).unwrap();
        for k in 0..10 {
            let size = f.iter().filter(|&&v| v == k).count();
            assert!(size == 10 || size == 11, "fold {k} has {size}");
            let pos = (0..103).filter(|&i| f[i] == k && y[i] == 1.0).count();
            assert!((3..=4).contains(&pos), "fold {k} has {pos} positives");
        }
        assert!(kfold(5, 1, None, 0).is_err());
        assert!(kfold(5, 6, None, 0).is_err());
    }
}
