//! The lambda loop: lambda_max and the grid, warm starts, sequential strong rules with a KKT
//! check after each point, glmnet's early stopping, and the optional certified duality gap.

use crate::error::PathWarning;

/// glmnet's stand-in for an infinite lambda (only unpenalized features move).
pub(crate) const BIG: f64 = 9.9e35;
/// Early stops start after this many lambdas (glmnet's mnlam).
const MIN_LAMBDAS: usize = 5;
/// Stop when the fraction of deviance explained exceeds this (glmnet's devmax).
const DEV_MAX: f64 = 0.999;
/// Stop when the deviance ratio changes less than this (glmnet's fdev).
const FDEV: f64 = 1e-5;
/// Tightening rounds per point towards a gap target, and the smallest threshold factor
/// (below it the threshold is under the rounding of the updates): a gap the rounding does
/// not let close ends the loop with a warning.
const MAX_TIGHTEN: usize = 8;
const MIN_FACTOR: f64 = 1e-14;

/// What the path loop needs of a point solver (single-response or multinomial).
pub(crate) trait Solver {
    /// Solves at `lambda` over the working set `ws` of features, warm-started; false when
    /// the pass limit was reached.
    fn solve(&mut self, lambda: f64, ws: &[usize]) -> bool;
    /// Solves again with the convergence threshold multiplied by `factor`.
    fn tighten(&mut self, lambda: f64, ws: &[usize], factor: f64) -> bool;
    /// Per feature, the size of the loss gradient that the penalty must balance
    /// (|g_j|, or the largest or the norm over classes).
    fn scores(&self) -> Vec<f64>;
    /// Scores good enough for the KKT check and the duality gap at a point where feature j
    /// must satisfy score_j <= `limit[j]`: exact for the working set `ws` and for every
    /// feature that might violate its limit; for the others an upper bound below the limit
    /// may stand in (it changes neither the check nor the gap).
    /// The second vector holds estimates for the strong rule at the next lambda: the exact
    /// score where one was computed, an earlier exact score where a bound stands in.
    fn screened_scores(&mut self, ws: &[usize], limit: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let _ = (ws, limit);
        let s = self.scores();
        (s.clone(), s)
    }
    fn deviance(&self) -> f64;
    fn null_deviance(&self) -> f64;
    /// Features with a non-zero coefficient (any class).
    fn nonzero(&self) -> Vec<usize>;
    /// Intercepts and coefficients per class, standardized scale.
    fn coefs(&self) -> (Vec<f64>, Vec<Vec<f64>>);
    /// Certified relative duality gap, where the family has one; `scores` are those of the
    /// current solution (the gap needs only |gradient|).
    fn relative_gap(&self, lambda: f64, scores: &[f64]) -> Option<f64>;
    fn passes(&self) -> usize;
    fn reset_passes(&mut self);
}

/// How the lambdas are chosen.
pub(crate) enum Lambdas {
    /// glmnet's grid: nlambda values from lambda_max down to ratio * lambda_max, log-spaced.
    Auto { nlambda: usize, ratio: f64 },
    /// These values, sorted decreasing, no early stop.
    User(Vec<f64>),
}

/// Settings of the loop.
pub(crate) struct LoopSettings<'a> {
    pub alpha: f64,
    pub pf: &'a [f64],
    pub usable: &'a [bool],
    pub dfmax: usize,
    pub gap_tol: Option<f64>,
    pub stop: StopRule,
    /// Called after each lambda with (lambdas done, lambdas in the grid).
    pub progress: &'a (dyn Fn(usize, usize) -> bool + Sync),
}

/// glmnet's test of a flattening deviance ratio, which differs by family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StopRule {
    /// Gaussian: one-step change below FDEV times the ratio.
    Relative,
    /// Binomial, multinomial: one-step change below FDEV.
    Absolute,
    /// Poisson: change over the last MIN_LAMBDAS - 1 steps below 10 FDEV times the ratio.
    Window,
}

/// One coefficient vector on the standardized scale, its nonzeros only: the path of a wide
/// design holds a few hundred nonzeros per lambda, not p numbers.
#[derive(Clone, Debug, Default)]
pub(crate) struct Coefs {
    pub idx: Vec<usize>,
    pub val: Vec<f64>,
}

impl Coefs {
    pub fn from_dense(b: &[f64]) -> Coefs {
        let mut c = Coefs::default();
        for (j, &v) in b.iter().enumerate() {
            if v != 0.0 {
                c.idx.push(j);
                c.val.push(v);
            }
        }
        c
    }

    pub fn iter(&self) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.idx.iter().copied().zip(self.val.iter().copied())
    }
}

/// The path on the standardized scale.
pub(crate) struct RawPath {
    pub lambda: Vec<f64>,
    pub a0: Vec<Vec<f64>>,
    /// `beta[l][k]`: lambda l, class k.
    pub beta: Vec<Vec<Coefs>>,
    pub dev_ratio: Vec<f64>,
    pub null_dev: f64,
    pub gap: Vec<Option<f64>>,
    pub passes: usize,
    pub warnings: Vec<PathWarning>,
    /// The caller's progress callback asked to stop (an interrupt): the path is partial.
    pub interrupted: bool,
}

/// Features outside the working set `ws` whose score exceeds its L1 bound `limit[j]`
/// (lambda * alpha * pf_j; infinite for unusable features).
fn kkt_violators(scores: &[f64], ws: &[usize], limit: &[f64]) -> Vec<usize> {
    let mut in_ws = vec![false; scores.len()];
    ws.iter().for_each(|&j| in_ws[j] = true);
    (0..scores.len())
        .filter(|&j| !in_ws[j] && scores[j] > limit[j] * (1.0 + 1e-12))
        .collect()
}

/// Runs the path.
pub(crate) fn run(s: &mut dyn Solver, lambdas: Lambdas, cfg: &LoopSettings) -> RawPath {
    let p = cfg.pf.len();
    let mut warnings = Vec::new();
    let mut total_passes = 0;
    // Fit the unpenalized features alone (lambda = infinity); lambda_max is where the first
    // penalized feature would enter.
    let mut ever: Vec<bool> = (0..p).map(|j| cfg.usable[j] && cfg.pf[j] == 0.0).collect();
    let ws0: Vec<usize> = (0..p).filter(|&j| ever[j]).collect();
    s.solve(BIG, &ws0);
    total_passes += s.passes();
    let mut scores = s.scores();
    let mut strong = scores.clone();
    let amax = cfg.alpha.max(1e-3);
    let lambda_max = (0..p)
        .filter(|&j| cfg.usable[j] && cfg.pf[j] > 0.0)
        .map(|j| scores[j] / (amax * cfg.pf[j]))
        .fold(0.0f64, f64::max);
    let (grid, auto) = match lambdas {
        Lambdas::Auto { nlambda, ratio } => {
            let g = if nlambda == 1 {
                vec![lambda_max]
            } else {
                (0..nlambda)
                    .map(|k| lambda_max * ratio.powf(k as f64 / (nlambda - 1) as f64))
                    .collect()
            };
            (g, true)
        }
        Lambdas::User(v) => (v, false),
    };
    let null_dev = s.null_deviance();
    let mut out = RawPath {
        lambda: Vec::new(),
        a0: Vec::new(),
        beta: Vec::new(),
        dev_ratio: Vec::new(),
        null_dev,
        gap: Vec::new(),
        passes: 0,
        warnings: Vec::new(),
        interrupted: false,
    };
    let mut prev_lambda = lambda_max;
    // With a gap target, each point starts at the threshold factor the previous point ended
    // with (neighbouring points need about the same), instead of climbing to it from 1 in
    // tightening rounds that each re-solve; loosened tenfold when that over-solved, and back
    // to 1 after a point that missed the target.
    let mut start = 1.0f64;
    for (m, &lam) in grid.iter().enumerate() {
        s.reset_passes();
        // Sequential strong rule (Tibshirani et al. 2012): discard j when
        // |g_j| < alpha * pf_j * (2 lambda - lambda_prev).
        let cut = cfg.alpha * (2.0 * lam - prev_lambda);
        let mut ws: Vec<usize> = (0..p)
            .filter(|&j| cfg.usable[j] && (ever[j] || strong[j] >= cut * cfg.pf[j]))
            .collect();
        let limit: Vec<f64> = (0..p)
            .map(|j| {
                if cfg.usable[j] {
                    lam * cfg.alpha * cfg.pf[j]
                } else {
                    f64::INFINITY
                }
            })
            .collect();
        let mut converged = true;
        // At lambda_max of the automatic grid the solution is the one just found: nothing
        // penalized may enter (solving again could let rounding admit a 1e-17 coefficient).
        let at_max = auto && m == 0;
        if !at_max {
            loop {
                converged = if cfg.gap_tol.is_some() {
                    s.tighten(lam, &ws, start)
                } else {
                    s.solve(lam, &ws)
                };
                (scores, strong) = s.screened_scores(&ws, &limit);
                // KKT check on the discarded features.
                let violators = kkt_violators(&scores, &ws, &limit);
                if violators.is_empty() || !converged {
                    break;
                }
                ws.extend(violators);
                ws.sort_unstable();
            }
        }
        let mut gap = s.relative_gap(lam, &scores);
        if let (Some(tol), Some(g)) = (cfg.gap_tol, gap) {
            let mut factor = start;
            let first = g;
            let mut g = g;
            let mut rounds = 0;
            while g > tol && rounds < MAX_TIGHTEN && factor > MIN_FACTOR && converged {
                rounds += 1;
                // The gap of the rescaled-residual dual point shrinks like sqrt(threshold):
                // tighten by the square of the shortfall (within [1e-4, 0.1]) instead of a
                // fixed step, so the point is not over-solved.
                factor = (factor * ((tol / g).powi(2) * 0.5).clamp(1e-4, 0.1)).max(MIN_FACTOR);
                converged = s.tighten(lam, &ws, factor);
                (scores, strong) = s.screened_scores(&ws, &limit);
                // A tighter solution can push a discarded feature over its KKT bound: admit
                // it, or the gap could never close.
                let late = kkt_violators(&scores, &ws, &limit);
                if !late.is_empty() {
                    ws.extend(late);
                    ws.sort_unstable();
                    converged = s.tighten(lam, &ws, factor);
                    (scores, strong) = s.screened_scores(&ws, &limit);
                }
                g = s.relative_gap(lam, &scores).unwrap_or(0.0);
            }
            gap = Some(g);
            start = if g > tol {
                1.0
            } else if first < 0.01 * tol {
                (factor * 10.0).min(1.0)
            } else {
                factor
            };
            if g > tol {
                warnings.push(PathWarning::GapNotReached {
                    lambda_index: m,
                    gap: g,
                });
            }
        }
        if !converged {
            warnings.push(PathWarning::MaxPasses {
                lambda_index: m,
                passes: s.passes(),
            });
        }
        total_passes += s.passes();
        let nz = s.nonzero();
        nz.iter().for_each(|&j| ever[j] = true);
        let dev = s.deviance();
        let ratio = if null_dev > 0.0 {
            1.0 - dev / null_dev
        } else {
            0.0
        };
        let (a0, beta) = s.coefs();
        out.lambda.push(lam);
        out.a0.push(a0);
        out.beta
            .push(beta.iter().map(|b| Coefs::from_dense(b)).collect());
        out.gap.push(gap);
        out.dev_ratio.push(ratio);
        prev_lambda = lam;
        if !(cfg.progress)(m + 1, grid.len()) {
            out.interrupted = true;
            break;
        }
        // glmnet checks its early stops from the MIN_LAMBDAS-th lambda on; a shorter grid
        // (nlambda < 5) ends before any check could matter.
        if !auto || m + 1 < MIN_LAMBDAS {
            continue;
        }
        let r = &out.dev_ratio;
        let small = match cfg.stop {
            StopRule::Relative => ratio - r[m - 1] < FDEV * ratio,
            StopRule::Absolute => ratio - r[m - 1] < FDEV,
            StopRule::Window => (ratio - r[m + 1 - MIN_LAMBDAS]) / ratio < 10.0 * FDEV,
        };
        if nz.len() > cfg.dfmax || small || ratio > DEV_MAX {
            break;
        }
    }
    out.passes = total_passes;
    out.warnings = warnings;
    out
}
