//! A small CNN (two convolution blocks, batch norm) on the 8x8 digits, scored on held-out rows.
use occam::mlp::parse_conv_block;
use occam::{read_csv, CsvOptions, Fitted, Mlp};

pub fn main() -> occam::Result<()> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../datasets");
    let data = read_csv(format!("{dir}/digits_8x8.csv"), &CsvOptions::default())?;
    let (train, test) = occam::split_rows(&data, 0.25, 0)?;
    let conv = vec![parse_conv_block("16:3:2")?, parse_conv_block("32:3:2")?];
    let cnn = Mlp {
        conv,
        batch_norm: true,
        epochs: 15,
        ..Mlp::default()
    };
    let mut model = cnn.fit(&train)?;
    println!("{} parameters", model.net.n_params());
    println!("held-out accuracy {:.3}", model.score(&test)?);
    Ok(())
}
