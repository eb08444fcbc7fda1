//! Penalties shared by linear models and networks: value, gradient of the smooth part, and
//! proximal operator.
//!
//! The elastic net of strength `lambda` and mixing `alpha` is, per weight with factor `pf`:
//! `lambda * pf * ((1 - alpha) / 2 * w^2 + alpha * |w|)` (glmnet's definition). Its proximal
//! operator for step `t` is `soft(w, t*lambda*pf*alpha) / (1 + t*lambda*pf*(1 - alpha))`, which
//! is exactly zero for small weights: this is how L1 produces exact zeros.

/// sign(z) * max(|z| - t, 0).
#[inline]
pub fn soft_threshold(z: f64, t: f64) -> f64 {
    if z > t {
        z - t
    } else if z < -t {
        z + t
    } else {
        0.0
    }
}

/// Elastic-net penalty (lasso at alpha = 1, ridge at alpha = 0).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ElasticNet {
    pub lambda: f64,
    pub alpha: f64,
}

impl ElasticNet {
    /// Penalty value of one weight with penalty factor `pf`.
    pub fn value(&self, w: f64, pf: f64) -> f64 {
        self.lambda * pf * (0.5 * (1.0 - self.alpha) * w * w + self.alpha * w.abs())
    }

    /// Sum of [`ElasticNet::value`] over weights with factors `pf` (all 1 when None).
    pub fn total(&self, w: &[f64], pf: Option<&[f64]>) -> f64 {
        w.iter()
            .enumerate()
            .map(|(j, &v)| self.value(v, pf.map_or(1.0, |p| p[j])))
            .sum()
    }

    /// Gradient of the smooth (ridge) part.
    pub fn smooth_grad(&self, w: f64, pf: f64) -> f64 {
        self.lambda * pf * (1.0 - self.alpha) * w
    }

    /// Proximal operator with step `t`: argmin_v 1/(2t) (v - w)^2 + penalty(v).
    pub fn prox(&self, w: f64, t: f64, pf: f64) -> f64 {
        let (thr, scale) = self.prox_coefficients(t, pf);
        soft_threshold(w, thr) * scale
    }

    /// `(threshold, scale)` with `prox(w) = soft_threshold(w, threshold) * scale`, so that an
    /// engine in another precision applies exactly this operator to many weights.
    pub fn prox_coefficients(&self, t: f64, pf: f64) -> (f64, f64) {
        let l = t * self.lambda * pf;
        (l * self.alpha, 1.0 / (1.0 + l * (1.0 - self.alpha)))
    }
}

/// Group lasso: `lambda * sqrt(group size) * ||w_g||_2` per group.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GroupLasso {
    pub lambda: f64,
}

impl GroupLasso {
    pub fn value(&self, group: &[f64]) -> f64 {
        self.lambda * (group.len() as f64).sqrt() * norm2(group)
    }

    /// Block soft-thresholding of one group in place, step `t`: the whole group becomes exactly
    /// zero when its norm is below `t * lambda * sqrt(size)`.
    pub fn prox(&self, group: &mut [f64], t: f64) {
        let shrink = self.shrink(norm2(group), group.len(), t);
        group.iter_mut().for_each(|v| *v *= shrink);
    }

    /// The factor the proximal step multiplies a group of `size` weights and L2 norm `norm`
    /// by: 0 when the norm is below `t * lambda * sqrt(size)`.
    pub fn shrink(&self, norm: f64, size: usize, t: f64) -> f64 {
        let thr = t * self.lambda * (size as f64).sqrt();
        if norm <= thr {
            0.0
        } else {
            1.0 - thr / norm
        }
    }
}

fn norm2(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>().sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The prox is the minimiser of its defining objective (checked on a fine grid).
    #[test]
    fn prox_minimises_its_objective() {
        for &(alpha, w, t) in &[
            (1.0, 0.3, 0.5),
            (0.5, -2.0, 0.7),
            (0.0, 1.5, 2.0),
            (0.2, 0.05, 1.0),
        ] {
            let p = ElasticNet { lambda: 0.8, alpha };
            let v = p.prox(w, t, 1.0);
            let obj = |u: f64| (u - w) * (u - w) / (2.0 * t) + p.value(u, 1.0);
            for k in -4000..=4000 {
                let u = k as f64 * 1e-3;
                assert!(
                    obj(v) <= obj(u) + 1e-12,
                    "alpha {alpha}: prox {v} beaten by {u}"
                );
            }
        }
    }

    #[test]
    fn exact_zeros_and_group_prox() {
        let p = ElasticNet {
            lambda: 1.0,
            alpha: 1.0,
        };
        assert_eq!(p.prox(0.4, 0.5, 1.0), 0.0);
        assert_eq!(p.prox(0.4, 0.5, 0.0), 0.4); // factor 0: never penalised
        let g = GroupLasso { lambda: 0.5 };
        let mut a = [0.3, 0.4];
        g.prox(&mut a, 1.0); // norm 0.5 <= 0.5 * sqrt(2)
        assert_eq!(a, [0.0, 0.0]);
        let mut b = [3.0, 4.0];
        g.prox(&mut b, 1.0);
        let s = 1.0 - 0.5 * 2f64.sqrt() / 5.0;
        assert!((b[0] - 3.0 * s).abs() < 1e-15 && (b[1] - 4.0 * s).abs() < 1e-15);
    }
}
