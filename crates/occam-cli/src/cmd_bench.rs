//! `occam bench mlp DIR --prox 0|1`: occam's side of bench/nn-anchor. Reads the
//! same raw f32 data and initial weights as bench_torch.py, trains the same MLP (ReLU, MSE,
//! Adam) for the same warm-up and timed steps, and prints the same RESULT line.
//! `occam bench load FILE`: occam's side of bench/load.sh, the time from a path to the
//! training matrix. `occam bench gemm`: the engine's matrix product.

use crate::flags_nn::BenchMlpArgs;
use crate::UserError;
use anyhow::{Context, Result};
use occam_core::rng::Rng;
use occam_nn::regularize::{L1Mode, LayerPenalty, LayerSelect, PenaltyPolicy};
use occam_nn::{Batch, Layer, Loss, Mat, MlpSpec, Net, OptimizerKind, TrainConfig, Trainer};
use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

fn read_f32(path: &Path, len: usize) -> Result<Vec<f32>> {
    let b = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if b.len() != len * 4 {
        anyhow::bail!(UserError(format!(
            "{}: {} bytes, expected {} f32 values per meta.txt",
            path.display(),
            b.len(),
            len
        )));
    }
    Ok(b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

pub fn bench_mlp(a: &BenchMlpArgs) -> Result<()> {
    crate::nn_setup::set_threads(Some(a.threads))?;
    crate::nn_setup::in_pool(|| bench_mlp_inner(a))
}

/// A workload's batches and schedule: `nb` batches of `batch` rows of `widths.0` inputs and
/// `widths.1` targets, cycled; `warm` untimed steps, then `steps` timed ones.
struct Timed<'a> {
    x: &'a [f32],
    y: &'a [f32],
    nb: usize,
    batch: usize,
    widths: (usize, usize),
    warm: usize,
    steps: usize,
    lr: f64,
}

impl Timed<'_> {
    /// Trains `tr` on the schedule: the seconds of the timed steps, the first and the last
    /// loss.
    fn train(&self, tr: &mut Trainer<f32>) -> Result<(f64, f64, f64)> {
        let ((d, o), b) = (self.widths, self.batch);
        let xs: Vec<Mat<f32>> = (0..self.nb)
            .map(|i| Mat::from_vec(b, d, self.x[i * b * d..(i + 1) * b * d].to_vec()))
            .collect();
        let mut rng = Rng::new(0);
        let (mut loss, mut first) = (0.0, None);
        let mut t0 = Instant::now();
        for i in 0..self.warm + self.steps {
            if i == self.warm {
                t0 = Instant::now();
            }
            let k = i % self.nb;
            let y = &self.y[k * b * o..(k + 1) * b * o];
            loss = tr
                .step(Batch::Dense(&xs[k]), y, self.lr, &mut rng)
                .ok_or_else(|| UserError("the loss became non-finite".into()))?;
            first.get_or_insert(loss);
        }
        Ok((t0.elapsed().as_secs_f64(), first.unwrap_or(0.0), loss))
    }
}

/// A workload's meta.txt (`key=value` lines).
struct Meta {
    path: std::path::PathBuf,
    values: HashMap<String, String>,
}

impl Meta {
    fn read(dir: &Path) -> Result<Meta> {
        let path = dir.join("meta.txt");
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "cannot read {} (generate the workload first)",
                path.display()
            )
        })?;
        let values = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        Ok(Meta { path, values })
    }

    fn get(&self, k: &str) -> Result<&str> {
        self.values
            .get(k)
            .map(String::as_str)
            .ok_or_else(|| UserError(format!("{}: no '{k}='", self.path.display())).into())
    }

    fn num(&self, k: &str) -> Result<usize> {
        self.get(k)?
            .parse()
            .map_err(|_| UserError(format!("{}: '{k}' is not a count", self.path.display())).into())
    }
}

fn bench_mlp_inner(a: &BenchMlpArgs) -> Result<()> {
    let meta = Meta::read(&a.dir)?;
    let get = |k: &str| meta.get(k);
    let sizes: Vec<usize> = get("sizes")?
        .split(',')
        .map(|s| s.trim().parse())
        .collect::<std::result::Result<_, _>>()?;
    let num = |k: &str| meta.num(k);
    let (batch, steps, warm, nb) = (num("batch")?, num("steps")?, num("warmup")?, num("nb")?);
    let lr: f64 = get("lr")?.trim().parse()?;
    let lam: f64 = get("lam")?.trim().parse()?;
    let (d, last) = (sizes[0], *sizes.last().expect("sizes"));
    let x = read_f32(&a.dir.join("X.bin"), nb * batch * d)?;
    let y = read_f32(&a.dir.join("Y.bin"), nb * batch * last)?;
    let spec = MlpSpec::new(d, sizes[1..sizes.len() - 1].to_vec(), last);
    let mut net: Net<f32> = Net::new(&spec, 0);
    let mut li = 0;
    for layer in &mut net.layers {
        if let Layer::Dense(l) = layer {
            let w = read_f32(&a.dir.join(format!("L{li}_W.bin")), l.n_in * l.n_out)?;
            // torch [out, in] -> occam [in, out]
            for o in 0..l.n_out {
                for i in 0..l.n_in {
                    l.weight.value[i * l.n_out + o] = w[o * l.n_in + i];
                }
            }
            l.bias.value = read_f32(&a.dir.join(format!("L{li}_b.bin")), l.n_out)?;
            li += 1;
        }
    }
    let mut cfg = TrainConfig::new(Loss::Mse);
    cfg.lr = lr;
    cfg.optimizer = OptimizerKind::adam();
    if a.prox == 1 {
        cfg.penalty = PenaltyPolicy {
            default: LayerPenalty {
                l1: lam,
                ..Default::default()
            },
            layers: LayerSelect::First,
            l1_mode: L1Mode::ProxUniform,
            ..Default::default()
        };
    }
    let mut tr = Trainer::new(net, cfg)?;
    let run = Timed {
        x: &x,
        y: &y,
        nb,
        batch,
        widths: (d, last),
        warm,
        steps,
        lr,
    };
    let (dt, _, loss) = run.train(&mut tr)?;
    let w0 = &tr.net.dense()[0].weight;
    let wl = a
        .dir
        .file_name()
        .map_or("?".into(), |s| s.to_string_lossy().into_owned());
    println!(
        "RESULT engine=occam wl={wl} prox={} steps_per_s={:.2} ms_per_step={:.4} final_loss={:.6} w0_zeros={}/{}",
        a.prox,
        steps as f64 / dt,
        1000.0 * dt / steps as f64,
        loss,
        w0.zeros(),
        w0.len()
    );
    Ok(())
}

/// `occam bench gemm`: GFLOP/s of the matrix product the engine uses (f32, square).
pub fn bench_gemm(a: &crate::flags_nn::BenchGemmArgs) -> Result<()> {
    crate::nn_setup::set_threads(Some(a.threads))?;
    crate::nn_setup::in_pool(|| bench_gemm_inner(a))
}

fn bench_gemm_inner(a: &crate::flags_nn::BenchGemmArgs) -> Result<()> {
    let n = a.size;
    let mut r = Rng::new(1);
    let x = Mat::from_vec(n, n, (0..n * n).map(|_| r.normal() as f32).collect());
    let y = Mat::from_vec(n, n, (0..n * n).map(|_| r.normal() as f32).collect());
    let mut c = vec![0f32; n * n];
    let view = occam_nn::mat::View::of;
    for _ in 0..5 {
        occam_nn::mat::matmul(&mut c, view(&x), view(&y), false);
    }
    let reps = 50;
    let t0 = Instant::now();
    for _ in 0..reps {
        occam_nn::mat::matmul(&mut c, view(&x), view(&y), false);
    }
    let dt = t0.elapsed().as_secs_f64();
    println!(
        "GEMM engine=occam n={n} threads={} gflops={:.1}",
        a.threads,
        2.0 * (n as f64).powi(3) * reps as f64 / dt / 1e9
    );
    Ok(())
}

/// Reads `a.data` the way `occam linear path` does (file to bytes, bytes to table, table to
/// data set) and prints the time of each step.
pub fn bench_load(a: &crate::flags_nn::BenchLoadArgs) -> Result<()> {
    let t0 = Instant::now();
    let src = crate::load::resolve(&a.data)?;
    let read = t0.elapsed().as_secs_f64();
    let opts = occam_core::CsvOptions {
        target: a.target.clone(),
        ..Default::default()
    };
    let d = crate::load::dataset(&src, &opts, None)?;
    let total = t0.elapsed().as_secs_f64();
    println!(
        "RESULT engine=occam rows={} cols={} read_s={read:.4} seconds={total:.4}",
        d.nrows(),
        d.nfeatures()
    );
    Ok(())
}

pub fn bench_rnn(a: &crate::flags_nn::BenchRnnArgs) -> Result<()> {
    crate::nn_setup::set_threads(Some(a.threads))?;
    crate::nn_setup::in_pool(|| bench_rnn_inner(a))
}

/// occam's side of bench/rnn.sh: the workload's one-layer LSTM or GRU (PyTorch's initial
/// weights, read from the folder) and a linear output, MSE, Adam; `warmup` steps, then
/// `steps` timed ones over the folder's batches.
fn bench_rnn_inner(a: &crate::flags_nn::BenchRnnArgs) -> Result<()> {
    use occam_nn::layer::recurrent::CellKind;
    let m = Meta::read(&a.dir)?;
    let cell = match m.get("cell")? {
        "lstm" => CellKind::Lstm,
        "gru" => CellKind::Gru,
        other => anyhow::bail!(UserError(format!("cell '{other}': lstm or gru"))),
    };
    let (t, f, h) = (m.num("steps_seq")?, m.num("features")?, m.num("hidden")?);
    let (batch, nb, warm, steps) = (
        m.num("batch")?,
        m.num("nb")?,
        m.num("warmup")?,
        m.num("steps")?,
    );
    let lr: f64 = m.get("lr")?.parse()?;
    let g = cell.gates() * h;
    let x = read_f32(&a.dir.join("X.bin"), nb * batch * t * f)?;
    let y = read_f32(&a.dir.join("Y.bin"), nb * batch)?;
    let mut spec = MlpSpec::new(t * f, Vec::new(), 1);
    spec.recurrent = Some(occam_nn::RecurrentSpec {
        cell,
        hidden: h,
        steps: t,
        features: f,
        recurrent_dropout: 0.0,
    });
    let mut net: Net<f32> = Net::new(&spec, 0);
    for layer in &mut net.layers {
        let p = match layer {
            Layer::Lstm(l) => &mut l.p,
            Layer::Gru(l) => &mut l.p,
            Layer::Dense(l) => {
                l.weight.value = read_f32(&a.dir.join("out_W.bin"), h)?;
                l.bias.value = read_f32(&a.dir.join("out_b.bin"), 1)?;
                continue;
            }
            _ => continue,
        };
        p.weight_ih.value = read_f32(&a.dir.join("weight_ih.bin"), g * f)?;
        p.weight_hh.value = read_f32(&a.dir.join("weight_hh.bin"), g * h)?;
        p.bias_ih.value = read_f32(&a.dir.join("bias_ih.bin"), g)?;
        p.bias_hh.value = read_f32(&a.dir.join("bias_hh.bin"), g)?;
    }
    let mut cfg = TrainConfig::new(Loss::Mse);
    cfg.lr = lr;
    cfg.optimizer = OptimizerKind::adam();
    let mut tr = Trainer::new(net, cfg)?;
    let run = Timed {
        x: &x,
        y: &y,
        nb,
        batch,
        widths: (t * f, 1),
        warm,
        steps,
        lr,
    };
    let (dt, first, loss) = run.train(&mut tr)?;
    println!(
        "RESULT engine=occam cell={} T={t} H={h} B={batch} steps_per_s={:.2} first_loss={:.6} final_loss={loss:.6}",
        m.get("cell")?,
        steps as f64 / dt,
        first
    );
    Ok(())
}
