//! The variational dropout plot: per dense layer, the histogram of log alpha over the kept
//! weights (step lines, overlaid) with the pruning threshold as a vertical line.

use super::{axes, color, err, legend, line_key, render};
use plotters::prelude::*;

/// Step-line histograms over the shared bin `edges`, one per `(label, counts)`, and a
/// vertical marker (width 3, grey, labelled) at `threshold` when given.
pub fn log_alpha(
    title: &str,
    edges: &[f64],
    layers: &[(String, Vec<usize>)],
    threshold: Option<f64>,
) -> Result<String, String> {
    if edges.len() < 2 || layers.iter().any(|(_, c)| c.len() + 1 != edges.len()) {
        return Err(format!(
            "log alpha: {} edges do not bound every layer's bins",
            edges.len()
        ));
    }
    let (x0, x1) = (edges[0], edges[edges.len() - 1]);
    let ymax = layers
        .iter()
        .flat_map(|(_, c)| c.iter().copied())
        .max()
        .unwrap_or(1)
        .max(1) as f64
        * 1.08;
    render(|root| {
        let xdesc = "log alpha (kept weights)";
        let mut c = axes(
            &root,
            title,
            (x0, x1),
            (0.0, ymax),
            xdesc,
            "weights per bin",
        )?;
        if let Some(t) = threshold {
            let grey = RGBColor(90, 90, 90);
            c.draw_series(LineSeries::new(
                vec![(t, 0.0), (t, ymax)],
                grey.stroke_width(3),
            ))
            .map_err(err)?
            .label(format!("pruning threshold {t}"))
            .legend(line_key(grey));
        }
        for (i, (label, counts)) in layers.iter().enumerate() {
            let mut pts = vec![(x0, 0.0)];
            for (b, &n) in counts.iter().enumerate() {
                pts.push((edges[b], n as f64));
                pts.push((edges[b + 1], n as f64));
            }
            pts.push((x1, 0.0));
            let col = color(i);
            c.draw_series(LineSeries::new(pts, col.stroke_width(2)))
                .map_err(err)?
                .label(label.as_str())
                .legend(line_key(col));
        }
        legend(&mut c, 0.85)?;
        Ok(())
    })
}
