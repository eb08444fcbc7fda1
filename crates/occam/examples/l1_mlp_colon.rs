//! An MLP with L1 on its first layer (proximal steps: exact zeros) selects genes on colon.
use occam::{read_csv, CsvOptions, Fitted, LayerSelect, Mlp};

pub fn main() -> occam::Result<()> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../datasets");
    let colon = format!("{dir}/colon_cancer_alon1999.csv");
    let data = read_csv(colon, &CsvOptions::default())?;
    let mut mlp = Mlp::default();
    (mlp.hidden, mlp.epochs) = (Some(vec![16]), 200);
    mlp.penalty.default.l1 = 0.03;
    mlp.penalty.layers = LayerSelect::First;
    mlp.restore_best = false; // keep the last, sparse weights (not an earlier, denser epoch)
    let mut model = mlp.fit(&data)?;
    let kept = model.net.dense()[0].active_inputs();
    println!("{} of {} genes kept", kept.len(), data.nfeatures());
    for j in kept.iter().take(5) {
        println!("  {}", data.feature_names[*j]);
    }
    println!("training accuracy {:.3}", model.score(&data)?);
    Ok(())
}
