//! Stability selection for penalized GLMs.
//!
//! For each of `pairs` random splits of the rows into two disjoint halves (complementary
//! pairs, Shah & Samworth 2013), the lasso / elastic-net path is fitted on each half on the
//! full-data lambda grid, with the randomized lasso's penalty weights (Meinshausen &
//! Bühlmann 2010, section 3.1): each feature's penalty factor is `weakness` or 1 with equal
//! probability, drawn afresh per half (weakness 1 is the plain lasso). The selection
//! probability of feature j at lambda l is the share of the 2 * pairs halves where its
//! coefficient is non-zero.
//!
//! The lambda range Lambda runs from lambda_max down to the last lambda where the average
//! number of features selected anywhere on [lambda_max, lambda] per half, q_Lambda, is at most
//! `q` (default ceil(sqrt(0.8 p)), as MB suggest). A feature is stable when its largest
//! selection probability over Lambda reaches `threshold` (pi_thr). MB's Theorem 1, which also
//! holds for complementary pairs, bounds the expected number of falsely selected noise
//! features by q_Lambda^2 / ((2 pi_thr - 1) p), reported as `error_bound`.
//!
//! Correlated features split their selections: in each half the lasso tends to keep one
//! member of a highly correlated pair, so each member's probability can stay below the
//! threshold although the pair is selected every time. With `cluster_corr` (default 0.8) the
//! features selected in at least one half are grouped into clusters (complete linkage: every
//! pair in a cluster has |correlation| >= cluster_corr over the rows given; greedy, by
//! decreasing selection probability), and a cluster's selection probability
//! is the share of halves that select any member (cluster stability selection, Faletto &
//! Bien 2022). A stable cluster keeps all its members. For every cluster of two or more, the
//! result also counts how many of the single half-sample lasso fits at the end of Lambda kept
//! exactly one member.

use occam_core::rng::Rng;
use occam_core::Matrix;
use occam_linear::{fit_path, LinearError, PathConfig};
use rayon::prelude::*;

/// Settings.
///
/// | field | default | range |
/// |---|---|---|
/// | `pairs` | 50 | >= 1 (2 * pairs half-sample fits) |
/// | `weakness` | 0.8 | (0, 1]; 1 = plain lasso (MB use 0.2-0.8; 0.5 lost true features at n/2 = 100, p = 1000) |
/// | `q` | ceil(sqrt(0.8 p)) | >= 1 features selected per half over Lambda |
/// | `threshold` | 0.6 | (0.5, 1] |
/// | `seed` | 0 | any |
/// | `cluster_corr` | 0.8 | (0, 1]; None = every feature on its own |
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StabilityConfig {
    pub pairs: usize,
    pub weakness: f64,
    pub q: Option<usize>,
    pub threshold: f64,
    pub seed: u64,
    pub cluster_corr: Option<f64>,
}

impl Default for StabilityConfig {
    fn default() -> Self {
        StabilityConfig {
            pairs: 50,
            weakness: 0.8,
            q: None,
            threshold: 0.6,
            seed: 0,
            cluster_corr: Some(0.8),
        }
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct StabilityResult {
    /// The full-data lambda grid.
    pub lambda: Vec<f64>,
    /// Lambda = lambda[..=last]: the range the probabilities are maximised over.
    pub last: usize,
    /// Selection probability, indexed `[lambda][feature]`.
    pub prob: Vec<Vec<f64>>,
    /// Largest selection probability over Lambda, per feature.
    pub max_prob: Vec<f64>,
    /// The largest lambda in Lambda at which each feature reaches the threshold (None: never).
    pub stable_from: Vec<Option<f64>>,
    /// Stable features, by decreasing max_prob.
    pub selected: Vec<usize>,
    /// Average number of features selected anywhere on Lambda per half.
    pub q_lambda: f64,
    pub q_target: usize,
    pub threshold: f64,
    /// Bound on the expected number of false selections: q^2 / ((2 pi - 1) p).
    pub error_bound: f64,
    pub fits: usize,
    /// Clusters of two or more correlated features (see the module doc).
    pub clusters: Vec<Cluster>,
}

/// Correlated features treated as one unit.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Cluster {
    pub members: Vec<usize>,
    /// Largest share over Lambda of halves selecting any member.
    pub max_prob: f64,
    pub stable: bool,
    /// Half-sample fits at the end of Lambda that kept exactly one member, all members, none.
    pub fits_one_member: usize,
    pub fits_all_members: usize,
    pub fits_no_member: usize,
}

/// Column `j` centred and scaled to unit norm (all zeros when constant).
fn unit_column(x: &Matrix, j: usize) -> Vec<f64> {
    let n = x.nrows();
    let mut v = vec![0.0; n];
    x.for_each_in_col(j, |i, val| v[i] = val);
    let m = v.iter().sum::<f64>() / n as f64;
    v.iter_mut().for_each(|e| *e -= m);
    let norm = v.iter().map(|e| e * e).sum::<f64>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|e| *e /= norm);
    }
    v
}

/// Complete-linkage clusters of `cand` (in that order): a feature joins the first cluster
/// whose every member it correlates with at |r| >= `c`, else starts its own. Every pair
/// inside a cluster is that correlated (single linkage chains: on colon it merged about
/// 250 genes into one cluster). Only clusters of two or more are returned. Also the groups
/// of grouped permutation importance (`occam explain`).
pub fn correlated_clusters(x: &Matrix, cand: &[usize], c: f64) -> Vec<Vec<usize>> {
    let cols: Vec<Vec<f64>> = cand.par_iter().map(|&j| unit_column(x, j)).collect();
    let dot = |a: usize, b: usize| -> f64 {
        cols[a]
            .iter()
            .zip(&cols[b])
            .map(|(u, v)| u * v)
            .sum::<f64>()
            .abs()
    };
    let mut clusters: Vec<Vec<usize>> = Vec::new();
    for a in 0..cand.len() {
        match clusters
            .iter_mut()
            .find(|cl| cl.iter().all(|&b| dot(a, b) >= c))
        {
            Some(cl) => cl.push(a),
            None => clusters.push(vec![a]),
        }
    }
    clusters
        .into_iter()
        .filter(|cl| cl.len() > 1)
        .map(|cl| cl.into_iter().map(|a| cand[a]).collect())
        .collect()
}

fn invalid(param: &str, detail: String) -> LinearError {
    LinearError::Data(occam_core::DataError::param(param, detail))
}

/// Stability selection of the columns of `x` for target `y` under the penalty of `base`
/// (family, alpha, standardization; its lambda grid is recomputed on the full data).
pub fn stability_selection(
    x: &Matrix,
    y: &[f64],
    base: &PathConfig,
    cfg: &StabilityConfig,
) -> Result<StabilityResult, LinearError> {
    let (n, p) = (x.nrows(), x.ncols());
    if cfg.pairs == 0 {
        return Err(invalid("pairs", "must be at least 1".into()));
    }
    if let Some(q) = cfg.q {
        if q == 0 || q > p {
            return Err(invalid(
                "q",
                format!("{q} features per half is not between 1 and the {p} features"),
            ));
        }
    }
    if !(cfg.weakness > 0.0 && cfg.weakness <= 1.0) {
        return Err(invalid(
            "weakness",
            format!("{} is not in (0, 1]", cfg.weakness),
        ));
    }
    if !(cfg.threshold > 0.5 && cfg.threshold <= 1.0) {
        return Err(invalid(
            "threshold",
            format!("{} is not in (0.5, 1]", cfg.threshold),
        ));
    }
    if let Some(c) = cfg.cluster_corr {
        if !(c > 0.0 && c <= 1.0) {
            return Err(invalid("cluster_corr", format!("{c} is not in (0, 1]")));
        }
    }
    if n < 4 {
        return Err(invalid(
            "data",
            format!("{n} rows cannot be split into halves"),
        ));
    }
    let full = fit_path(x, y, base, None)?;
    let lambda = full.lambda.clone();
    let nl = lambda.len();
    let mut sub_cfg = base.clone();
    sub_cfg.lambda = Some(lambda.clone());
    let pf0 = base.penalty_factor.clone().unwrap_or_else(|| vec![1.0; p]);
    let half = n / 2;
    // Each half: selected sets per lambda index (a path that stopped early keeps its last set).
    let halves: Vec<Vec<Vec<usize>>> = (0..cfg.pairs)
        .into_par_iter()
        .map(|b| -> Result<Vec<Vec<Vec<usize>>>, LinearError> {
            let mut rng = Rng::stream(cfg.seed, b as u64);
            let mut rows: Vec<usize> = (0..n).collect();
            rng.shuffle(&mut rows);
            let parts = [&rows[..half], &rows[half..2 * half]];
            let mut out = Vec::with_capacity(2);
            for part in parts {
                let mut idx = part.to_vec();
                idx.sort_unstable();
                let xs = x.select_rows(&idx);
                let ys: Vec<f64> = idx.iter().map(|&i| y[i]).collect();
                let mut c = sub_cfg.clone();
                c.penalty_factor = Some(
                    pf0.iter()
                        .map(|&f| {
                            if rng.uniform() < 0.5 {
                                f * cfg.weakness
                            } else {
                                f
                            }
                        })
                        .collect(),
                );
                let fit = fit_path(&xs, &ys, &c, None)?;
                let fitted = fit.lambda.len();
                out.push(
                    (0..nl)
                        .map(|l| {
                            if fitted == 0 {
                                Vec::new()
                            } else {
                                fit.selected(l.min(fitted - 1))
                            }
                        })
                        .collect(),
                );
            }
            Ok(out)
        })
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect();
    let m = halves.len() as f64;
    let mut prob = vec![vec![0.0; p]; nl];
    let mut union_size = vec![0.0; nl];
    for sets in &halves {
        let mut seen = vec![false; p];
        let mut count = 0usize;
        for l in 0..nl {
            for &j in &sets[l] {
                prob[l][j] += 1.0 / m;
                if !seen[j] {
                    seen[j] = true;
                    count += 1;
                }
            }
            union_size[l] += count as f64 / m;
        }
    }
    let q_target = cfg
        .q
        .unwrap_or_else(|| (0.8 * p as f64).sqrt().ceil() as usize)
        .max(1);
    let last = (0..nl)
        .take_while(|&l| union_size[l] <= q_target as f64)
        .last()
        .unwrap_or(0);
    let max_prob: Vec<f64> = (0..p)
        .map(|j| (0..=last).map(|l| prob[l][j]).fold(0.0, f64::max))
        .collect();
    let stable_from: Vec<Option<f64>> = (0..p)
        .map(|j| {
            (0..=last)
                .find(|&l| prob[l][j] >= cfg.threshold)
                .map(|l| lambda[l])
        })
        .collect();
    let mut selected: Vec<usize> = (0..p).filter(|&j| max_prob[j] >= cfg.threshold).collect();
    let mut clusters = Vec::new();
    if let Some(c) = cfg.cluster_corr {
        let mut cand: Vec<usize> = (0..p).filter(|&j| max_prob[j] > 0.0).collect();
        cand.sort_by(|&a, &b| max_prob[b].total_cmp(&max_prob[a]).then(a.cmp(&b)));
        for members in correlated_clusters(x, &cand, c) {
            let any =
                |sets: &Vec<Vec<usize>>, l: usize| sets[l].iter().any(|j| members.contains(j));
            let cp = (0..=last)
                .map(|l| halves.iter().filter(|h| any(h, l)).count() as f64 / m)
                .fold(0.0, f64::max);
            let kept = |h: &Vec<Vec<usize>>| members.iter().filter(|j| h[last].contains(j)).count();
            let stable = cp >= cfg.threshold;
            if stable {
                for &j in &members {
                    if !selected.contains(&j) {
                        selected.push(j);
                    }
                }
            }
            clusters.push(Cluster {
                max_prob: cp,
                stable,
                fits_one_member: halves.iter().filter(|h| kept(h) == 1).count(),
                fits_all_members: halves.iter().filter(|h| kept(h) == members.len()).count(),
                fits_no_member: halves.iter().filter(|h| kept(h) == 0).count(),
                members,
            });
        }
    }
    // By decreasing probability, a cluster's members after its best one.
    let cluster_prob = |j: usize| {
        clusters
            .iter()
            .find(|c| c.members.contains(&j))
            .map_or(max_prob[j], |c| c.max_prob.max(max_prob[j]))
    };
    selected.sort_by(|&a, &b| {
        cluster_prob(b)
            .total_cmp(&cluster_prob(a))
            .then(max_prob[b].total_cmp(&max_prob[a]))
            .then(a.cmp(&b))
    });
    let q_lambda = union_size[last];
    Ok(StabilityResult {
        lambda,
        last,
        prob,
        error_bound: q_lambda * q_lambda / ((2.0 * cfg.threshold - 1.0) * p as f64),
        max_prob,
        stable_from,
        selected,
        q_lambda,
        q_target,
        threshold: cfg.threshold,
        fits: halves.len(),
        clusters,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use occam_core::DenseMatrix;

    #[test]
    fn clusters_are_complete_linkage_so_a_chain_does_not_merge() {
        // a ~ b and b ~ c at |r| ~ 0.7, but a and c are unrelated: at 0.6 single linkage would
        // chain all three; complete linkage keeps {a, b} (a comes first) and leaves c alone.
        // d is noise.
        let mut r = Rng::new(7);
        let n = 400;
        let z: Vec<Vec<f64>> = (0..4)
            .map(|_| (0..n).map(|_| r.normal()).collect())
            .collect();
        let a = z[0].clone();
        let b: Vec<f64> = (0..n)
            .map(|i| 0.7 * z[0][i] + 0.7 * z[1][i] + 0.1 * z[2][i])
            .collect();
        let c: Vec<f64> = (0..n).map(|i| z[1][i] + 0.15 * z[2][i]).collect();
        let d = z[3].clone();
        let x = Matrix::Dense(DenseMatrix::from_columns(n, vec![a, b, c, d]));
        let r_ab = unit_column(&x, 0)
            .iter()
            .zip(unit_column(&x, 1))
            .map(|(u, v)| u * v)
            .sum::<f64>();
        let r_bc = unit_column(&x, 1)
            .iter()
            .zip(unit_column(&x, 2))
            .map(|(u, v)| u * v)
            .sum::<f64>();
        let r_ac = unit_column(&x, 0)
            .iter()
            .zip(unit_column(&x, 2))
            .map(|(u, v)| u * v)
            .sum::<f64>();
        assert!(
            r_ab > 0.6 && r_bc > 0.6 && r_ac < 0.2,
            "{r_ab} {r_bc} {r_ac}"
        );
        let cl = correlated_clusters(&x, &[0, 1, 2, 3], 0.6);
        assert_eq!(cl, vec![vec![0, 1]]);
        // Starting from c, c and b pair up instead.
        assert_eq!(
            correlated_clusters(&x, &[2, 1, 0, 3], 0.6),
            vec![vec![2, 1]]
        );
    }
}
