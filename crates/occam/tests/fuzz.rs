//! Mutation fuzzing on stable Rust: every reader (CSV into a data set, libsvm, idx, gzip,
//! Parquet, a
//! TOML search space, a TOML training config, a model folder's model.json and its weights)
//! gets inputs mutated from small real seeds (bytes flipped, inserted,
//! deleted, duplicated, set to the values parsers trip on), and must return a result or a
//! typed error, never panic. A short deterministic pass runs with the tests; `scripts/fuzz.sh`
//! runs each target for a given time (`FUZZ_SECONDS`) and keeps any crashing input under
//! `tests/fuzz_regressions/<target>/`, which every run replays.

use occam::options::TrainOptions;
use occam::tune::{DimSpec, Space};
use occam::{CsvOptions, Dataset, MissingPolicy, Mlp, RawTable, Task};
use occam_core::rng::Rng;
use occam_core::{idx, input, libsvm};
use occam_nn::model::{load as load_net, save_weights, ModelMeta};
use std::collections::BTreeMap;
use std::io::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

fn head_lines(bytes: &[u8], n: usize) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    (text.lines().take(n).collect::<Vec<_>>().join("\n") + "\n").into_bytes()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A small network trained on Pima rows: its model.json and its weights (safetensors), the
/// seeds of the model targets.
fn model_files() -> &'static (String, Vec<u8>) {
    static FILES: std::sync::OnceLock<(String, Vec<u8>)> = std::sync::OnceLock::new();
    FILES.get_or_init(|| {
        let text = std::fs::read(repo("datasets/pima_indians_diabetes.csv")).unwrap();
        let t = RawTable::parse(&head_lines(&text, 60), Path::new("pima.csv")).unwrap();
        let d = Dataset::from_table(&t, &CsvOptions::default()).unwrap();
        let m = Mlp {
            hidden: Some(vec![3]),
            epochs: 1,
            ..Mlp::default()
        }
        .fit(&d)
        .unwrap();
        (m.meta.to_json().unwrap(), save_weights(&m.net).unwrap())
    })
}

/// Small real inputs each target starts from.
fn seeds(target: &str) -> Vec<Vec<u8>> {
    let read = |rel: &str| std::fs::read(repo(rel)).unwrap();
    match target {
        "csv" => vec![
            head_lines(&read("datasets/pima_indians_diabetes.csv"), 30),
            head_lines(&read("datasets/diabetes_regression.csv"), 20),
            head_lines(&read("datasets/synthetic/pima_city.csv"), 25),
            b"a;b;y\n1;\"x,y\";0\n2;;1\n3;\"\"\"q\";0\n".to_vec(),
        ],
        "libsvm" => {
            let svm = read("datasets/movie_reviews_polarity_counts.svm.gz");
            let plain = input::decompress(svm, Path::new("m.svm.gz")).unwrap();
            vec![
                head_lines(&plain, 8),
                b"1 1:0.5 3:2\n0 2:1e3 7:-1\n".to_vec(),
            ]
        }
        "idx" => {
            let images = read("datasets/fashion_mnist_subset/t10k-images-idx3-ubyte.gz");
            let images = input::decompress(images, Path::new("i.gz")).unwrap();
            // The header and the first two images.
            let mut two = images[..16 + 2 * 784].to_vec();
            two[4..8].copy_from_slice(&2u32.to_be_bytes());
            let labels = read("datasets/fashion_mnist_subset/t10k-labels-idx1-ubyte.gz");
            let labels = input::decompress(labels, Path::new("l.gz")).unwrap();
            // The header and the first 50 labels.
            let mut fifty = labels[..8 + 50].to_vec();
            fifty[4..8].copy_from_slice(&50u32.to_be_bytes());
            vec![two, fifty]
        }
        "parquet" => ["table_snappy", "table_zstd", "table_none", "nested"]
            .iter()
            .map(|f| read(&format!("crates/occam-core/tests/fixtures/parquet/{f}.parquet")))
            .collect(),
        "gzip" => vec![
            gzip(&head_lines(&read("datasets/diabetes_regression.csv"), 10)),
            gzip(b"1 1:0.5\n"),
        ],
        "space" => vec![
            b"[l1]\nlog = [1e-4, 1e-1]\n[dropout]\nrange = [0, 0.5]\n[width]\nint = [8, 64]\n"
                .to_vec(),
            b"[lr]\nchoice = [1e-3, 3e-3]\n[alpha]\nrange = [0.1, 1.0]\n".to_vec(),
        ],
        "config" => vec![
            b"l1 = 0.01\nhidden = [16, 8]\noptimizer = \"sgd\"\nschedule = \"step:10:0.5\"\n\
              penalty_layers = \"0,1\"\nelastic_net = [0.1, 0.5]\n\n[[layer_penalty]]\nlayer = 1\nl2 = 0.1\n"
                .to_vec(),
            b"model = \"cnn\"\nconv = \"8:3:2\"\nimage = \"1,8,8\"\ndropout = 0.2\nepochs = 3\n".to_vec(),
        ],
        "model" => vec![model_files().0.clone().into_bytes()],
        "weights" => vec![model_files().1.clone()],
        _ => unreachable!("no target {target}"),
    }
}

/// Runs one input through the target's reader; `Err` for a typed error is fine.
fn run(target: &str, bytes: &[u8]) {
    let path = Path::new("fuzz.input");
    match target {
        "csv" => {
            if let Ok(t) = RawTable::parse(bytes, path) {
                let _ = Dataset::from_table(&t, &CsvOptions::default());
                let opts = CsvOptions {
                    missing: MissingPolicy::parse("mean").unwrap(),
                    categorical: t.headers.first().cloned().into_iter().collect(),
                    ..CsvOptions::default()
                };
                let _ = Dataset::from_table(&t, &opts);
            }
        }
        "libsvm" => {
            let _ = libsvm::read_libsvm(bytes, path, None);
        }
        "idx" => {
            let _ = idx::read_idx(bytes, path);
        }
        "parquet" => {
            if let Ok(t) = occam_core::parquet::parse_parquet(bytes.to_vec(), path) {
                let _ = Dataset::from_table(&t, &CsvOptions::default());
            }
        }
        "gzip" => {
            if let Ok(plain) = input::decompress(bytes.to_vec(), path) {
                let _ = RawTable::parse(&plain, path);
            }
        }
        "config" => {
            if let Ok(o) = toml::from_str::<TrainOptions>(&String::from_utf8_lossy(bytes)) {
                if let Ok(m) = o.mlp() {
                    let _ = m.spec(64, 1);
                    let _ = m.train_config(Task::Binary);
                }
            }
        }
        "model" => {
            if let Ok(meta) = ModelMeta::from_json(&String::from_utf8_lossy(bytes)) {
                if let Ok(mut net) = load_net::<f32>(&meta, &model_files().1) {
                    let x = occam_nn::Mat::from_vec(1, meta.spec.n_in, vec![0.5; meta.spec.n_in]);
                    let _ = occam_nn::data::outputs(
                        &mut net,
                        &occam_nn::Features::Dense(x),
                        &mut Default::default(),
                    );
                }
            }
        }
        "weights" => {
            let meta = ModelMeta::from_json(&model_files().0).unwrap();
            let _ = load_net::<f32>(&meta, bytes);
        }
        "space" => {
            if let Ok(specs) =
                toml::from_str::<BTreeMap<String, DimSpec>>(&String::from_utf8_lossy(bytes))
            {
                let _ = Space::from_specs(&specs);
            }
        }
        _ => unreachable!(),
    }
}

const INTERESTING: &[u8] = b"\x00\xff,;\t\n\r\"-+.:eE9 01[]=#";

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let n = v.len().max(1);
        match rng.below(6) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 => {
                let i = rng.below(n);
                v.insert(i.min(v.len()), INTERESTING[rng.below(INTERESTING.len())]);
            }
            2 if !v.is_empty() => {
                let i = rng.below(v.len());
                let len = 1 + rng.below(8.min(v.len() - i));
                v.drain(i..i + len);
            }
            3 if !v.is_empty() => {
                let i = rng.below(v.len());
                let len = 1 + rng.below(32.min(v.len() - i));
                let part = v[i..i + len].to_vec();
                let at = rng.below(v.len());
                v.splice(at..at, part);
            }
            4 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            _ if v.len() > 4 => {
                // A run of digits: numbers too large, too long or malformed.
                let i = rng.below(v.len());
                let digits = b"99999999999999999999e999";
                v.splice(i..i, digits[..1 + rng.below(digits.len())].iter().copied());
            }
            _ => {}
        }
    }
    v
}

/// Fuzzes `reader` from `seeds` for `iters` inputs or `budget`, whichever ends first;
/// returns the inputs tried and the ones that panicked (kept under target/fuzz-crashes/).
fn fuzz(
    target: &str,
    seeds: &[Vec<u8>],
    reader: &dyn Fn(&[u8]),
    iters: usize,
    budget: Duration,
    seed: u64,
) -> (usize, Vec<PathBuf>) {
    let mut rng = Rng::new(seed);
    let t0 = Instant::now();
    let mut crashes = Vec::new();
    let mut tried = 0;
    while tried < iters && t0.elapsed() < budget {
        let base = &seeds[rng.below(seeds.len())];
        let input = mutate(&mut rng, base);
        tried += 1;
        if catch_unwind(AssertUnwindSafe(|| reader(&input))).is_err() {
            let dir = repo("target/fuzz-crashes");
            std::fs::create_dir_all(&dir).unwrap();
            let p = dir.join(format!("{target}-{seed}-{tried}.bin"));
            std::fs::write(&p, &input).unwrap();
            crashes.push(p);
        }
    }
    (tried, crashes)
}

const TARGETS: [&str; 9] = [
    "csv", "libsvm", "idx", "gzip", "parquet", "space", "config", "model", "weights",
];

/// The tests that silence the panic hook run one at a time (the hook is global).
static HOOK: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn every_reader_survives_mutated_inputs() {
    // FUZZ_SECONDS per target (scripts/fuzz.sh); without it, a deterministic short pass.
    let secs: Option<u64> = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok());
    let only = std::env::var("FUZZ_TARGETS").ok();
    let (iters, budget) = match secs {
        Some(s) => (usize::MAX, Duration::from_secs(s)),
        None => (1500, Duration::from_secs(600)),
    };
    let _one = HOOK.lock().unwrap_or_else(|e| e.into_inner());
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut report = Vec::new();
    for target in TARGETS {
        if only
            .as_deref()
            .is_some_and(|o| !o.split(',').any(|t| t == target))
        {
            continue;
        }
        let reader = |b: &[u8]| run(target, b);
        let (tried, crashes) = fuzz(target, &seeds(target), &reader, iters, budget, 7);
        report.push((target, tried, crashes));
    }
    std::panic::set_hook(hook);
    for (target, tried, crashes) in &report {
        println!("fuzz {target}: {tried} inputs, {} panics", crashes.len());
    }
    let crashed: Vec<_> = report.iter().flat_map(|r| r.2.iter()).collect();
    assert!(crashed.is_empty(), "inputs that panicked: {crashed:?}");
}

#[test]
fn the_regression_inputs_give_errors_not_panics() {
    let mut seen = 0;
    for target in TARGETS {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fuzz_regressions")
            .join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            let bytes = std::fs::read(&p).unwrap();
            let r = catch_unwind(|| run(target, &bytes));
            assert!(r.is_ok(), "{} panics", p.display());
            seen += 1;
        }
    }
    assert!(seen >= 1, "the regression folder holds the known inputs");
    // The idx header whose dimensions overflow is a typed error naming the overflow.
    let p =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions/idx/dims-overflow.idx");
    let e = idx::read_idx(&std::fs::read(&p).unwrap(), &p).unwrap_err();
    assert!(e.to_string().contains("overflow"), "{e}");
}

#[test]
fn the_fuzzer_finds_a_planted_panic() {
    // A reader that panics on a quote inside a number-like run: the mutations must reach it.
    let _one = HOOK.lock().unwrap_or_else(|e| e.into_inner());
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let planted = |b: &[u8]| {
        if b.windows(2).any(|w| w == b"9\"") {
            panic!("planted");
        }
    };
    let seeds = vec![b"a,b\n1,2\n3,4\n".to_vec()];
    let (tried, crashes) = fuzz(
        "planted",
        &seeds,
        &planted,
        20_000,
        Duration::from_secs(60),
        1,
    );
    std::panic::set_hook(hook);
    assert!(!crashes.is_empty(), "no panic found in {tried} inputs");
    let first = std::fs::read(&crashes[0]).unwrap();
    assert!(first.windows(2).any(|w| w == b"9\""));
    for c in crashes {
        let _ = std::fs::remove_file(c);
    }
}
