//! Heat maps of an image or window beside its attributions (the explain page).

use super::{err, range, render, H, W};
use plotters::prelude::*;

/// The diverging colour of `v` in [-1, 1]: blue (negative) through white to red.
fn diverging(v: f64) -> RGBColor {
    let t = v.clamp(-1.0, 1.0);
    let mix = |a: u8, b: u8, f: f64| (a as f64 + (b as f64 - a as f64) * f).round() as u8;
    if t >= 0.0 {
        RGBColor(mix(255, 200, t), mix(255, 30, t), mix(255, 30, t))
    } else {
        RGBColor(mix(255, 30, -t), mix(255, 60, -t), mix(255, 200, -t))
    }
}

/// A row of an image or window beside its attributions: the input in grey (channels
/// averaged, darkest at the row's largest value), and the attributions summed over channels
/// on a blue-white-red scale symmetric about zero (red raises the output). `grid` is
/// (channels, height, width) of the row's channels-first values. Each cell is a rectangle
/// of class-free fill; the panels' titles say what is drawn and the colour scale's end.
pub fn heat_maps(
    title: &str,
    grid: (usize, usize, usize),
    input: &[f64],
    attribution: &[f64],
) -> Result<String, String> {
    let (c, h, w) = grid;
    if c * h * w != input.len() || input.len() != attribution.len() || h == 0 || w == 0 {
        return Err(format!(
            "plot: a {c}x{h}x{w} grid does not hold {} values",
            input.len()
        ));
    }
    let fold = |v: &[f64]| -> Vec<f64> {
        (0..h * w)
            .map(|k| (0..c).map(|ch| v[ch * h * w + k]).sum::<f64>())
            .collect()
    };
    let img: Vec<f64> = fold(input).iter().map(|v| v / c as f64).collect();
    let att = fold(attribution);
    let (lo, hi) = range(img.iter().copied());
    let amax = att.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    render(|root| {
        let root = root.titled(title, ("sans-serif", 18)).map_err(err)?;
        let panels = root.split_evenly((1, 2));
        let cell = ((W as f64 / 2.0 - 60.0) / w as f64).min((H as f64 - 90.0) / h as f64);
        for (k, area) in panels.iter().enumerate() {
            let label = if k == 0 {
                "input".to_string()
            } else {
                format!("attribution (red +, blue -; scale ±{amax:.3})")
            };
            area.draw(&Text::new(
                label,
                (20, 8),
                TextStyle::from(("sans-serif", 13).into_font()),
            ))
            .map_err(err)?;
            for r in 0..h {
                for q in 0..w {
                    let v = if k == 0 {
                        let t = if hi > lo {
                            (img[r * w + q] - lo) / (hi - lo)
                        } else {
                            0.0
                        };
                        let g = (255.0 * (1.0 - t)).round() as u8;
                        RGBColor(g, g, g)
                    } else if amax > 0.0 {
                        diverging(att[r * w + q] / amax)
                    } else {
                        WHITE
                    };
                    let (x0, y0) = (20.0 + q as f64 * cell, 30.0 + r as f64 * cell);
                    area.draw(&Rectangle::new(
                        [
                            (x0.round() as i32, y0.round() as i32),
                            ((x0 + cell).round() as i32, (y0 + cell).round() as i32),
                        ],
                        v.filled(),
                    ))
                    .map_err(err)?;
                }
            }
            area.draw(&Rectangle::new(
                [
                    (20, 30),
                    (
                        (20.0 + w as f64 * cell).round() as i32,
                        (30.0 + h as f64 * cell).round() as i32,
                    ),
                ],
                BLACK.stroke_width(1),
            ))
            .map_err(err)?;
        }
        Ok(())
    })
}
