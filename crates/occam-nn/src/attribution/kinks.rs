//! The kink rule of integrated gradients for piecewise-linear networks (see
//! [`super::integrated_gradients`]).

use super::{IgConfig, PathRows};
use crate::net::Net;
use crate::real::Real;

/// A stretch [a, c] of a row's path under the kink rule, with f at both ends and the
/// gradients just inside them (`gl` right of a, `gr` left of c).
struct Stretch {
    a: f64,
    c: f64,
    fa: f64,
    fc: f64,
    gl: Vec<f64>,
    gr: Vec<f64>,
}

/// Where the one-sided gradients are taken: this fraction of a stretch inside its ends.
const INSIDE: f64 = 1e-7;

/// Integrated gradients of a piecewise-linear network, exactly: along the path the gradient
/// is constant between kinks (where a ReLU or a max pool switches). A stretch whose two
/// one-sided gradients agree and whose f rises by that slope times its width is linear and
/// contributes its gradient times its width. Otherwise the stretch is tried as one kink: its
/// place follows from f at both ends and the two slopes; the gradients just left and right
/// of that place, and f there, confirm it (then the stretch contributes the left gradient up
/// to the kink and the right one after), or the stretch is cut there (or in its middle) and
/// both parts go round again. A row ends when every stretch is resolved, or at `max_steps`
/// gradient evaluations (its open stretches then take the mean of their two gradients).
/// Rows of `group` run together so each round is one batch.
pub(super) fn kinks<R: Real>(
    net: &mut Net<R>,
    rows: &PathRows<'_, R>,
    group: &[usize],
    panels0: usize,
    cfg: &IgConfig,
    attributions: &mut [f64],
    steps: &mut [usize],
) {
    let (x, baseline) = (rows.x, rows.baseline);
    let p = x.cols;
    let k0 = panels0.max(1);
    let diff: Vec<Vec<f64>> = group
        .iter()
        .map(|&i| {
            x.row(i)
                .iter()
                .zip(baseline)
                .map(|(a, b)| a.f64() - b.f64())
                .collect()
        })
        .collect();
    let slope = |g: usize, v: &[f64]| -> f64 { v.iter().zip(&diff[g]).map(|(a, b)| a * b).sum() };
    let same = |u: &[f64], v: &[f64]| -> bool {
        let scale = u.iter().chain(v).fold(0.0f64, |m, a| m.max(a.abs()));
        u.iter().zip(v).all(|(a, b)| (a - b).abs() <= 1e-9 * scale)
    };
    let batch = cfg.batch.max(1);
    // the first stretches: k0 equal parts of [0, 1], f at their ends and the gradients
    // just inside them
    let grid = rows.grid(net, group, k0, batch);
    let ends: Vec<(usize, f64)> = group
        .iter()
        .flat_map(|&i| {
            (0..k0).flat_map(move |k| {
                let (a, c) = (k as f64 / k0 as f64, (k + 1) as f64 / k0 as f64);
                let d = INSIDE * (c - a);
                [(i, a + d), (i, c - d)]
            })
        })
        .collect();
    let g_ends = rows.gradients(net, &ends, batch);
    let mut open: Vec<(usize, Stretch)> = Vec::new();
    for (g, f) in grid.iter().enumerate() {
        for k in 0..k0 {
            let e = (g * k0 + k) * 2;
            open.push((
                g,
                Stretch {
                    a: k as f64 / k0 as f64,
                    c: (k + 1) as f64 / k0 as f64,
                    fa: f[k],
                    fc: f[k + 1],
                    gl: g_ends[e * p..(e + 1) * p].to_vec(),
                    gr: g_ends[(e + 1) * p..(e + 2) * p].to_vec(),
                },
            ));
        }
    }
    let mut evals = vec![2 * k0; group.len()];
    let mut total = vec![vec![0.0; p]; group.len()];
    let add = |total: &mut Vec<Vec<f64>>, g: usize, v: &[f64], w: f64| {
        total[g].iter_mut().zip(v).for_each(|(t, &gv)| *t += w * gv);
    };
    while !open.is_empty() {
        // resolve what is linear; guess one kink in the others
        let mut next: Vec<(usize, Stretch, f64)> = Vec::new();
        for (g, st) in open.drain(..) {
            let w = st.c - st.a;
            let tau = 1e-9 * (1.0 + st.fa.abs().max(st.fc.abs()));
            let (sl, sr) = (slope(g, &st.gl), slope(g, &st.gr));
            let df = st.fc - st.fa;
            if same(&st.gl, &st.gr) && (df - sl * w).abs() <= tau {
                add(&mut total, g, &st.gl, w);
                continue;
            }
            if evals[g] + 2 > cfg.max_steps || w < 1e-12 {
                add(&mut total, g, &st.gl, w / 2.0);
                add(&mut total, g, &st.gr, w / 2.0);
                continue;
            }
            let mut at = if (sl - sr).abs() * w > tau {
                st.a + (df - sr * w) / (sl - sr)
            } else {
                f64::NAN
            };
            if !(at > st.a + 0.01 * w && at < st.c - 0.01 * w) {
                at = 0.5 * (st.a + st.c);
            }
            evals[g] += 2;
            next.push((g, st, at));
        }
        if next.is_empty() {
            break;
        }
        let at_pts: Vec<(usize, f64)> = next.iter().map(|(g, _, at)| (group[*g], *at)).collect();
        let f_at = rows.outputs(net, &at_pts, batch);
        let sides: Vec<(usize, f64)> = next
            .iter()
            .flat_map(|(g, st, at)| {
                let d = INSIDE * (st.c - st.a);
                [(group[*g], at - d), (group[*g], at + d)]
            })
            .collect();
        let g_sides = rows.gradients(net, &sides, batch);
        for (k, ((g, st, at), fm)) in next.into_iter().zip(f_at).enumerate() {
            let left = &g_sides[2 * k * p..(2 * k + 1) * p];
            let right = &g_sides[(2 * k + 1) * p..(2 * k + 2) * p];
            let tau = 1e-9 * (1.0 + st.fa.abs().max(st.fc.abs()));
            let (sl, sr) = (slope(g, &st.gl), slope(g, &st.gr));
            let one_kink = same(left, &st.gl)
                && same(right, &st.gr)
                && (fm - (st.fa + sl * (at - st.a))).abs() <= tau
                && (fm - (st.fc - sr * (st.c - at))).abs() <= tau;
            if one_kink {
                add(&mut total, g, &st.gl, at - st.a);
                add(&mut total, g, &st.gr, st.c - at);
                continue;
            }
            open.push((
                g,
                Stretch {
                    a: st.a,
                    c: at,
                    fa: st.fa,
                    fc: fm,
                    gl: st.gl,
                    gr: left.to_vec(),
                },
            ));
            open.push((
                g,
                Stretch {
                    a: at,
                    c: st.c,
                    fa: fm,
                    fc: st.fc,
                    gl: right.to_vec(),
                    gr: st.gr,
                },
            ));
        }
    }
    for (g, &i) in group.iter().enumerate() {
        let out = &mut attributions[i * p..(i + 1) * p];
        for ((o, t), d) in out.iter_mut().zip(&total[g]).zip(&diff[g]) {
            *o = t * d;
        }
        steps[i] = evals[g];
    }
}
