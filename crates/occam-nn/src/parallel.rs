//! Data-parallel gradient of one mini-batch on two threads: each half of the batch goes
//! forward and backward through its own copy of the network (the copy's weights are refreshed
//! from the network before every step), and the two gradients are averaged by row count.
//! One synchronisation per step instead of one per matrix product: on small networks the
//! per-product wake-ups of the second thread cost more than the products themselves.
//!
//! Used when it pays and is exact: two or more threads, a dense batch of at least 128 rows,
//! no batch norm (its statistics are per batch), and at most `MAX_PARAMS` weights (copying
//! them each step must stay cheap; big layers are split per product instead, see
//! `mat::matmul`). The result depends on the thread count (the halves' dropout masks come
//! from their own streams), never on timing.

use crate::loss::Loss;
use crate::mat::{serial, Batch, Mat};
use crate::net::Net;
use crate::real::Real;
use occam_core::rng::Rng;

const MIN_ROWS: usize = 128;
const MAX_PARAMS: usize = 1 << 18;

/// Whether the network can take the half-batch path at all (fixed for a network, so the
/// trainer asks once): no batch norm and at most `MAX_PARAMS` weights.
pub fn splittable<R: Real>(net: &Net<R>) -> bool {
    !net.spec.batch_norm && net.n_params() <= MAX_PARAMS
}

/// Whether this batch should be split, for a `splittable` network.
pub fn worth_splitting<R: Real>(x: &Batch<R>) -> bool {
    matches!(x, Batch::Dense(m) if m.rows >= MIN_ROWS) && rayon::current_num_threads() > 1
}

/// The second half's network copy and the reused half-batch buffers.
#[derive(Clone, Debug)]
pub struct Halves<R> {
    replica: Net<R>,
    xa: Mat<R>,
    xb: Mat<R>,
    ga: Mat<R>,
    gb: Mat<R>,
}

impl<R: Real> Halves<R> {
    pub fn new(net: &Net<R>) -> Self {
        Halves {
            replica: net.clone(),
            xa: Mat::default(),
            xb: Mat::default(),
            ga: Mat::default(),
            gb: Mat::default(),
        }
    }

    /// Mean loss over the batch; fills `net`'s parameter gradients with the full-batch
    /// gradient. A non-finite loss is returned as is (the caller stops before any update).
    pub fn forward_backward(
        &mut self,
        net: &mut Net<R>,
        loss: Loss,
        x: &Mat<R>,
        y: &[R],
        rng: &mut Rng,
    ) -> f64 {
        let b = x.rows;
        let (b1, b2) = (b / 2, b - b / 2);
        let yw = y.len() / b;
        self.xa.resize(b1, x.cols);
        self.xa.data.copy_from_slice(&x.data[..b1 * x.cols]);
        self.xb.resize(b2, x.cols);
        self.xb.data.copy_from_slice(&x.data[b1 * x.cols..]);
        for (p, q) in self.replica.params_mut().into_iter().zip(net.params()) {
            p.value.copy_from_slice(&q.value);
        }
        let mut rng_b = Rng::new(rng.next_u64());
        let Halves {
            replica,
            xa,
            xb,
            ga,
            gb,
        } = self;
        let (ya, yb) = y.split_at(b1 * yw);
        let (la, lb) = rayon::join(
            || serial(|| half(net, loss, xa, ya, ga, rng)),
            || serial(|| half(replica, loss, xb, yb, gb, &mut rng_b)),
        );
        let (wa, wb) = (R::of(b1 as f64 / b as f64), R::of(b2 as f64 / b as f64));
        for (p, q) in net.params_mut().into_iter().zip(replica.params()) {
            p.grad
                .iter_mut()
                .zip(&q.grad)
                .for_each(|(g, &h)| *g = wa * *g + wb * h);
        }
        (b1 as f64 * la + b2 as f64 * lb) / b as f64
    }
}

fn half<R: Real>(
    net: &mut Net<R>,
    loss: Loss,
    x: &Mat<R>,
    y: &[R],
    g: &mut Mat<R>,
    rng: &mut Rng,
) -> f64 {
    let out = net.forward_train(Batch::Dense(x), rng);
    let l = loss.value_grad(out, y, g);
    if l.is_finite() {
        net.backward(Batch::Dense(x), g);
    }
    l
}
