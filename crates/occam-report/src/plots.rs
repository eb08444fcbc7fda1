//! SVG plots drawn with plotters. Conventions the tests rely on: data series are polylines of
//! stroke width 2, marker lines (lambda.min, lambda.1se, the early-stopping epoch, a
//! threshold) have stroke width 3 and a text label beside them, axes and ticks have width 1.

mod heat;
mod uncertainty;
mod variational;

pub use heat::heat_maps;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
pub use uncertainty::{bands, calibration};
pub use variational::log_alpha;

const W: u32 = 760;
const H: u32 = 440;
/// Series colours (tab10).
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];
pub const MIN_COLOR: RGBColor = RGBColor(200, 30, 30);
pub const SE_COLOR: RGBColor = RGBColor(30, 60, 200);

type Res = Result<(), String>;

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("plot: {e:?}")
}

/// A legend key: a short line in the series' colour.
fn line_key(col: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], col.stroke_width(2))
}

/// Draws the legend of the labelled series on a white box of this opacity.
fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    c: &mut ChartContext<'a, DB, CT>,
    opacity: f64,
) -> Result<(), String> {
    c.configure_series_labels()
        .background_style(WHITE.mix(opacity))
        .border_style(BLACK)
        .draw()
        .map_err(err)
}

fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

fn range(vals: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in vals.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        return (lo - 0.5, hi + 0.5);
    }
    let pad = 0.05 * (hi - lo);
    (lo - pad, hi + pad)
}

fn render(
    f: impl FnOnce(DrawingArea<SVGBackend, plotters::coord::Shift>) -> Res,
) -> Result<String, String> {
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, (W, H)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        f(root.clone())?;
        root.present().map_err(err)?;
    }
    Ok(s)
}

type Chart<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// A chart in the house style: optional title, margins, axis label areas, no light grid, and
/// the axis descriptions (empty: none).
fn axes<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
    xdesc: &str,
    ydesc: &str,
) -> Result<Chart<'a, DB>, String> {
    let mut b = ChartBuilder::on(area);
    if !title.is_empty() {
        b.caption(title, ("sans-serif", 18));
    }
    let mut c = b
        .margin(12)
        .x_label_area_size(if xdesc.is_empty() { 30 } else { 40 })
        .y_label_area_size(60)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(err)?;
    let mut mesh = c.configure_mesh();
    mesh.light_line_style(WHITE.mix(0.0));
    if !xdesc.is_empty() {
        mesh.x_desc(xdesc);
    }
    if !ydesc.is_empty() {
        mesh.y_desc(ydesc);
    }
    mesh.draw().map_err(err)?;
    Ok(c)
}

/// glmnet's plot(fit): every coefficient against log(lambda), labelled by feature at the
/// small-lambda end, with the number of non-zero coefficients (df) along the top.
/// `beta[j][l]` is feature j's coefficient at lambda l. Features that stay zero are not drawn.
pub fn coefficient_path(
    lambda: &[f64],
    beta: &[Vec<f64>],
    names: &[String],
    df: &[usize],
) -> Result<String, String> {
    let x: Vec<f64> = lambda.iter().map(|l| l.ln()).collect();
    let (x0, x1) = range(x.iter().copied());
    let (y0, y1) = range(beta.iter().flatten().copied().chain([0.0]));
    let drawn: Vec<usize> = (0..beta.len())
        .filter(|&j| beta[j].iter().any(|v| *v != 0.0))
        .collect();
    // Label the largest coefficients at the end of the path (at most 12, to stay readable).
    let mut by_size = drawn.clone();
    let last = x.len().saturating_sub(1);
    by_size.sort_by(|&a, &b| beta[b][last].abs().total_cmp(&beta[a][last].abs()));
    let labelled: Vec<usize> = by_size.into_iter().take(12).collect();
    render(|root| {
        let mut c = ChartBuilder::on(&root)
            .caption("Coefficient path", ("sans-serif", 18))
            .margin(12)
            .margin_right(110)
            .margin_top(34)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(err)?;
        c.configure_mesh()
            .x_desc("log(lambda)")
            .y_desc("coefficient (original scale)")
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(err)?;
        // (pixel y of the path's end, feature, colour index) of each label
        let mut ends: Vec<(i32, usize, usize)> = Vec::new();
        for (k, &j) in drawn.iter().enumerate() {
            let pts: Vec<(f64, f64)> = x.iter().zip(&beta[j]).map(|(&a, &b)| (a, b)).collect();
            c.draw_series(LineSeries::new(pts, color(k).stroke_width(2)))
                .map_err(err)?;
            if labelled.contains(&j) {
                ends.push((c.backend_coord(&(x[last], beta[j][last])).1, j, k));
            }
        }
        // Labels in the right margin, in the order of the path ends, pushed apart to at least
        // LABEL_GAP pixels (then back inside the plot area), each joined to its path's end by
        // a thin leader line.
        const LABEL_GAP: i32 = 13;
        ends.sort_by_key(|e| e.0);
        let (px_end, top) = c.backend_coord(&(x[last], y1));
        let bottom = c.backend_coord(&(x[last], y0)).1;
        let mut at: Vec<i32> = ends.iter().map(|e| e.0).collect();
        for i in 1..at.len() {
            at[i] = at[i].max(at[i - 1] + LABEL_GAP);
        }
        if let Some(&lowest) = at.last() {
            let over = lowest - bottom;
            if over > 0 {
                at.iter_mut().for_each(|y| *y -= over);
                for i in 0..at.len() {
                    let floor = if i == 0 { top } else { at[i - 1] + LABEL_GAP };
                    at[i] = at[i].max(floor);
                }
            }
        }
        for ((y_end, j, k), y_label) in ends.iter().zip(&at) {
            let name = names.get(*j).cloned().unwrap_or_default();
            root.draw(&PathElement::new(
                vec![(px_end, *y_end), (px_end + 12, *y_label)],
                color(*k).stroke_width(1),
            ))
            .map_err(err)?;
            // a translucent white box under the label keeps it readable over the paths
            let w = 6 * name.chars().count() as i32 + 4;
            root.draw(&Rectangle::new(
                [(px_end + 13, y_label - 7), (px_end + 15 + w, y_label + 7)],
                WHITE.mix(0.8).filled(),
            ))
            .map_err(err)?;
            root.draw(&Text::new(
                name,
                (px_end + 15, *y_label),
                ("sans-serif", 11)
                    .into_font()
                    .color(&color(*k))
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .map_err(err)?;
        }
        // df along the top: about eight evenly spaced lambdas.
        let step = (lambda.len() / 8).max(1);
        for l in (0..lambda.len()).step_by(step) {
            let (px, _) = c.backend_coord(&(x[l], y1));
            root.draw(&Text::new(
                format!("{}", df.get(l).copied().unwrap_or(0)),
                (px, 20),
                TextStyle::from(("sans-serif", 11).into_font())
                    .pos(Pos::new(HPos::Center, VPos::Center)),
            ))
            .map_err(err)?;
        }
        root.draw(&Text::new("df", (14, 20), ("sans-serif", 11).into_font()))
            .map_err(err)?;
        Ok(())
    })
}

/// A labelled vertical marker line at x in chart coordinates.
fn vline<DB: DrawingBackend>(
    c: &mut ChartContext<
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    x: f64,
    (y0, y1): (f64, f64),
    col: RGBColor,
    label: &str,
) -> Res {
    c.draw_series(LineSeries::new(vec![(x, y0), (x, y1)], col.stroke_width(3)))
        .map_err(err)?;
    c.draw_series(std::iter::once(Text::new(
        label.to_string(),
        (x, y1),
        ("sans-serif", 11).into_font().color(&col),
    )))
    .map_err(err)?;
    Ok(())
}

/// glmnet's plot(cv.glmnet): mean CV error with +-1 SE bars against log(lambda), and marker
/// lines at lambda.min and lambda.1se.
pub fn cv_curve(
    lambda: &[f64],
    cvm: &[f64],
    cvsd: &[f64],
    index_min: usize,
    index_1se: usize,
    measure: &str,
) -> Result<String, String> {
    let x: Vec<f64> = lambda.iter().map(|l| l.ln()).collect();
    let (x0, x1) = range(x.iter().copied());
    let (y0, y1) = range(cvm.iter().zip(cvsd).flat_map(|(m, s)| [m - s, m + s]));
    render(|root| {
        let mut c = axes(
            &root,
            "Cross-validation",
            (x0, x1),
            (y0, y1),
            "log(lambda)",
            measure,
        )?;
        for ((&a, &m), &s) in x.iter().zip(cvm).zip(cvsd) {
            c.draw_series(LineSeries::new(
                vec![(a, m - s), (a, m + s)],
                RGBColor(160, 160, 160).stroke_width(1),
            ))
            .map_err(err)?;
        }
        c.draw_series(
            x.iter()
                .zip(cvm)
                .map(|(&a, &m)| Circle::new((a, m), 3, MIN_COLOR.filled())),
        )
        .map_err(err)?;
        vline(&mut c, x[index_min], (y0, y1), MIN_COLOR, "lambda.min")?;
        vline(&mut c, x[index_1se], (y0, y1), SE_COLOR, "lambda.1se")?;
        Ok(())
    })
}

/// One epoch row of a training run (metrics.csv).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EpochRow {
    pub epoch: usize,
    pub train_loss: f64,
    pub val_loss: Option<f64>,
    pub penalty: f64,
    /// A validation metric to show in a second panel (name, value), e.g. accuracy.
    pub metric: Option<(String, f64)>,
}

/// Train vs validation loss per epoch, the penalty term as its own line, and the
/// early-stopping (best) epoch marked; a lower panel with the validation metric.
pub fn learning_curves(rows: &[EpochRow], best_epoch: Option<usize>) -> Result<String, String> {
    let e: Vec<f64> = rows.iter().map(|r| r.epoch as f64).collect();
    let (x0, x1) = range(e.iter().copied());
    let (y0, y1) = range(
        rows.iter()
            .flat_map(|r| [Some(r.train_loss), r.val_loss, Some(r.penalty)])
            .flatten(),
    );
    let has_metric = rows.iter().any(|r| r.metric.is_some());
    render(|root| {
        let (top, bottom) = if has_metric {
            root.split_vertically((H as f64 * 0.62) as u32)
        } else {
            (root.clone(), root.clone())
        };
        let mut c = axes(&top, "Learning curves", (x0, x1), (y0, y1), "", "loss")?;
        let series: [(&str, Vec<(f64, f64)>); 3] = [
            (
                "train loss",
                rows.iter()
                    .map(|r| (r.epoch as f64, r.train_loss))
                    .collect(),
            ),
            (
                "validation loss",
                rows.iter()
                    .filter_map(|r| r.val_loss.map(|v| (r.epoch as f64, v)))
                    .collect(),
            ),
            (
                "penalty",
                rows.iter().map(|r| (r.epoch as f64, r.penalty)).collect(),
            ),
        ];
        for (i, (name, pts)) in series.into_iter().enumerate() {
            if pts.is_empty() {
                continue;
            }
            let col = color(i);
            c.draw_series(LineSeries::new(pts, col.stroke_width(2)))
                .map_err(err)?
                .label(name)
                .legend(line_key(col));
        }
        if let Some(b) = best_epoch {
            vline(&mut c, b as f64, (y0, y1), MIN_COLOR, "best epoch")?;
        }
        legend(&mut c, 0.8)?;
        if has_metric {
            let name = rows
                .iter()
                .find_map(|r| r.metric.as_ref().map(|m| m.0.clone()))
                .unwrap_or_default();
            let pts: Vec<(f64, f64)> = rows
                .iter()
                .filter_map(|r| r.metric.as_ref().map(|m| (r.epoch as f64, m.1)))
                .collect();
            let (m0, m1) = range(pts.iter().map(|p| p.1));
            let ydesc = format!("validation {name}");
            let mut c2 = axes(&bottom, "", (x0, x1), (m0, m1), "epoch", &ydesc)?;
            c2.draw_series(LineSeries::new(pts, color(3).stroke_width(2)))
                .map_err(err)?;
        }
        Ok(())
    })
}

/// One run's weights for the distribution plot.
pub struct WeightSet<'a> {
    pub label: String,
    pub weights: &'a [f64],
}

/// Histogram of the non-zero weights of each run (step lines, overlaid), with each run's
/// exact-zero count in the legend.
pub fn weight_histograms(
    title: &str,
    sets: &[WeightSet<'_>],
    bins: usize,
) -> Result<String, String> {
    let (lo, hi) = range(
        sets.iter()
            .flat_map(|s| s.weights.iter().copied().filter(|w| *w != 0.0)),
    );
    let bins = bins.max(1);
    let width = (hi - lo) / bins as f64;
    let hist: Vec<Vec<usize>> = sets
        .iter()
        .map(|s| {
            let mut h = vec![0usize; bins];
            for &w in s.weights.iter().filter(|w| **w != 0.0) {
                let b = (((w - lo) / width) as usize).min(bins - 1);
                h[b] += 1;
            }
            h
        })
        .collect();
    let ymax = hist.iter().flatten().copied().max().unwrap_or(1).max(1) as f64 * 1.08;
    render(|root| {
        let xdesc = "weight (exact zeros counted in the legend, not drawn)";
        let mut c = axes(
            &root,
            title,
            (lo, hi),
            (0.0, ymax),
            xdesc,
            "non-zero weights per bin",
        )?;
        for (i, (s, h)) in sets.iter().zip(&hist).enumerate() {
            let mut pts = Vec::with_capacity(2 * bins + 2);
            pts.push((lo, 0.0));
            for (b, &n) in h.iter().enumerate() {
                let a = lo + b as f64 * width;
                pts.push((a, n as f64));
                pts.push((a + width, n as f64));
            }
            pts.push((hi, 0.0));
            let zeros = s.weights.iter().filter(|w| **w == 0.0).count();
            let label = format!("{}: {} of {} exactly zero", s.label, zeros, s.weights.len());
            let col = color(i);
            c.draw_series(LineSeries::new(pts, col.stroke_width(2)))
                .map_err(err)?
                .label(label)
                .legend(line_key(col));
        }
        legend(&mut c, 0.85)?;
        Ok(())
    })
}

/// Horizontal bars of `values` sorted by magnitude (largest on top, at most `top`), with an
/// optional threshold marker (stability selection's cut-off).
pub fn bar_chart(
    title: &str,
    names: &[String],
    values: &[f64],
    top: usize,
    threshold: Option<f64>,
    xdesc: &str,
) -> Result<String, String> {
    bars(title, names, values, &[], top, threshold, xdesc)
}

/// One trial of a search, for the search plots.
#[derive(Clone, Debug, PartialEq)]
pub struct TrialPoint {
    pub index: usize,
    pub score: f64,
    pub params: Vec<(String, f64)>,
    pub pruned: bool,
}

/// Trial score against trial number, with the best-so-far line (pruned trials not drawn).
pub fn search_history(
    trials: &[TrialPoint],
    metric: &str,
    higher_is_better: bool,
) -> Result<String, String> {
    let done: Vec<&TrialPoint> = trials
        .iter()
        .filter(|t| !t.pruned && t.score.is_finite())
        .collect();
    let (x0, x1) = range(trials.iter().map(|t| t.index as f64 + 1.0));
    let (y0, y1) = range(done.iter().map(|t| t.score));
    let mut best = Vec::new();
    let mut cur: Option<f64> = None;
    for t in &done {
        let better = cur.is_none_or(|c| {
            if higher_is_better {
                t.score > c
            } else {
                t.score < c
            }
        });
        if better {
            cur = Some(t.score);
        }
        best.push((t.index as f64 + 1.0, cur.expect("set")));
    }
    render(|root| {
        let ydesc = format!("CV {metric}");
        let mut c = axes(&root, "Search", (x0, x1), (y0, y1), "trial", &ydesc)?;
        c.draw_series(
            done.iter()
                .map(|t| Circle::new((t.index as f64 + 1.0, t.score), 3, color(0).filled())),
        )
        .map_err(err)?;
        let col = color(3);
        c.draw_series(LineSeries::new(best, col.stroke_width(2)))
            .map_err(err)?
            .label("best so far")
            .legend(line_key(col));
        legend(&mut c, 0.8)?;
        Ok(())
    })
}

/// Trial score against one hyperparameter (log axis when `log`).
pub fn score_vs_param(
    trials: &[TrialPoint],
    name: &str,
    metric: &str,
    log: bool,
) -> Result<String, String> {
    let pts: Vec<(f64, f64)> = trials
        .iter()
        .filter(|t| !t.pruned && t.score.is_finite())
        .filter_map(|t| {
            t.params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| (if log { v.log10() } else { *v }, t.score))
        })
        .collect();
    let (x0, x1) = range(pts.iter().map(|p| p.0));
    let (y0, y1) = range(pts.iter().map(|p| p.1));
    render(|root| {
        let title = format!("CV {metric} against {name}");
        let xdesc = if log {
            format!("log10({name})")
        } else {
            name.to_string()
        };
        let mut c = axes(&root, &title, (x0, x1), (y0, y1), &xdesc, metric)?;
        c.draw_series(pts.iter().map(|&p| Circle::new(p, 3, color(0).filled())))
            .map_err(err)?;
        Ok(())
    })
}

/// A network (LassoNet) path: validation loss of the penalized and the relaxed fits against
/// log(lambda), the number of active features on a second panel, the chosen lambda marked.
pub fn network_path(
    lambda: &[f64],
    val: &[f64],
    relaxed: &[f64],
    features: &[usize],
    chosen: usize,
) -> Result<String, String> {
    // lambda 0 (the dense fit) is drawn one grid step left of the first positive lambda.
    let pos: Vec<f64> = lambda.iter().copied().filter(|l| *l > 0.0).collect();
    let first = pos.first().copied().unwrap_or(1.0);
    let step = if pos.len() > 1 {
        (pos[1] / pos[0]).ln()
    } else {
        1.0
    };
    let x: Vec<f64> = lambda
        .iter()
        .map(|&l| if l > 0.0 { l.ln() } else { first.ln() - step })
        .collect();
    let (x0, x1) = range(x.iter().copied());
    let (y0, y1) = range(val.iter().chain(relaxed).copied());
    let (f0, f1) = range(features.iter().map(|&f| f as f64));
    render(|root| {
        let (top, bottom) = root.split_vertically((H as f64 * 0.6) as u32);
        let mut c = axes(
            &top,
            "Network path (LassoNet)",
            (x0, x1),
            (y0, y1),
            "",
            "validation loss",
        )?;
        for (i, (name, ys)) in [("penalized fit", val), ("relaxed refit", relaxed)]
            .into_iter()
            .enumerate()
        {
            let col = color(i);
            c.draw_series(LineSeries::new(
                x.iter().copied().zip(ys.iter().copied()),
                col.stroke_width(2),
            ))
            .map_err(err)?
            .label(name)
            .legend(line_key(col));
        }
        vline(&mut c, x[chosen], (y0, y1), MIN_COLOR, "chosen")?;
        legend(&mut c, 0.8)?;
        let xdesc = "log(lambda) (leftmost: the dense fit)";
        let mut c2 = axes(&bottom, "", (x0, x1), (f0, f1), xdesc, "features")?;
        c2.draw_series(LineSeries::new(
            x.iter().copied().zip(features.iter().map(|&f| f as f64)),
            color(2).stroke_width(2),
        ))
        .map_err(err)?;
        Ok(())
    })
}

/// A forecast against the truth: each series (actual first) as a line over the step index
/// `x`; a missing value (NaN) breaks its line.
pub fn forecast(
    title: &str,
    x: &[f64],
    series: &[(&str, Vec<f64>)],
    xdesc: &str,
    ydesc: &str,
) -> Result<String, String> {
    let (x0, x1) = range(x.iter().copied());
    let (y0, y1) = range(series.iter().flat_map(|(_, v)| v.iter().copied()));
    render(|root| {
        let mut c = axes(&root, title, (x0, x1), (y0, y1), xdesc, ydesc)?;
        for (i, (name, v)) in series.iter().enumerate() {
            let col = color(i);
            // One polyline per run of finite values.
            let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
            for (&xi, &yi) in x.iter().zip(v) {
                if yi.is_finite() {
                    runs.last_mut().expect("non-empty").push((xi, yi));
                } else if !runs.last().expect("non-empty").is_empty() {
                    runs.push(Vec::new());
                }
            }
            for (k, pts) in runs.into_iter().filter(|r| !r.is_empty()).enumerate() {
                let s = c
                    .draw_series(LineSeries::new(pts, col.stroke_width(2)))
                    .map_err(err)?;
                if k == 0 {
                    s.label(*name).legend(line_key(col));
                }
            }
        }
        legend(&mut c, 0.8)?;
        Ok(())
    })
}

/// Horizontal bars of `values` with a whisker of +- `half_width` on each (an interval: a
/// posterior 95% interval, a standard error), sorted by magnitude (at most `top`, largest on
/// top); the whiskers are black lines of stroke width 1 with end ticks.
pub fn bar_chart_with_errors(
    title: &str,
    names: &[String],
    values: &[f64],
    half_width: &[f64],
    top: usize,
    xdesc: &str,
) -> Result<String, String> {
    bars(title, names, values, half_width, top, None, xdesc)
}

/// The bar charts: bars by magnitude, optional whiskers (`half_width`, empty for none) and
/// an optional threshold marker.
fn bars(
    title: &str,
    names: &[String],
    values: &[f64],
    half_width: &[f64],
    top: usize,
    threshold: Option<f64>,
    xdesc: &str,
) -> Result<String, String> {
    let mut idx: Vec<usize> = (0..values.len()).collect();
    idx.sort_by(|&a, &b| values[b].abs().total_cmp(&values[a].abs()));
    idx.truncate(top.max(1));
    let n = idx.len().max(1);
    let hw = |i: usize| half_width.get(i).copied().unwrap_or(0.0);
    let (x0, x1) = range(
        idx.iter()
            .flat_map(|&i| [values[i] - hw(i), values[i] + hw(i)])
            .chain([0.0])
            .chain(threshold),
    );
    render(|root| {
        let mut c = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(150)
            .build_cartesian_2d(x0..x1, 0.0..n as f64)
            .map_err(err)?;
        c.configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .light_line_style(WHITE.mix(0.0))
            .x_desc(xdesc)
            .draw()
            .map_err(err)?;
        for (r, &i) in idx.iter().enumerate() {
            let y = (n - 1 - r) as f64 + 0.5;
            let (px, py) = c.backend_coord(&(x0, y));
            root.draw(&Text::new(
                names.get(i).cloned().unwrap_or_default(),
                (px - 6, py),
                TextStyle::from(("sans-serif", 12).into_font())
                    .pos(Pos::new(HPos::Right, VPos::Center)),
            ))
            .map_err(err)?;
        }
        c.draw_series(idx.iter().enumerate().map(|(r, &i)| {
            let y = (n - 1 - r) as f64;
            let v = values[i];
            let col = if v >= 0.0 { color(0) } else { color(3) };
            Rectangle::new(
                [(0.0f64.min(v), y + 0.15), (0.0f64.max(v), y + 0.85)],
                col.filled(),
            )
        }))
        .map_err(err)?;
        for (r, &i) in idx.iter().enumerate() {
            let (y, v, h) = ((n - 1 - r) as f64 + 0.5, values[i], hw(i));
            if h <= 0.0 {
                continue;
            }
            let seg =
                |a: (f64, f64), b: (f64, f64)| PathElement::new(vec![a, b], BLACK.stroke_width(1));
            c.draw_series([
                seg((v - h, y), (v + h, y)),
                seg((v - h, y - 0.2), (v - h, y + 0.2)),
                seg((v + h, y - 0.2), (v + h, y + 0.2)),
            ])
            .map_err(err)?;
        }
        if let Some(t) = threshold {
            vline(&mut c, t, (0.0, n as f64), MIN_COLOR, "threshold")?;
        }
        Ok(())
    })
}

/// One series against its index (1-based): a polyline of stroke width 2 with a dot at each
/// point.
pub fn series(title: &str, values: &[f64], xdesc: &str, ydesc: &str) -> Result<String, String> {
    let pts: Vec<(f64, f64)> = values
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .map(|(i, &v)| (i as f64 + 1.0, v))
        .collect();
    let (x0, x1) = range(pts.iter().map(|p| p.0));
    let (y0, y1) = range(pts.iter().map(|p| p.1));
    render(|root| {
        let mut c = axes(&root, title, (x0, x1), (y0, y1), xdesc, ydesc)?;
        let col = color(0);
        c.draw_series(LineSeries::new(pts.clone(), col.stroke_width(2)))
            .map_err(err)?;
        c.draw_series(pts.iter().map(|&p| Circle::new(p, 3, col.filled())))
            .map_err(err)?;
        Ok(())
    })
}
