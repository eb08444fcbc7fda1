//! Every layer, loss and optimizer against PyTorch (float64) on the fixtures made by
//! `fixtures/torch/gen_torch.py`: values and gradients agree to 1e-5 relative.

use occam_core::rng::Rng;
use occam_nn::layer::{
    ActKind, Activation, BatchNorm, Conv2d, ConvShape, Dense, Dropout, Embedding, Gru, LayerNorm,
    Lstm, Pool2d, PoolKind, RecurrentShape,
};
use occam_nn::mat::{Batch, Csr, Mat};
use occam_nn::optim::{Optimizer, OptimizerKind};
use occam_nn::regularize::{L1Mode, LayerPenalty, LayerSelect, PenaltyPolicy};
use occam_nn::{Loss, MlpSpec, Net, Param, ParamKind, TrainConfig, Trainer};
use serde_json::Value;

const TOL: f64 = 1e-5;

struct Case {
    name: String,
    kind: String,
    config: Value,
    tensors: Value,
}

impl Case {
    fn t(&self, name: &str) -> Vec<f64> {
        let v = &self.tensors[name];
        assert!(!v.is_null(), "{}: tensor {name} missing", self.name);
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    }
    fn shape(&self, name: &str) -> Vec<usize> {
        self.tensors[name]["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as usize)
            .collect()
    }
    fn mat(&self, name: &str) -> Mat<f64> {
        let s = self.shape(name);
        let cols = if s.len() > 1 { s[1] } else { 1 };
        Mat::from_vec(s[0], cols, self.t(name))
    }
    fn cfg(&self, key: &str) -> f64 {
        self.config[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{}: config {key}", self.name))
    }
}

fn cases() -> Vec<Case> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/torch/torch_fixtures.json"
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Case {
            name: c["name"].as_str().unwrap().to_string(),
            kind: c["kind"].as_str().unwrap().to_string(),
            config: c["config"].clone(),
            tensors: c["tensors"].clone(),
        })
        .collect()
}

/// max |a - b| / max |b| (absolute when b is all zero).
fn check(case: &str, what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{case} {what}: length");
    let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-12);
    let err = got
        .iter()
        .zip(want)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    assert!(
        err / scale <= TOL,
        "{case} {what}: relative error {:.3e} (max abs {err:.3e})",
        err / scale
    );
}

/// torch [out, in] -> occam [in, out].
fn to_in_out(w: &[f64], out: usize, inp: usize) -> Vec<f64> {
    let mut t = vec![0.0; w.len()];
    for o in 0..out {
        for i in 0..inp {
            t[i * out + o] = w[o * inp + i];
        }
    }
    t
}

fn dense_case(c: &Case, masked: bool) -> usize {
    let ws = c.shape("weight");
    let (out, inp) = (ws[0], ws[1]);
    let mut d = Dense::from_params(
        0,
        inp,
        out,
        to_in_out(&c.t("weight"), out, inp),
        c.t("bias"),
    );
    let x = c.mat("x");
    let gy = c.mat("grad_y");
    let mut variants = vec![Batch::Dense(&x)];
    let sparse = Csr::from_dense(&x);
    if c.name.contains("sparse") {
        assert!(
            sparse.values.len() < x.data.len(),
            "the sparse case has zeros"
        );
        variants.push(Batch::Sparse(&sparse));
    }
    for b in &variants {
        if masked {
            let p = c.cfg("p");
            let m = to_in_out(&c.t("mask"), out, inp);
            d.forward_masked(*b, m.iter().map(|v| v / (1.0 - p)).collect());
        } else {
            d.forward_train(*b, &mut Rng::new(0));
        }
        check(&c.name, "y", &d.out.data, &c.t("y"));
        d.backward(*b, &gy, true);
        check(&c.name, "grad_x", &d.grad_in.data, &c.t("grad_x"));
        let gw = to_in_out(&c.t("grad_weight"), out, inp);
        check(&c.name, "grad_weight", &d.weight.grad, &gw);
        check(&c.name, "grad_bias", &d.bias.grad, &c.t("grad_bias"));
    }
    variants.len()
}

fn loss_of(c: &Case) -> Loss {
    match c.kind.as_str() {
        "mse" => Loss::Mse,
        "huber" => Loss::Huber {
            delta: c.cfg("delta"),
        },
        "bce_logits" => Loss::BceLogits,
        "softmax_ce" => Loss::SoftmaxCe,
        "poisson_nll" => Loss::PoissonNll,
        k => panic!("not a loss: {k}"),
    }
}

/// The optimizer `kind` (sgd, adam, else adamw) with the case's hyperparameters.
fn optimizer_of(c: &Case, kind: &str, nesterov: bool) -> OptimizerKind {
    match kind {
        "sgd" => OptimizerKind::Sgd {
            momentum: c.cfg("momentum"),
            nesterov,
        },
        "adam" => OptimizerKind::Adam {
            beta1: c.cfg("beta1"),
            beta2: c.cfg("beta2"),
            eps: c.cfg("eps"),
        },
        _ => OptimizerKind::AdamW {
            beta1: c.cfg("beta1"),
            beta2: c.cfg("beta2"),
            eps: c.cfg("eps"),
        },
    }
}

fn optimizer_case(c: &Case) {
    let p0 = c.t("param0");
    let n = p0.len();
    let grads = c.t("grads");
    let want = c.t("params");
    let lr = c.cfg("lr");
    let wd = c.cfg("weight_decay");
    let nesterov = c.config["nesterov"].as_bool().unwrap_or(false);
    let kind = optimizer_of(c, &c.kind, nesterov);
    // Coupled L2 (sgd, adam) goes into the gradient; AdamW's decay is decoupled. This is
    // what occam's Regularizer does for --l2 and --weight-decay; here it is spelled out.
    let mut p = Param::new("w".into(), ParamKind::Weight, vec![n], p0);
    let mut opt = Optimizer::new(kind, &[&mut p]);
    for t in 0..want.len() / n {
        p.grad = grads[t * n..(t + 1) * n].to_vec();
        if c.kind == "adamw" {
            p.value.iter_mut().for_each(|w| *w *= 1.0 - lr * wd);
        } else {
            for (g, w) in p.grad.iter_mut().zip(&p.value) {
                *g += wd * w;
            }
        }
        opt.step(&mut [&mut p], lr);
        check(
            &c.name,
            &format!("params after step {}", t + 1),
            &p.value,
            &want[t * n..(t + 1) * n],
        );
    }
}

/// One training step of a small MLP through the Trainer (the same code path as `occam
/// train`), with coupled L2 / decoupled decay off and, in the Adam case, L1 by proximal step
/// on the first layer only.
fn mlp_case(c: &Case) {
    let sizes: Vec<usize> = c.config["sizes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    let mut spec = MlpSpec::new(sizes[0], vec![sizes[1]], sizes[2]);
    spec.activation = ActKind::parse(c.config["activation"].as_str().unwrap()).unwrap();
    let mut net: Net<f64> = Net::new(&spec, 0);
    for (li, layer) in [(0usize, 0usize), (1, 2)] {
        let occam_nn::Layer::Dense(d) = &mut net.layers[layer] else {
            panic!("dense expected")
        };
        d.weight.value = to_in_out(&c.t(&format!("L{li}_W")), d.n_out, d.n_in);
        d.bias.value = c.t(&format!("L{li}_b"));
    }
    let loss = loss_of(&Case {
        kind: c.config["loss"].as_str().unwrap().to_string(),
        name: c.name.clone(),
        config: Value::Null,
        tensors: Value::Null,
    });
    let mut cfg = TrainConfig::new(loss);
    cfg.lr = c.cfg("lr");
    cfg.optimizer = match c.config["optimizer"].as_str().unwrap() {
        "adam" => optimizer_of(c, "adam", false),
        _ => optimizer_of(c, "sgd", false),
    };
    let l1 = c.cfg("l1_prox");
    cfg.penalty = PenaltyPolicy {
        default: LayerPenalty {
            l1,
            ..Default::default()
        },
        layers: LayerSelect::First,
        // The fixture applies the uniform step lr after Adam, as PyTorch scripts do.
        l1_mode: L1Mode::ProxUniform,
        ..Default::default()
    };
    let mut tr = Trainer::new(net, cfg.clone()).unwrap();
    let x = c.mat("x");
    let y = c.t("target");
    let got = tr
        .step(Batch::Dense(&x), &y, cfg.lr, &mut Rng::new(0))
        .unwrap();
    check(&c.name, "loss", &[got], &c.t("loss"));
    let ds = tr.net.dense();
    let w0_want = if l1 > 0.0 {
        c.t("L0_W_prox")
    } else {
        c.t("L0_W_after")
    };
    check(
        &c.name,
        "L0_W",
        &ds[0].weight.value,
        &to_in_out(&w0_want, ds[0].n_out, ds[0].n_in),
    );
    check(&c.name, "L0_b", &ds[0].bias.value, &c.t("L0_b_after"));
    check(
        &c.name,
        "L1_W",
        &ds[1].weight.value,
        &to_in_out(&c.t("L1_W_after"), ds[1].n_out, ds[1].n_in),
    );
    check(&c.name, "L1_b", &ds[1].bias.value, &c.t("L1_b_after"));
    if l1 > 0.0 {
        let zeros_want = w0_want.iter().filter(|v| **v == 0.0).count();
        assert!(zeros_want > 0, "the fixture has exact zeros");
        assert_eq!(ds[0].weight.zeros(), zeros_want, "{}: exact zeros", c.name);
    }
}

#[test]
fn every_layer_loss_and_optimizer_matches_pytorch() {
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    for c in cases() {
        match c.kind.as_str() {
            "dense" => {
                dense_case(&c, false);
            }
            "dropconnect" => {
                dense_case(&c, true);
            }
            "relu" | "gelu" | "tanh" | "sigmoid" => {
                let mut a = Activation::new(ActKind::parse(&c.kind).unwrap());
                let x = c.mat("x");
                a.forward_train(&x);
                check(&c.name, "y", &a.out.data, &c.t("y"));
                a.backward(&x, &c.mat("grad_y"));
                check(&c.name, "grad_x", &a.grad_in.data, &c.t("grad_x"));
            }
            "dropout" => {
                let p = c.cfg("p");
                let mut d = Dropout::new(p);
                d.mask = c.t("mask").iter().map(|m| m / (1.0 - p)).collect();
                d.apply_mask(&c.mat("x"));
                check(&c.name, "y", &d.out.data, &c.t("y"));
                d.backward(&c.mat("grad_y"));
                check(&c.name, "grad_x", &d.grad_in.data, &c.t("grad_x"));
            }
            "dropout2d" => {
                let p = c.cfg("p");
                let pixels = (c.cfg("h") * c.cfg("w")) as usize;
                let mut d = Dropout::spatial(p, pixels);
                d.mask = c
                    .t("mask")
                    .iter()
                    .flat_map(|m| std::iter::repeat_n(m / (1.0 - p), pixels))
                    .collect();
                d.apply_mask(&c.mat("x"));
                check(&c.name, "y", &d.out.data, &c.t("y"));
                d.backward(&c.mat("grad_y"));
                check(&c.name, "grad_x", &d.grad_in.data, &c.t("grad_x"));
                // A drawn mask is constant over each channel's pixels.
                d.forward_train(&c.mat("x"), &mut Rng::new(5));
                assert!(d.mask.chunks(pixels).all(|g| g.iter().all(|&v| v == g[0])));
            }
            "batchnorm1d" | "batchnorm2d" => {
                let x = c.mat("x");
                let mut b = if c.kind == "batchnorm2d" {
                    let u = |k: &str| c.cfg(k) as usize;
                    BatchNorm::new_2d(0, u("c"), u("h") * u("w"))
                } else {
                    BatchNorm::new(0, x.cols)
                };
                b.gamma.value = c.t("gamma");
                b.beta.value = c.t("beta");
                b.running_mean = c.t("running_mean");
                b.running_var = c.t("running_var");
                b.forward_train(&x);
                check(&c.name, "y", &b.out.data, &c.t("y"));
                b.backward(&c.mat("grad_y"));
                check(&c.name, "grad_x", &b.grad_in.data, &c.t("grad_x"));
                check(&c.name, "grad_gamma", &b.gamma.grad, &c.t("grad_gamma"));
                check(&c.name, "grad_beta", &b.beta.grad, &c.t("grad_beta"));
                check(
                    &c.name,
                    "running_mean",
                    &b.running_mean,
                    &c.t("running_mean_after"),
                );
                check(
                    &c.name,
                    "running_var",
                    &b.running_var,
                    &c.t("running_var_after"),
                );
                b.forward_eval(&x);
                check(&c.name, "y_eval", &b.out.data, &c.t("y_eval"));
            }
            "layernorm" => {
                let x = c.mat("x");
                let mut l = LayerNorm::new(0, x.cols);
                l.gamma.value = c.t("gamma");
                l.beta.value = c.t("beta");
                l.forward_train(&x);
                check(&c.name, "y", &l.out.data, &c.t("y"));
                l.backward(&c.mat("grad_y"));
                check(&c.name, "grad_x", &l.grad_in.data, &c.t("grad_x"));
                check(&c.name, "grad_gamma", &l.gamma.grad, &c.t("grad_gamma"));
                check(&c.name, "grad_beta", &l.beta.grad, &c.t("grad_beta"));
            }
            "mse" | "huber" | "bce_logits" | "softmax_ce" | "poisson_nll" => {
                let mut g = Mat::default();
                let v = loss_of(&c).value_grad(&c.mat("pred"), &c.t("target"), &mut g);
                check(&c.name, "loss", &[v], &c.t("loss"));
                check(&c.name, "grad_pred", &g.data, &c.t("grad_pred"));
            }
            "conv2d" => {
                let u = |k: &str| c.cfg(k) as usize;
                let shape = ConvShape {
                    c_in: u("c_in"),
                    h: u("h"),
                    w: u("w"),
                    c_out: u("c_out"),
                    k: u("k"),
                    stride: u("stride"),
                    pad: u("pad"),
                };
                let mut l = Conv2d::from_params(0, shape, c.t("weight"), c.t("bias"));
                let x = c.mat("x");
                l.forward(&x);
                check(&c.name, "y", &l.out.data, &c.t("y"));
                l.backward(&c.mat("grad_y"), true);
                check(&c.name, "grad_x", &l.grad_in.data, &c.t("grad_x"));
                check(&c.name, "grad_weight", &l.weight.grad, &c.t("grad_weight"));
                check(&c.name, "grad_bias", &l.bias.grad, &c.t("grad_bias"));
            }
            "maxpool2d" | "avgpool2d" => {
                let u = |k: &str| c.cfg(k) as usize;
                let kind = if c.kind == "maxpool2d" {
                    PoolKind::Max
                } else {
                    PoolKind::Avg
                };
                let mut l = Pool2d::new(kind, u("c"), u("h"), u("w"), u("k"));
                l.forward(&c.mat("x"));
                check(&c.name, "y", &l.out.data, &c.t("y"));
                l.backward(&c.mat("grad_y"));
                check(&c.name, "grad_x", &l.grad_in.data, &c.t("grad_x"));
            }
            "embedding" => {
                let (v, d) = (c.cfg("rows") as usize, c.cfg("dim") as usize);
                let mut e = Embedding::new(v, d, c.t("weight"));
                let ids: Vec<usize> = c.t("ids").iter().map(|x| *x as usize).collect();
                e.forward(&ids);
                check(&c.name, "y", &e.out.data, &c.t("y"));
                e.backward(&ids, &c.mat("grad_y"));
                // Scatter the sparse gradient into the dense table PyTorch reports.
                let mut dense = vec![0.0; v * d];
                for (k, &r) in e.touched.iter().enumerate() {
                    dense[r * d..(r + 1) * d].copy_from_slice(&e.grad[k * d..(k + 1) * d]);
                }
                check(&c.name, "grad_weight", &dense, &c.t("grad_weight"));
                let want_rows = c
                    .t("grad_weight")
                    .chunks(d)
                    .filter(|r| r.iter().any(|x| *x != 0.0))
                    .count();
                assert_eq!(
                    e.touched.len(),
                    want_rows,
                    "{}: only the looked-up rows carry a gradient",
                    c.name
                );
            }
            "lstm" | "gru" => {
                let u = |k: &str| c.cfg(k) as usize;
                let shape = RecurrentShape {
                    features: u("features"),
                    steps: u("steps"),
                    hidden: u("hidden"),
                };
                let values = Some(["weight_ih", "weight_hh", "bias_ih", "bias_hh"].map(|k| c.t(k)));
                let mut rng = Rng::new(0);
                let x = c.mat("x");
                let gy = c.mat("grad_y");
                let (y, gx, grads) = if c.kind == "lstm" {
                    let mut l = Lstm::from_params(0, shape, values, &mut rng);
                    l.forward_train(&x, &mut rng);
                    l.backward(&gy, true);
                    let g = l.params().map(|p| p.grad.clone());
                    (l.out.data.clone(), l.grad_in.data.clone(), g)
                } else {
                    let mut l = Gru::from_params(0, shape, values, &mut rng);
                    l.forward_train(&x, &mut rng);
                    l.backward(&gy, true);
                    let g = l.params().map(|p| p.grad.clone());
                    (l.out.data.clone(), l.grad_in.data.clone(), g)
                };
                check(&c.name, "y", &y, &c.t("y"));
                check(&c.name, "grad_x", &gx, &c.t("grad_x"));
                for (k, g) in ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
                    .iter()
                    .zip(&grads)
                {
                    check(&c.name, &format!("grad_{k}"), g, &c.t(&format!("grad_{k}")));
                }
            }
            "sgd" | "adam" | "adamw" => optimizer_case(&c),
            "mlp_step" => mlp_case(&c),
            k => panic!("{}: unknown fixture kind {k}", c.name),
        }
        *seen.entry(c.kind.clone()).or_default() += 1;
    }
    let kinds = [
        "dense",
        "dropconnect",
        "relu",
        "gelu",
        "tanh",
        "sigmoid",
        "dropout",
        "batchnorm1d",
        "layernorm",
        "mse",
        "huber",
        "bce_logits",
        "softmax_ce",
        "poisson_nll",
        "sgd",
        "adam",
        "adamw",
        "mlp_step",
        "conv2d",
        "maxpool2d",
        "avgpool2d",
        "embedding",
        "lstm",
        "gru",
        "batchnorm2d",
        "dropout2d",
    ];
    for k in kinds {
        assert!(
            seen.get(k).copied().unwrap_or(0) >= 2,
            "fewer than 2 fixtures of kind {k}"
        );
    }
}
