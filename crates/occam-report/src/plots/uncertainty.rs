//! Plots of predictive uncertainty (the network page's uncertainty section): the calibration
//! of intervals or probabilities against the ideal diagonal, and held-out rows with their
//! predictive bands.

use super::{axes, color, err, legend, line_key, range, render};
use plotters::prelude::*;

/// Observed against nominal (coverage of central intervals, or accuracy against confidence
/// for classes): each series a polyline of stroke width 2 with its points, and the ideal
/// diagonal as a marker line (width 3, labelled "ideal").
pub fn calibration(
    title: &str,
    series: &[(&str, Vec<(f64, f64)>)],
    xdesc: &str,
    ydesc: &str,
) -> Result<String, String> {
    render(|root| {
        let mut c = axes(&root, title, (0.0, 1.0), (0.0, 1.0), xdesc, ydesc)?;
        let ideal = RGBColor(90, 90, 90);
        c.draw_series(LineSeries::new(
            vec![(0.0, 0.0), (1.0, 1.0)],
            ideal.stroke_width(3),
        ))
        .map_err(err)?
        .label("ideal")
        .legend(line_key(ideal));
        for (i, (name, pts)) in series.iter().enumerate() {
            let col = color(i);
            let pts: Vec<(f64, f64)> = pts
                .iter()
                .copied()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect();
            c.draw_series(LineSeries::new(pts.clone(), col.stroke_width(2)))
                .map_err(err)?
                .label(*name)
                .legend(line_key(col));
            c.draw_series(pts.iter().map(|&p| Circle::new(p, 3, col.filled())))
                .map_err(err)?;
        }
        legend(&mut c, 0.8)?;
        Ok(())
    })
}

/// Held-out rows ordered by their predicted value: the prediction as a polyline (width 2),
/// the band from `lo` to `hi` shaded, and the observed values as points.
pub fn bands(
    title: &str,
    mean: &[f64],
    lo: &[f64],
    hi: &[f64],
    observed: &[f64],
    band_label: &str,
    ydesc: &str,
) -> Result<String, String> {
    let n = mean.len();
    if lo.len() != n || hi.len() != n || observed.len() != n || n == 0 {
        return Err(format!(
            "bands: {n} predictions, {} lower, {} upper and {} observed values",
            lo.len(),
            hi.len(),
            observed.len()
        ));
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| mean[a].total_cmp(&mean[b]));
    let (y0, y1) = range(lo.iter().chain(hi).chain(observed).copied());
    render(|root| {
        let x1 = (n.max(2) - 1) as f64;
        let xdesc = "held-out rows, by predicted value";
        let mut c = axes(&root, title, (0.0, x1), (y0, y1), xdesc, ydesc)?;
        let band = color(0).mix(0.2);
        let upper = order.iter().enumerate().map(|(k, &i)| (k as f64, hi[i]));
        let lower = order
            .iter()
            .enumerate()
            .rev()
            .map(|(k, &i)| (k as f64, lo[i]));
        c.draw_series(std::iter::once(Polygon::new(
            upper.chain(lower).collect::<Vec<_>>(),
            band.filled(),
        )))
        .map_err(err)?
        .label(band_label)
        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 18, y + 5)], band.filled()));
        let col = color(0);
        c.draw_series(LineSeries::new(
            order.iter().enumerate().map(|(k, &i)| (k as f64, mean[i])),
            col.stroke_width(2),
        ))
        .map_err(err)?
        .label("prediction")
        .legend(line_key(col));
        let dot = color(1);
        c.draw_series(
            order
                .iter()
                .enumerate()
                .map(|(k, &i)| Circle::new((k as f64, observed[i]), 2, dot.filled())),
        )
        .map_err(err)?
        .label("observed")
        .legend(move |(x, y)| Circle::new((x + 9, y), 3, dot.filled()));
        legend(&mut c, 0.8)?;
        Ok(())
    })
}
