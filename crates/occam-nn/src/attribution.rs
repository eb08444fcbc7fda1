//! Gradient attributions of a network's outputs to its inputs, in evaluation mode (dropout
//! off, batch norm by its running statistics): the input gradient, and integrated gradients
//! (Sundararajan, Taly & Yan 2017).
//!
//! Integrated gradients of output `t` at row x against a baseline b are
//! `(x_j - b_j) * integral_0^1 d f_t(b + a (x - b)) / d x_j da`. Their sum over j equals
//! `f_t(x) - f_t(b)` (completeness) when the integral is exact. Three ways to compute it:
//! - a fixed rule of `steps` points (`tol: None`): Gauss-Legendre or Captum's Riemann rules,
//!   as Captum computes them, point for point;
//! - networks that are piecewise linear (ReLU, max and average pooling, dense, convolution,
//!   batch norm in evaluation): f is piecewise linear along the path, so the integral is
//!   found exactly by locating the kinks ([`piecewise_linear`]; the kink rule);
//! - other networks (GELU, tanh, sigmoid, layer norm, LSTM, GRU): composite 5-point
//!   Gauss-Legendre panels, bisected where a panel's completeness gap (its estimate's sum
//!   against f at its two ends, the exact integral of that sum) exceeds its share of the
//!   row's budget.
//!
//! Everything here runs in the network's own input space (standardized features); the
//! attributions `(x - b) * gradient` do not depend on an affine rescaling of the inputs.

mod kinks;

use crate::error::Result;
use crate::layer::{ActKind, Layer};
use crate::mat::{Batch, Mat};
use crate::net::Net;
use crate::real::Real;
use crate::tensors::{load_net_tensors, net_tensors, Named};

/// The quadrature rule of integrated gradients, as Captum names and defines them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Quadrature {
    /// Gauss-Legendre nodes and weights mapped to [0, 1] (Captum's default).
    GaussLegendre,
    /// Points k/n, k = 0..n-1, weights 1/n.
    RiemannLeft,
    /// Points k/n, k = 1..n, weights 1/n.
    RiemannRight,
    /// Points (k + 1/2)/n, weights 1/n.
    RiemannMiddle,
    /// Captum's trapezoid: n points from 0 to 1 inclusive, weights 1/n with the two ends
    /// halved. Its weights sum to 1 - 1/n, not 1, so the sum of its attributions falls
    /// short of f(x) - f(b) by about 1/n of it: kept for parity with Captum.
    RiemannTrapezoid,
}

impl Quadrature {
    /// Parses Captum's names: `gausslegendre`, `riemann_left`, `riemann_right`,
    /// `riemann_middle`, `riemann_trapezoid`.
    pub fn parse(s: &str) -> Option<Quadrature> {
        match s {
            "gausslegendre" => Some(Quadrature::GaussLegendre),
            "riemann_left" => Some(Quadrature::RiemannLeft),
            "riemann_right" => Some(Quadrature::RiemannRight),
            "riemann_middle" => Some(Quadrature::RiemannMiddle),
            "riemann_trapezoid" => Some(Quadrature::RiemannTrapezoid),
            _ => None,
        }
    }

    /// Captum's name.
    pub fn name(self) -> &'static str {
        match self {
            Quadrature::GaussLegendre => "gausslegendre",
            Quadrature::RiemannLeft => "riemann_left",
            Quadrature::RiemannRight => "riemann_right",
            Quadrature::RiemannMiddle => "riemann_middle",
            Quadrature::RiemannTrapezoid => "riemann_trapezoid",
        }
    }

    /// The points a in [0, 1] and their weights for `steps` points (at least 2 for the
    /// Riemann rules, as Captum requires; fewer are taken as 2).
    pub fn nodes(self, steps: usize) -> (Vec<f64>, Vec<f64>) {
        if self == Quadrature::GaussLegendre {
            let (x, w) = gauss_legendre(steps);
            return (
                x.iter().map(|v| 0.5 * (1.0 + v)).collect(),
                w.iter().map(|v| 0.5 * v).collect(),
            );
        }
        let n = steps.max(2);
        let nf = n as f64;
        let mut w = vec![1.0 / nf; n];
        let a = match self {
            Quadrature::RiemannLeft => (0..n).map(|k| k as f64 / nf).collect(),
            Quadrature::RiemannRight => (1..=n).map(|k| k as f64 / nf).collect(),
            Quadrature::RiemannMiddle => (0..n).map(|k| (k as f64 + 0.5) / nf).collect(),
            _ => {
                w[0] /= 2.0;
                w[n - 1] /= 2.0;
                (0..n).map(|k| k as f64 / (nf - 1.0)).collect()
            }
        };
        (a, w)
    }
}

/// Gauss-Legendre nodes (ascending) and weights on [-1, 1]: the roots of the Legendre
/// polynomial P_n by Newton's method from Tricomi's estimate, w = 2 / ((1 - x^2) P_n'(x)^2).
pub fn gauss_legendre(n: usize) -> (Vec<f64>, Vec<f64>) {
    let n = n.max(1);
    let mut x = vec![0.0; n];
    let mut w = vec![0.0; n];
    let nf = n as f64;
    // P_n(z) and P_n'(z) by the three-term recurrence
    let legendre = |z: f64| -> (f64, f64) {
        let (mut p0, mut p1) = (1.0, z);
        for k in 2..=n {
            let kf = k as f64;
            let p2 = ((2.0 * kf - 1.0) * z * p1 - (kf - 1.0) * p0) / kf;
            p0 = p1;
            p1 = p2;
        }
        if n == 1 {
            return (z, 1.0);
        }
        (p1, nf * (z * p1 - p0) / (z * z - 1.0))
    };
    for i in 0..n.div_ceil(2) {
        let mut z = (std::f64::consts::PI * (i as f64 + 0.75) / (nf + 0.5)).cos();
        for _ in 0..100 {
            let (p, dp) = legendre(z);
            let dz = p / dp;
            z -= dz;
            if dz.abs() < 1e-16 {
                break;
            }
        }
        let (_, dp) = legendre(z);
        let wi = 2.0 / ((1.0 - z * z) * dp * dp);
        // z is the i-th largest root; the nodes are symmetric about 0
        x[n - 1 - i] = z;
        x[i] = -z;
        w[n - 1 - i] = wi;
        w[i] = wi;
    }
    if n % 2 == 1 {
        x[n / 2] = 0.0;
    }
    (x, w)
}

/// The network `net` in another precision (attributions run in f64 on a model trained in
/// f32, so the quadrature, not rounding, bounds their completeness).
pub fn cast<R: Real, S: Real>(net: &Net<R>) -> Result<Net<S>> {
    let tensors: Vec<Named<S>> = net_tensors(net)
        .into_iter()
        .map(|t| Named {
            name: t.name,
            shape: t.shape,
            data: t.data.iter().map(|v| S::of(v.f64())).collect(),
        })
        .collect();
    let mut out = Net::new(&net.spec, 0);
    load_net_tensors(&mut out, &tensors)?;
    Ok(out)
}

/// d f_t / d x for every row of `x` (in evaluation mode), `t = target[i]` for row i: an
/// `n x p` row-major matrix in f64.
pub fn input_gradients<R: Real>(net: &mut Net<R>, x: &Mat<R>, target: &[usize]) -> Vec<f64> {
    let (n, n_out) = (x.rows, net.spec.n_out);
    assert_eq!(target.len(), n, "one target per row");
    net.forward_eval(Batch::Dense(x));
    let mut gy = Mat::zeros(n, n_out);
    for (i, &t) in target.iter().enumerate() {
        gy.data[i * n_out + t] = R::one();
    }
    let g = net.backward_to_input(Batch::Dense(x), &gy);
    g.data.iter().map(|v| v.f64()).collect()
}

/// Output `target[i]` of every row (evaluation mode), in f64.
pub fn outputs_at<R: Real>(net: &mut Net<R>, x: &Mat<R>, target: &[usize]) -> Vec<f64> {
    let n_out = net.spec.n_out;
    let out = net.forward_eval(Batch::Dense(x));
    target
        .iter()
        .enumerate()
        .map(|(i, &t)| out.data[i * n_out + t].f64())
        .collect()
}

/// Settings of [`integrated_gradients`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IgConfig {
    /// Gradient evaluations on the path (Captum's `n_steps`, 50); with a tolerance, the
    /// adaptive rules start from `steps / 5` equal panels or stretches.
    pub steps: usize,
    /// The quadrature rule of a fixed-step run (Gauss-Legendre).
    pub quadrature: Quadrature,
    /// `None`: one `steps`-point rule over the whole path, as Captum computes it.
    /// `Some(tol)`: the kink rule for piecewise-linear networks (exact, whatever `tol`), the
    /// adaptive panels otherwise, refined until each row's completeness error (see
    /// [`IgResult::error`]) is at most `tol` (1e-3).
    pub tol: Option<f64>,
    /// The most gradient evaluations a row may take under the adaptive rule.
    pub max_steps: usize,
    /// Rows of one forward and backward batch.
    pub batch: usize,
}

impl Default for IgConfig {
    fn default() -> IgConfig {
        IgConfig {
            steps: 50,
            quadrature: Quadrature::GaussLegendre,
            tol: Some(1e-3),
            max_steps: 50 << 7,
            batch: 1024,
        }
    }
}

/// Integrated gradients of a set of rows.
#[derive(Clone, Debug, PartialEq)]
pub struct IgResult {
    /// Attributions, `n x p` row-major.
    pub attributions: Vec<f64>,
    /// f_t(x) per row.
    pub f_x: Vec<f64>,
    /// f_t(baseline) per row.
    pub f_baseline: Vec<f64>,
    /// The gradient evaluations each row took.
    pub steps: Vec<usize>,
    /// Completeness error per row: |sum_j attribution - (f(x) - f(b))| divided by
    /// max(|f(x) - f(b)|, 1% of the mean |f(x) - f(b)| over the rows).
    pub error: Vec<f64>,
}

/// Whether every layer is affine or piecewise linear in its input in evaluation mode
/// (dense, convolution, pooling, dropout, batch norm, ReLU): then f is piecewise linear
/// along any straight path and its gradient piecewise constant.
pub fn piecewise_linear<R: Real>(net: &Net<R>) -> bool {
    net.layers.iter().all(|l| match l {
        Layer::Dense(_) | Layer::Conv(_) | Layer::Pool(_) | Layer::Dropout(_) => true,
        Layer::BatchNorm(_) => true,
        Layer::Act(a) => a.kind == ActKind::Relu,
        Layer::LayerNorm(_) | Layer::Lstm(_) | Layer::Gru(_) => false,
    })
}

/// Gauss-Legendre points per panel of the adaptive rule.
const PANEL_POINTS: usize = 5;

/// One panel [a, c] of a row's path under the adaptive rule: its Gauss-Legendre estimate of
/// the attributions over the panel, and f at both ends (the exact integral of their sum).
struct Panel {
    a: f64,
    c: f64,
    fa: f64,
    fc: f64,
    v: Vec<f64>,
}

impl Panel {
    /// |sum of the estimate - (f(c) - f(a))|: the panel's completeness error.
    fn gap(&self) -> f64 {
        (self.v.iter().sum::<f64>() - (self.fc - self.fa)).abs()
    }
}

/// Integrated gradients of output `target[i]` for every row of `x` against `baseline` (one
/// row of p values), in the network's input space.
///
/// With a tolerance, a piecewise-linear network takes the kink rule (`kinks.rs`, exact), any
/// other the adaptive panels: the path of each row is cut into panels of 5-point
/// Gauss-Legendre rules (`steps / 5` of them to start). The exact integral of a panel's
/// attribution sum is f at its right end minus f at its left end, so each panel's
/// completeness gap is known; the panels whose gap exceeds their share of the row's budget
/// `tol * scale` are bisected until the gaps add up to at most the budget (or the row
/// reaches `max_steps`).
pub fn integrated_gradients<R: Real>(
    net: &mut Net<R>,
    x: &Mat<R>,
    baseline: &[R],
    target: &[usize],
    cfg: &IgConfig,
) -> IgResult {
    let (n, p) = (x.rows, x.cols);
    assert_eq!(baseline.len(), p, "baseline width");
    assert_eq!(target.len(), n, "one target per row");
    let f_x = outputs_at(net, x, target);
    // one pass at the baseline serves every row (only the output picked differs)
    let at_b = net
        .forward_eval(Batch::Dense(&Mat::from_vec(1, p, baseline.to_vec())))
        .data
        .clone();
    let f_b: Vec<f64> = target.iter().map(|&t| at_b[t].f64()).collect();
    let mean_d = f_x
        .iter()
        .zip(&f_b)
        .map(|(a, b)| (a - b).abs())
        .sum::<f64>()
        / n.max(1) as f64;
    let denom: Vec<f64> = (0..n)
        .map(|i| {
            (f_x[i] - f_b[i])
                .abs()
                .max(0.01 * mean_d)
                .max(f64::MIN_POSITIVE)
        })
        .collect();
    let mut attributions = vec![0.0; n * p];
    let mut steps = vec![0; n];
    let batch = cfg.batch.max(1);
    match cfg.tol {
        None => {
            let s = cfg.steps.max(1);
            let (alphas, weights) = cfg.quadrature.nodes(s);
            let rows: Vec<usize> = (0..n).collect();
            for chunk in rows.chunks((batch / s).max(1)) {
                let mut pts = Vec::with_capacity(chunk.len() * s);
                for &i in chunk {
                    pts.extend(alphas.iter().map(|&a| (i, a)));
                }
                let g = path_gradients(net, x, baseline, target, &pts);
                for (c, &i) in chunk.iter().enumerate() {
                    let out = &mut attributions[i * p..(i + 1) * p];
                    for (k, &w) in weights.iter().enumerate() {
                        let gr = &g[(c * s + k) * p..(c * s + k + 1) * p];
                        out.iter_mut().zip(gr).for_each(|(o, &gv)| *o += w * gv);
                    }
                    scale_by_difference(out, x.row(i), baseline);
                    steps[i] = s;
                }
            }
        }
        Some(tol) => {
            let panels0 = cfg.steps.div_ceil(PANEL_POINTS).max(1);
            // rows in groups, so the panels' vectors stay a bounded size
            let per_group = (batch / cfg.steps.max(1)).clamp(1, 64);
            let all: Vec<usize> = (0..n).collect();
            let linear_pieces = piecewise_linear(net);
            let rows = PathRows {
                x,
                baseline,
                target,
                f_x: &f_x,
                f_b: &f_b,
            };
            for group in all.chunks(per_group) {
                if linear_pieces {
                    kinks::kinks(
                        net,
                        &rows,
                        group,
                        panels0,
                        cfg,
                        &mut attributions,
                        &mut steps,
                    );
                } else {
                    let budget: Vec<f64> = group.iter().map(|&i| tol * denom[i]).collect();
                    adaptive(
                        net,
                        &rows,
                        group,
                        panels0,
                        &budget,
                        cfg,
                        &mut attributions,
                        &mut steps,
                    );
                }
            }
        }
    }
    let error = (0..n)
        .map(|i| {
            let sum: f64 = attributions[i * p..(i + 1) * p].iter().sum();
            (sum - (f_x[i] - f_b[i])).abs() / denom[i]
        })
        .collect();
    IgResult {
        attributions,
        f_x,
        f_baseline: f_b,
        steps,
        error,
    }
}

/// out_j *= x_j - b_j.
fn scale_by_difference<R: Real>(out: &mut [f64], x: &[R], baseline: &[R]) {
    for ((o, xj), bj) in out.iter_mut().zip(x).zip(baseline) {
        *o *= xj.f64() - bj.f64();
    }
}

/// The point b + a (x_i - b) of each (row i, a).
fn path_points<R: Real>(x: &Mat<R>, baseline: &[R], pts: &[(usize, f64)]) -> Mat<R> {
    let p = x.cols;
    let mut z = Mat::zeros(pts.len(), p);
    for (k, &(i, a)) in pts.iter().enumerate() {
        let xi = x.row(i);
        for (j, r) in z.row_mut(k).iter_mut().enumerate() {
            let b = baseline[j].f64();
            *r = R::of(b + a * (xi[j].f64() - b));
        }
    }
    z
}

/// Input gradients of output `target[i]` at the path points (row i, a), `len x p`.
fn path_gradients<R: Real>(
    net: &mut Net<R>,
    x: &Mat<R>,
    baseline: &[R],
    target: &[usize],
    pts: &[(usize, f64)],
) -> Vec<f64> {
    let z = path_points(x, baseline, pts);
    let t: Vec<usize> = pts.iter().map(|&(i, _)| target[i]).collect();
    input_gradients(net, &z, &t)
}

/// Output `target[i]` at the path points (row i, a), in batches.
fn path_outputs<R: Real>(
    net: &mut Net<R>,
    x: &Mat<R>,
    baseline: &[R],
    target: &[usize],
    pts: &[(usize, f64)],
    batch: usize,
) -> Vec<f64> {
    let mut out = Vec::with_capacity(pts.len());
    for chunk in pts.chunks(batch.max(1)) {
        let z = path_points(x, baseline, chunk);
        let t: Vec<usize> = chunk.iter().map(|&(i, _)| target[i]).collect();
        out.extend(outputs_at(net, &z, &t));
    }
    out
}

/// The rows whose paths the adaptive rules integrate: their inputs, the baseline, the output
/// explained per row, and f at both ends of each path.
struct PathRows<'a, R> {
    x: &'a Mat<R>,
    baseline: &'a [R],
    target: &'a [usize],
    f_x: &'a [f64],
    f_b: &'a [f64],
}

impl<R: Real> PathRows<'_, R> {
    /// f at the `k + 1` points j / k of the path of each row of `group` (the ends are
    /// known).
    fn grid(&self, net: &mut Net<R>, group: &[usize], k: usize, batch: usize) -> Vec<Vec<f64>> {
        let inner: Vec<(usize, f64)> = group
            .iter()
            .flat_map(|&i| (1..k).map(move |j| (i, j as f64 / k as f64)))
            .collect();
        let f_inner = self.outputs(net, &inner, batch);
        group
            .iter()
            .enumerate()
            .map(|(g, &i)| {
                let mut f = vec![self.f_b[i]];
                f.extend_from_slice(&f_inner[g * (k - 1)..(g + 1) * (k - 1)]);
                f.push(self.f_x[i]);
                f
            })
            .collect()
    }

    /// f at the path points (row i, a).
    fn outputs(&self, net: &mut Net<R>, pts: &[(usize, f64)], batch: usize) -> Vec<f64> {
        path_outputs(net, self.x, self.baseline, self.target, pts, batch)
    }

    /// The Gauss-Legendre estimates (`nodes` on [0, 1]) of the attributions over the panels
    /// (row i, a, c), computed in batches.
    fn panel_estimates(
        &self,
        net: &mut Net<R>,
        spans: &[(usize, f64, f64)],
        nodes: &(Vec<f64>, Vec<f64>),
        batch: usize,
    ) -> Vec<Vec<f64>> {
        let p = self.x.cols;
        let m = nodes.0.len();
        let pts: Vec<(usize, f64)> = spans
            .iter()
            .flat_map(|&(i, a, c)| nodes.0.iter().map(move |&t| (i, a + t * (c - a))))
            .collect();
        let g = self.gradients(net, &pts, (batch / m).max(1) * m);
        spans
            .iter()
            .enumerate()
            .map(|(s, &(i, a, c))| {
                let mut v = vec![0.0; p];
                for (k, &w) in nodes.1.iter().enumerate() {
                    let gr = &g[(s * m + k) * p..(s * m + k + 1) * p];
                    v.iter_mut()
                        .zip(gr)
                        .for_each(|(o, &gv)| *o += w * (c - a) * gv);
                }
                scale_by_difference(&mut v, self.x.row(i), self.baseline);
                v
            })
            .collect()
    }

    /// Input gradients at the path points (row i, a), in batches.
    fn gradients(&self, net: &mut Net<R>, pts: &[(usize, f64)], batch: usize) -> Vec<f64> {
        let mut out = Vec::with_capacity(pts.len() * self.x.cols);
        for chunk in pts.chunks(batch.max(1)) {
            out.extend(path_gradients(
                net,
                self.x,
                self.baseline,
                self.target,
                chunk,
            ));
        }
        out
    }
}

/// The adaptive composite rule for the rows of `group` (see [`integrated_gradients`]):
/// each row's panels are refined until their gaps add up to its `budget`.
#[allow(clippy::too_many_arguments)]
fn adaptive<R: Real>(
    net: &mut Net<R>,
    rows: &PathRows<'_, R>,
    group: &[usize],
    panels0: usize,
    budget: &[f64],
    cfg: &IgConfig,
    attributions: &mut [f64],
    steps: &mut [usize],
) {
    let p = rows.x.cols;
    let nodes = Quadrature::GaussLegendre.nodes(PANEL_POINTS);
    // the first panels: f at their ends, then their estimates
    let grid = rows.grid(net, group, panels0, cfg.batch);
    let mut panels: Vec<Vec<Panel>> = Vec::with_capacity(group.len());
    let mut spans = Vec::new();
    for (&i, f) in group.iter().zip(&grid) {
        let row: Vec<Panel> = (0..panels0)
            .map(|k| Panel {
                a: k as f64 / panels0 as f64,
                c: (k + 1) as f64 / panels0 as f64,
                fa: f[k],
                fc: f[k + 1],
                v: Vec::new(),
            })
            .collect();
        spans.extend(row.iter().map(|q| (i, q.a, q.c)));
        panels.push(row);
    }
    let mut est = rows
        .panel_estimates(net, &spans, &nodes, cfg.batch)
        .into_iter();
    for row in panels.iter_mut() {
        for q in row.iter_mut() {
            q.v = est.next().expect("one estimate per panel");
        }
    }
    let mut evals: Vec<usize> = vec![panels0 * PANEL_POINTS; group.len()];
    loop {
        // the panels to bisect, per row of the group
        let mut split: Vec<(usize, usize)> = Vec::new();
        for (g, &budget) in budget.iter().enumerate() {
            let row = &panels[g];
            let total: f64 = row.iter().map(Panel::gap).sum();
            if total <= budget || evals[g] + 2 * PANEL_POINTS > cfg.max_steps {
                continue;
            }
            let share = budget / row.len() as f64;
            let most = row
                .len()
                .min((cfg.max_steps - evals[g]) / (2 * PANEL_POINTS));
            let mut over: Vec<usize> = (0..row.len()).filter(|&k| row[k].gap() > share).collect();
            over.sort_by(|&a, &b| row[b].gap().total_cmp(&row[a].gap()));
            over.truncate(most);
            evals[g] += over.len() * 2 * PANEL_POINTS;
            split.extend(over.into_iter().map(|k| (g, k)));
        }
        if split.is_empty() {
            break;
        }
        let mids: Vec<(usize, f64)> = split
            .iter()
            .map(|&(g, k)| {
                let q = &panels[g][k];
                (group[g], 0.5 * (q.a + q.c))
            })
            .collect();
        let f_mid = rows.outputs(net, &mids, cfg.batch);
        let spans: Vec<(usize, f64, f64)> = split
            .iter()
            .zip(&mids)
            .flat_map(|(&(g, k), &(i, m))| {
                let q = &panels[g][k];
                [(i, q.a, m), (i, m, q.c)]
            })
            .collect();
        let mut est = rows
            .panel_estimates(net, &spans, &nodes, cfg.batch)
            .into_iter();
        // replace each split panel by its halves (indices stay valid: halves are pushed)
        for (&(g, k), (&(_, m), &fm)) in split.iter().zip(mids.iter().zip(&f_mid)) {
            let (a, c, fa, fc) = {
                let q = &panels[g][k];
                (q.a, q.c, q.fa, q.fc)
            };
            let left = est.next().expect("left half");
            let right = est.next().expect("right half");
            panels[g][k] = Panel {
                a,
                c: m,
                fa,
                fc: fm,
                v: left,
            };
            panels[g].push(Panel {
                a: m,
                c,
                fa: fm,
                fc,
                v: right,
            });
        }
    }
    for (g, &i) in group.iter().enumerate() {
        let out = &mut attributions[i * p..(i + 1) * p];
        for q in &panels[g] {
            out.iter_mut().zip(&q.v).for_each(|(o, v)| *o += v);
        }
        steps[i] = evals[g];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauss_legendre_integrates_polynomials_exactly() {
        for n in [1, 2, 3, 7, 50, 101] {
            let (x, w) = gauss_legendre(n);
            assert!((w.iter().sum::<f64>() - 2.0).abs() < 1e-13, "n {n}");
            assert!(x.windows(2).all(|p| p[0] < p[1]), "ascending, n {n}");
            // exact up to degree 2n - 1
            for deg in 0..(2 * n).min(30) {
                let q: f64 = x
                    .iter()
                    .zip(&w)
                    .map(|(xi, wi)| wi * xi.powi(deg as i32))
                    .sum();
                let exact = if deg % 2 == 1 {
                    0.0
                } else {
                    2.0 / (deg as f64 + 1.0)
                };
                assert!(
                    (q - exact).abs() < 1e-12,
                    "n {n} degree {deg}: {q} vs {exact}"
                );
            }
        }
        // a known node: n = 2 has +-1/sqrt(3)
        let (x, _) = gauss_legendre(2);
        assert!((x[1] - 1.0 / 3f64.sqrt()).abs() < 1e-15);
    }

    #[test]
    fn riemann_rules_are_captums() {
        let (a, w) = Quadrature::RiemannTrapezoid.nodes(5);
        assert_eq!(a, vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(w, vec![0.1, 0.2, 0.2, 0.2, 0.1]);
        let (a, w) = Quadrature::RiemannMiddle.nodes(4);
        assert_eq!(a, vec![0.125, 0.375, 0.625, 0.875]);
        assert_eq!(w, vec![0.25; 4]);
        assert_eq!(Quadrature::RiemannLeft.nodes(2).0, vec![0.0, 0.5]);
        assert_eq!(Quadrature::RiemannRight.nodes(2).0, vec![0.5, 1.0]);
        for q in [
            "gausslegendre",
            "riemann_left",
            "riemann_right",
            "riemann_middle",
            "riemann_trapezoid",
        ] {
            assert_eq!(Quadrature::parse(q).unwrap().name(), q);
        }
        assert_eq!(Quadrature::parse("simpson"), None);
    }
}
