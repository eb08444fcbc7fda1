//! `occam train --model cnn` on the 8x8 digits: two convolution blocks reach >= 97% accuracy
//! on a stratified, seeded 25% test split; the model file holds the kernels and predict works.

mod common;
use common::*;

#[test]
fn digits_cnn_reaches_97_percent_on_the_held_out_quarter() {
    let dir = tmp("cnn");
    let out = dir.join("run");
    let (o, e, c) = occam(&[
        "train",
        "builtin:digits",
        "--model",
        "cnn",
        "--conv",
        "32:3:2,64:3:2",
        "--dropout",
        "0.25",
        "--epochs",
        "60",
        "--patience",
        "15",
        "--lr",
        "3e-3",
        "--test-fraction",
        "0.25",
        "--val-fraction",
        "0.1",
        "--seed",
        "0",
        "--threads",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(c, Some(0), "{o}{e}");
    let s = json(&out.join("summary.json"));
    let acc = s["test_metrics"]["accuracy"].as_f64().unwrap();
    assert!(acc >= 0.97, "digits CNN test accuracy {acc}");
    let m = json(&out.join("model.json"));
    assert_eq!(m["spec"]["image"], serde_json::json!([1, 8, 8]));
    assert_eq!(m["spec"]["conv"].as_array().unwrap().len(), 2);
    let (po, pe, pc) = occam(&[
        "predict",
        out.to_str().unwrap(),
        &datasets("digits_8x8.csv"),
        "--out",
        dir.join("p.csv").to_str().unwrap(),
    ]);
    assert_eq!(pc, Some(0), "{po}{pe}");
    assert!(pe.contains("accuracy"), "{pe}");
    let (_, e, c) = occam(&[
        "train",
        "builtin:digits",
        "--model",
        "cnn",
        "--image",
        "1,7,9",
        "--out",
        dir.join("bad").to_str().unwrap(),
    ]);
    assert_eq!(c, Some(2));
    assert!(e.contains("--image"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
