//! A GRU forecasts weekly CO2 four weeks ahead (missing weeks interpolated), then the future.
use occam::{read_csv_table, Forecaster};
use occam_core::series::Gaps;

pub fn main() -> occam::Result<()> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../datasets");
    let table = read_csv_table(format!("{dir}/co2_mauna_loa_weekly.csv"))?;
    let mut est = Forecaster::new("date");
    (est.cell, est.horizon, est.gaps) = (occam_nn::CellKind::Gru, 4, Some(Gaps::Interpolate));
    (est.network.epochs, est.network.patience) = (60, Some(15));
    let (mut model, data) = est.fit(&table)?;
    let f = data.forecasts(&mut model.net, 2);
    let at = data.series.label(data.win.origins[data.rows[2][0]] + 4);
    println!("first test window: forecast {:.2} ppm for {at}", f[3]);
    for step in model.forecast(&table)? {
        let (t, h, v) = (step.time, step.steps_ahead, step.value);
        println!("{t} (+{h} weeks): {v:.2} ppm");
    }
    Ok(())
}
