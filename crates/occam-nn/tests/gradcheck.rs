//! Finite-difference checks in f64: every layer, loss and the whole network's backward pass
//! agree with central differences (h = 1e-6) to 1e-6 relative (max abs error over the
//! tensor divided by its max abs gradient).

use occam_core::rng::Rng;
use occam_nn::layer::{ActKind, Activation, BatchNorm, Dense, Dropout, LayerNorm};
use occam_nn::mat::{Batch, Csr, Mat};
use occam_nn::regularize::{L1Mode, LayerPenalty, PenaltyPolicy, Regularizer};
use occam_nn::{Loss, MlpSpec, Net};

mod common;
use common::{check, dot, rand_mat, randn};

#[test]
fn dense_layer_gradients_match_finite_differences_dense_sparse_and_dropconnect() {
    let (b, n_in, n_out) = (5, 7, 4);
    let mut x = rand_mat(b, n_in, 1);
    for (i, v) in x.data.iter_mut().enumerate() {
        if i % 3 == 0 {
            *v = 0.0;
        }
    }
    let xs = Csr::from_dense(&x);
    let gy = rand_mat(b, n_out, 2);
    for (sparse, p) in [(false, 0.0), (true, 0.0), (false, 0.3), (true, 0.3)] {
        let mut d = Dense::<f64>::new(0, n_in, n_out, &mut Rng::new(3));
        d.drop_connect = p;
        let tag = format!("dense sparse={sparse} dropconnect={p}");
        let run = |d: &mut Dense<f64>, xm: &Mat<f64>, xc: &Csr<f64>| {
            let bt = if sparse {
                Batch::Sparse(xc)
            } else {
                Batch::Dense(xm)
            };
            d.forward_train(bt, &mut Rng::new(9));
        };
        run(&mut d, &x, &xs);
        let bt = if sparse {
            Batch::Sparse(&xs)
        } else {
            Batch::Dense(&x)
        };
        d.backward(bt, &gy, true);
        let (gw, gb, gx) = (
            d.weight.grad.clone(),
            d.bias.grad.clone(),
            d.grad_in.data.clone(),
        );
        let w0 = d.weight.value.clone();
        let b0 = d.bias.value.clone();
        let mut dd = d.clone();
        check(&format!("{tag} weight"), &w0, &gw, &mut |w| {
            dd.weight.value = w.to_vec();
            run(&mut dd, &x, &xs);
            dot(&dd.out, &gy)
        });
        let mut dd = d.clone();
        check(&format!("{tag} bias"), &b0, &gb, &mut |bv| {
            dd.bias.value = bv.to_vec();
            run(&mut dd, &x, &xs);
            dot(&dd.out, &gy)
        });
        let mut dd = d.clone();
        // perturbing x changes the sparsity pattern only where x is non-zero; the gradient
        // with respect to stored zeros is still defined (the dense formula), so compare on
        // the dense input.
        check(&format!("{tag} input"), &x.data, &gx, &mut |xv| {
            let xm = Mat::from_vec(b, n_in, xv.to_vec());
            dd.forward_train(Batch::Dense(&xm), &mut Rng::new(9));
            dot(&dd.out, &gy)
        });
    }
}

#[test]
fn activation_dropout_and_norm_gradients_match_finite_differences() {
    let (b, d) = (6, 5);
    let x = rand_mat(b, d, 11);
    let gy = rand_mat(b, d, 12);
    for kind in [
        ActKind::Relu,
        ActKind::Gelu,
        ActKind::Tanh,
        ActKind::Sigmoid,
    ] {
        let mut a = Activation::new(kind);
        a.forward_train(&x);
        a.backward(&x, &gy);
        let g = a.grad_in.data.clone();
        check(kind.name(), &x.data, &g, &mut |xv| {
            a.forward_train(&Mat::from_vec(b, d, xv.to_vec()));
            dot(&a.out, &gy)
        });
    }
    let mut dr = Dropout::new(0.4);
    dr.forward_train(&x, &mut Rng::new(5));
    dr.backward(&gy);
    let g = dr.grad_in.data.clone();
    assert!(dr.mask.contains(&0.0), "some units dropped");
    check("dropout", &x.data, &g, &mut |xv| {
        dr.forward_train(&Mat::from_vec(b, d, xv.to_vec()), &mut Rng::new(5));
        dot(&dr.out, &gy)
    });

    let mut bn = BatchNorm::new(0, d);
    bn.gamma.value = randn(d, 13);
    bn.beta.value = randn(d, 14);
    bn.forward_train(&x);
    bn.backward(&gy);
    let (gx, gg, gbt) = (
        bn.grad_in.data.clone(),
        bn.gamma.grad.clone(),
        bn.beta.grad.clone(),
    );
    let mut c = bn.clone();
    check("batchnorm input", &x.data, &gx, &mut |xv| {
        c.forward_train(&Mat::from_vec(b, d, xv.to_vec()));
        dot(&c.out, &gy)
    });
    let mut c = bn.clone();
    let g0 = c.gamma.value.clone();
    check("batchnorm gamma", &g0, &gg, &mut |v| {
        c.gamma.value = v.to_vec();
        c.forward_train(&x);
        dot(&c.out, &gy)
    });
    let mut c = bn.clone();
    let b0 = c.beta.value.clone();
    check("batchnorm beta", &b0, &gbt, &mut |v| {
        c.beta.value = v.to_vec();
        c.forward_train(&x);
        dot(&c.out, &gy)
    });

    // evaluation mode (the running statistics): backward after forward_eval
    // differentiates that affine map (input gradients for attributions)
    let mut bn = BatchNorm::new(0, d);
    bn.gamma.value = randn(d, 17);
    bn.beta.value = randn(d, 18);
    bn.running_mean = randn(d, 19);
    bn.running_var = randn(d, 20).iter().map(|v| 0.5 + v * v).collect();
    bn.forward_train(&x); // a training pass first: eval must not reuse its statistics
    bn.running_mean = randn(d, 19);
    bn.forward_eval(&x);
    bn.backward(&gy);
    let (gx, gg, gbt) = (
        bn.grad_in.data.clone(),
        bn.gamma.grad.clone(),
        bn.beta.grad.clone(),
    );
    let mut c = bn.clone();
    check("batchnorm eval input", &x.data, &gx, &mut |xv| {
        c.forward_eval(&Mat::from_vec(b, d, xv.to_vec()));
        dot(&c.out, &gy)
    });
    let mut c = bn.clone();
    let g0 = c.gamma.value.clone();
    check("batchnorm eval gamma", &g0, &gg, &mut |v| {
        c.gamma.value = v.to_vec();
        c.forward_eval(&x);
        dot(&c.out, &gy)
    });
    let mut c = bn.clone();
    let b0 = c.beta.value.clone();
    check("batchnorm eval beta", &b0, &gbt, &mut |v| {
        c.beta.value = v.to_vec();
        c.forward_eval(&x);
        dot(&c.out, &gy)
    });

    let mut ln = LayerNorm::new(0, d);
    ln.gamma.value = randn(d, 15);
    ln.beta.value = randn(d, 16);
    ln.forward_train(&x);
    ln.backward(&gy);
    let (gx, gg, gbt) = (
        ln.grad_in.data.clone(),
        ln.gamma.grad.clone(),
        ln.beta.grad.clone(),
    );
    let mut c = ln.clone();
    check("layernorm input", &x.data, &gx, &mut |xv| {
        c.forward_train(&Mat::from_vec(b, d, xv.to_vec()));
        dot(&c.out, &gy)
    });
    let mut c = ln.clone();
    let g0 = c.gamma.value.clone();
    check("layernorm gamma", &g0, &gg, &mut |v| {
        c.gamma.value = v.to_vec();
        c.forward_train(&x);
        dot(&c.out, &gy)
    });
    let mut c = ln.clone();
    let b0 = c.beta.value.clone();
    check("layernorm beta", &b0, &gbt, &mut |v| {
        c.beta.value = v.to_vec();
        c.forward_train(&x);
        dot(&c.out, &gy)
    });
}

#[test]
fn loss_gradients_match_finite_differences() {
    let b = 6;
    let cases: Vec<(Loss, usize, Vec<f64>)> = vec![
        (Loss::Mse, 3, randn(b * 3, 21)),
        (Loss::Huber { delta: 0.7 }, 3, randn(b * 3, 22)),
        (Loss::BceLogits, 1, vec![0.0, 1.0, 1.0, 0.0, 1.0, 0.0]),
        (Loss::SoftmaxCe, 4, vec![0.0, 3.0, 1.0, 2.0, 3.0, 1.0]),
        (Loss::PoissonNll, 1, vec![0.0, 2.0, 5.0, 1.0, 0.0, 3.0]),
    ];
    for (loss, k, y) in cases {
        let pred = rand_mat(b, k, 23);
        let mut g = Mat::default();
        loss.value_grad(&pred, &y, &mut g);
        let mut scratch = Mat::default();
        check(loss.name(), &pred.data, &g.data, &mut |p| {
            loss.value_grad(&Mat::from_vec(b, k, p.to_vec()), &y, &mut scratch)
        });
    }
}

#[test]
fn whole_network_gradients_match_finite_differences() {
    let (b, n_in) = (8, 6);
    let mut spec = MlpSpec::new(n_in, vec![7, 5], 3);
    spec.activation = ActKind::Gelu;
    spec.dropout = 0.2;
    spec.drop_connect = 0.2;
    spec.batch_norm = true;
    spec.layer_norm = true;
    let mut net: Net<f64> = Net::new(&spec, 4);
    let x = rand_mat(b, n_in, 31);
    let y: Vec<f64> = (0..b).map(|i| (i % 3) as f64).collect();
    let loss = Loss::SoftmaxCe;
    let mut g = Mat::default();
    let out = net.forward_train(Batch::Dense(&x), &mut Rng::new(77));
    loss.value_grad(out, &y, &mut g);
    let gx = net.backward_to_input(Batch::Dense(&x), &g).data.clone();
    let analytic: Vec<Vec<f64>> = net.params().iter().map(|p| p.grad.clone()).collect();
    let values: Vec<Vec<f64>> = net.params().iter().map(|p| p.value.clone()).collect();
    let names: Vec<String> = net.params().iter().map(|p| p.name.clone()).collect();
    assert_eq!(
        names.len(),
        14,
        "3 dense + 2 batch norm + 2 layer norm, 2 tensors each"
    );
    for (k, name) in names.iter().enumerate() {
        let mut c = net.clone();
        if name == "layers.0.bias" || name == "layers.5.bias" {
            // A bias followed by batch norm is cancelled by the mean subtraction: its exact
            // gradient is zero, so check that both sides are zero.
            assert!(
                analytic[k].iter().all(|g| g.abs() < 1e-12),
                "{name}: zero gradient"
            );
            let l0 = loss.value_grad(
                c.forward_train(Batch::Dense(&x), &mut Rng::new(77)),
                &y,
                &mut Mat::default(),
            );
            c.params_mut()[k].value.iter_mut().for_each(|v| *v += 0.5);
            let l1 = loss.value_grad(
                c.forward_train(Batch::Dense(&x), &mut Rng::new(77)),
                &y,
                &mut Mat::default(),
            );
            assert!((l1 - l0).abs() < 1e-9, "{name}: loss unchanged by a shift");
            continue;
        }
        check(name, &values[k], &analytic[k], &mut |v| {
            c.params_mut()[k].value = v.to_vec();
            let out = c.forward_train(Batch::Dense(&x), &mut Rng::new(77));
            loss.value_grad(out, &y, &mut Mat::default())
        });
    }
    let mut c = net.clone();
    check("network input", &x.data, &gx, &mut |xv| {
        let xm = Mat::from_vec(b, n_in, xv.to_vec());
        let out = c.forward_train(Batch::Dense(&xm), &mut Rng::new(77));
        loss.value_grad(out, &y, &mut Mat::default())
    });
}

#[test]
fn penalty_gradients_match_finite_differences_of_the_penalty_value() {
    let spec = MlpSpec::new(5, vec![4], 2);
    let net: Net<f64> = Net::new(&spec, 8);
    // Smooth terms only (L2, group lasso away from zero) and the subgradient-mode elastic net
    // away from zero: their gradient is the derivative of the logged penalty value.
    let policy = PenaltyPolicy {
        default: LayerPenalty {
            l2: 0.3,
            elastic_net: Some((0.2, 0.5)),
            group_inputs: 0.1,
            group_neurons: 0.05,
            ..Default::default()
        },
        l1_mode: L1Mode::Subgradient,
        ..Default::default()
    };
    let reg = Regularizer::new(&policy, &net);
    let mut n = net.clone();
    n.params_mut()
        .iter_mut()
        .for_each(|p| p.grad.iter_mut().for_each(|g| *g = 0.0));
    reg.add_gradients(&mut n);
    let analytic: Vec<Vec<f64>> = n.params().iter().map(|p| p.grad.clone()).collect();
    for k in [0usize, 2] {
        let v0 = n.params()[k].value.clone();
        let mut c = n.clone();
        check(
            &format!("penalty on {}", n.params()[k].name),
            &v0,
            &analytic[k],
            &mut |v| {
                c.params_mut()[k].value = v.to_vec();
                reg.value(&c).penalty
            },
        );
    }
    assert!(
        analytic[1].iter().all(|g| *g == 0.0),
        "biases are exempt by default"
    );
}

#[test]
fn the_data_parallel_halves_give_the_full_batch_gradient() {
    use occam_nn::parallel::Halves;
    let (b, n_in) = (131, 6);
    let mut spec = MlpSpec::new(n_in, vec![9, 5], 3);
    spec.activation = ActKind::Tanh;
    let mut net: Net<f64> = Net::new(&spec, 12);
    let x = rand_mat(b, n_in, 41);
    let y: Vec<f64> = (0..b).map(|i| (i % 3) as f64).collect();
    let loss = Loss::SoftmaxCe;
    let mut g = Mat::default();
    let out = net.forward_train(Batch::Dense(&x), &mut Rng::new(1));
    let l_full = loss.value_grad(out, &y, &mut g);
    net.backward(Batch::Dense(&x), &g);
    let full: Vec<Vec<f64>> = net.params().iter().map(|p| p.grad.clone()).collect();
    let mut copy = net.clone();
    let mut h = Halves::new(&copy);
    let l_split = h.forward_backward(&mut copy, loss, &x, &y, &mut Rng::new(1));
    assert!((l_full - l_split).abs() < 1e-12, "{l_full} vs {l_split}");
    for (p, want) in copy.params().iter().zip(&full) {
        let err = p
            .grad
            .iter()
            .zip(want)
            .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
        assert!(err < 1e-12, "{}: {err}", p.name);
    }
}

#[test]
fn embedding_gradients_match_finite_differences_and_lazy_adam_leaves_other_rows() {
    use occam_nn::layer::{Embedding, LazyAdam};
    let (v, d) = (6, 3);
    let ids = [4usize, 1, 4, 0];
    let gy = rand_mat(ids.len(), d, 51);
    let mut e = Embedding::new(v, d, randn(v * d, 52));
    e.forward(&ids);
    e.backward(&ids, &gy);
    let mut dense = vec![0.0; v * d];
    for (k, &r) in e.touched.iter().enumerate() {
        dense[r * d..(r + 1) * d].copy_from_slice(&e.grad[k * d..(k + 1) * d]);
    }
    let w0 = e.weight.clone();
    let mut c = e.clone();
    check("embedding", &w0, &dense, &mut |w| {
        c.weight = w.to_vec();
        c.forward(&ids);
        dot(&c.out, &gy)
    });
    assert_eq!(e.touched, vec![0, 1, 4]);
    let mut opt = LazyAdam::new(v, d);
    opt.step(&mut e, 0.1, 0.01);
    for r in 0..v {
        let moved = (0..d).any(|j| e.weight[r * d + j] != w0[r * d + j]);
        assert_eq!(moved, [0, 1, 4].contains(&r), "row {r}");
    }
}

#[test]
fn convolution_and_pooling_gradients_match_finite_differences_alone_and_in_a_network() {
    use occam_nn::layer::{Conv2d, ConvShape, Pool2d, PoolKind};
    let shape = ConvShape {
        c_in: 2,
        h: 5,
        w: 4,
        c_out: 3,
        k: 3,
        stride: 1,
        pad: 1,
    };
    let mut conv = Conv2d::<f64>::new(0, shape, &mut Rng::new(61));
    let x = rand_mat(2, 2 * 5 * 4, 62);
    let gy = rand_mat(2, 3 * 5 * 4, 63);
    conv.forward(&x);
    conv.backward(&gy, true);
    let (gx, gw) = (conv.grad_in.data.clone(), conv.weight.grad.clone());
    let mut c = conv.clone();
    check("conv2d input", &x.data, &gx, &mut |v| {
        c.forward(&Mat::from_vec(2, 40, v.to_vec()));
        dot(&c.out, &gy)
    });
    let mut c = conv.clone();
    let w0 = c.weight.value.clone();
    check("conv2d kernel", &w0, &gw, &mut |v| {
        c.weight.value = v.to_vec();
        c.forward(&x);
        dot(&c.out, &gy)
    });
    for kind in [PoolKind::Max, PoolKind::Avg] {
        let mut p = Pool2d::<f64>::new(kind, 2, 4, 6, 2);
        let xp = rand_mat(3, 48, 64);
        let gp = rand_mat(3, 12, 65);
        p.forward(&xp);
        p.backward(&gp);
        let g = p.grad_in.data.clone();
        check(&format!("{kind:?} pooling"), &xp.data, &g, &mut |v| {
            p.forward(&Mat::from_vec(3, 48, v.to_vec()));
            dot(&p.out, &gp)
        });
    }
    // A whole CNN: conv -> tanh -> max pool -> conv (stride 2) -> tanh -> dense -> softmax CE.
    let mut spec = MlpSpec::new(36, vec![5], 3);
    spec.activation = ActKind::Tanh;
    spec.image = Some((1, 6, 6));
    spec.conv = vec![
        occam_nn::net::ConvBlock {
            filters: 2,
            kernel: 3,
            pool: 2,
            pool_kind: occam_nn::layer::PoolKind::Max,
            stride: 1,
        },
        occam_nn::net::ConvBlock {
            filters: 3,
            kernel: 3,
            pool: 1,
            pool_kind: occam_nn::layer::PoolKind::Max,
            stride: 2,
        },
    ];
    let mut net: Net<f64> = Net::new(&spec, 66);
    let xb = rand_mat(4, 36, 67);
    let y: Vec<f64> = vec![0.0, 2.0, 1.0, 2.0];
    let mut g = Mat::default();
    let out = net.forward_train(Batch::Dense(&xb), &mut Rng::new(1));
    Loss::SoftmaxCe.value_grad(out, &y, &mut g);
    let gx = net.backward_to_input(Batch::Dense(&xb), &g).data.clone();
    let names: Vec<String> = net.params().iter().map(|p| p.name.clone()).collect();
    let grads: Vec<Vec<f64>> = net.params().iter().map(|p| p.grad.clone()).collect();
    let values: Vec<Vec<f64>> = net.params().iter().map(|p| p.value.clone()).collect();
    for k in 0..names.len() {
        let mut c = net.clone();
        check(&names[k], &values[k], &grads[k], &mut |v| {
            c.params_mut()[k].value = v.to_vec();
            let o = c.forward_train(Batch::Dense(&xb), &mut Rng::new(1));
            Loss::SoftmaxCe.value_grad(o, &y, &mut Mat::default())
        });
    }
    let mut c = net.clone();
    check("cnn input", &xb.data, &gx, &mut |v| {
        let m = Mat::from_vec(4, 36, v.to_vec());
        let o = c.forward_train(Batch::Dense(&m), &mut Rng::new(1));
        Loss::SoftmaxCe.value_grad(o, &y, &mut Mat::default())
    });
}

#[test]
fn recurrent_gradients_match_finite_differences_with_and_without_recurrent_dropout() {
    use occam_nn::{CellKind, RecurrentSpec};
    // Window of 6 steps x 2 features -> LSTM/GRU(4) -> [dropout] -> dense(3) -> tanh -> dense(2), MSE.
    for cell in [CellKind::Lstm, CellKind::Gru] {
        for (rdrop, drop) in [(0.0, 0.0), (0.3, 0.2)] {
            let mut spec = MlpSpec::new(12, vec![3], 2);
            spec.activation = ActKind::Tanh;
            spec.dropout = drop;
            spec.recurrent = Some(RecurrentSpec {
                cell,
                hidden: 4,
                steps: 6,
                features: 2,
                recurrent_dropout: rdrop,
            });
            let mut net: Net<f64> = Net::new(&spec, 71);
            let xb = rand_mat(5, 12, 72);
            let y = randn(10, 73);
            let mut g = Mat::default();
            let out = net.forward_train(Batch::Dense(&xb), &mut Rng::new(2));
            Loss::Mse.value_grad(out, &y, &mut g);
            let gx = net.backward_to_input(Batch::Dense(&xb), &g).data.clone();
            let what = format!("{cell:?} recurrent dropout {rdrop}");
            let names: Vec<String> = net.params().iter().map(|p| p.name.clone()).collect();
            assert!(
                names.iter().any(|n| n.ends_with("weight_hh_l0")),
                "{names:?}"
            );
            let grads: Vec<Vec<f64>> = net.params().iter().map(|p| p.grad.clone()).collect();
            let values: Vec<Vec<f64>> = net.params().iter().map(|p| p.value.clone()).collect();
            for k in 0..names.len() {
                let mut c = net.clone();
                check(
                    &format!("{what}: {}", names[k]),
                    &values[k],
                    &grads[k],
                    &mut |v| {
                        c.params_mut()[k].value = v.to_vec();
                        let o = c.forward_train(Batch::Dense(&xb), &mut Rng::new(2));
                        Loss::Mse.value_grad(o, &y, &mut Mat::default())
                    },
                );
            }
            let mut c = net.clone();
            check(&format!("{what}: input"), &xb.data, &gx, &mut |v| {
                let m = Mat::from_vec(5, 12, v.to_vec());
                let o = c.forward_train(Batch::Dense(&m), &mut Rng::new(2));
                Loss::Mse.value_grad(o, &y, &mut Mat::default())
            });
        }
    }
}

#[test]
fn batchnorm2d_and_spatial_dropout_gradients_match_finite_differences_in_a_cnn() {
    // conv -> BatchNorm2d -> tanh -> avg pool -> spatial dropout -> conv -> BatchNorm2d -> tanh
    // -> spatial dropout -> dense -> BatchNorm1d -> tanh -> dense, softmax CE.
    let mut spec = MlpSpec::new(36, vec![4], 3);
    spec.activation = ActKind::Tanh;
    spec.image = Some((1, 6, 6));
    spec.batch_norm = true;
    spec.spatial_dropout = 0.4;
    spec.conv = vec![
        occam_nn::net::ConvBlock {
            filters: 3,
            kernel: 3,
            pool: 2,
            pool_kind: occam_nn::layer::PoolKind::Avg,
            stride: 1,
        },
        occam_nn::net::ConvBlock {
            filters: 2,
            kernel: 3,
            pool: 1,
            pool_kind: occam_nn::layer::PoolKind::Max,
            stride: 1,
        },
    ];
    let mut net: Net<f64> = Net::new(&spec, 81);
    let names: Vec<&str> = net.layers.iter().map(|l| l.name()).collect();
    assert_eq!(
        names.iter().filter(|n| **n == "batchnorm2d").count(),
        2,
        "{names:?}"
    );
    assert_eq!(
        names.iter().filter(|n| **n == "dropout").count(),
        2,
        "{names:?}"
    );
    let xb = rand_mat(5, 36, 82);
    let y: Vec<f64> = vec![0.0, 2.0, 1.0, 2.0, 1.0];
    let mut g = Mat::default();
    let out = net.forward_train(Batch::Dense(&xb), &mut Rng::new(4));
    Loss::SoftmaxCe.value_grad(out, &y, &mut g);
    let gx = net.backward_to_input(Batch::Dense(&xb), &g).data.clone();
    let grads: Vec<Vec<f64>> = net.params().iter().map(|p| p.grad.clone()).collect();
    let values: Vec<Vec<f64>> = net.params().iter().map(|p| p.value.clone()).collect();
    let pnames: Vec<String> = net.params().iter().map(|p| p.name.clone()).collect();
    // The biases of layers right before a batch norm.
    let conv_biases: Vec<String> = net
        .layers
        .windows(2)
        .filter(|w| matches!(w[1], occam_nn::Layer::BatchNorm(_)))
        .flat_map(|w| w[0].params().into_iter().map(|p| p.name.clone()))
        .filter(|n| n.ends_with(".bias"))
        .collect();
    assert_eq!(conv_biases.len(), 3);
    for k in 0..pnames.len() {
        if conv_biases.contains(&pnames[k]) {
            // Batch norm removes a per-channel shift: the conv bias has no effect at all.
            assert!(grads[k].iter().all(|g| g.abs() < 1e-12), "{}", pnames[k]);
            continue;
        }
        let mut c = net.clone();
        check(&pnames[k], &values[k], &grads[k], &mut |v| {
            c.params_mut()[k].value = v.to_vec();
            let o = c.forward_train(Batch::Dense(&xb), &mut Rng::new(4));
            Loss::SoftmaxCe.value_grad(o, &y, &mut Mat::default())
        });
    }
    let mut c = net.clone();
    check("bn2d cnn input", &xb.data, &gx, &mut |v| {
        let m = Mat::from_vec(5, 36, v.to_vec());
        let o = c.forward_train(Batch::Dense(&m), &mut Rng::new(4));
        Loss::SoftmaxCe.value_grad(o, &y, &mut Mat::default())
    });
}
