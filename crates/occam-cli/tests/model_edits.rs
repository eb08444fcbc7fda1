//! Model files are verified on load: 200 randomly edited copies of a trained run folder (one
//! to four bytes of model.json, model.safetensors, preprocess.json or manifest.json changed)
//! are each either refused with a clear error (exit 2, `error[...]`, no panic) or predict
//! exactly as the untouched run does.

mod common;
use common::{datasets, occam, tmp};
use std::path::Path;

/// A small seeded generator (SplitMix64), so the edits are the same on every run.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[test]
fn two_hundred_edited_model_folders_are_refused_or_predict_as_before() {
    let dir = tmp("model-edits");
    let run = dir.join("run");
    let data = datasets("synthetic/pima_city.csv");
    let (o, e, c) = occam(&[
        "train",
        &data,
        "--categorical",
        "city",
        "--missing",
        "mean",
        "--hidden",
        "4",
        "--epochs",
        "3",
        "--no-report",
        "--out",
        run.to_str().unwrap(),
    ]);
    assert_eq!(c, Some(0), "{o}{e}");
    let (want, e, c) = occam(&["predict", run.to_str().unwrap(), &data]);
    assert_eq!(c, Some(0), "{e}");
    let files = [
        "model.json",
        "model.safetensors",
        "preprocess.json",
        "manifest.json",
    ];
    let mut rng = Mix(20261206);
    let (mut refused, mut same) = (0, 0);
    for k in 0..200 {
        let copy = dir.join(format!("edit{k}"));
        copy_dir(&run, &copy);
        let file = copy.join(files[rng.below(files.len())]);
        let mut bytes = std::fs::read(&file).unwrap();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(bytes.len());
            bytes[at] = rng.below(256) as u8;
        }
        std::fs::write(&file, &bytes).unwrap();
        let (o, e, c) = occam(&["predict", copy.to_str().unwrap(), &data]);
        assert!(
            !e.contains("panicked"),
            "edit {k} of {}: {e}",
            file.display()
        );
        match c {
            Some(2) => {
                assert!(e.starts_with("error["), "edit {k}: {e}");
                refused += 1;
            }
            Some(0) => {
                assert_eq!(
                    o,
                    want,
                    "edit {k} of {} changed the predictions",
                    file.display()
                );
                same += 1;
            }
            other => panic!("edit {k} of {}: exit {other:?}: {e}", file.display()),
        }
        std::fs::remove_dir_all(&copy).unwrap();
    }
    eprintln!("{refused} refused, {same} accepted with identical predictions");
    assert!(refused > 150, "{refused} refused");
    std::fs::remove_dir_all(&dir).unwrap();
}
