//! Prediction metrics and deviances: accuracy, AUC, log-loss, MSE, MAE, R^2, and the GLM
//! deviances used by cross-validation.

/// Share of `pred == truth`.
pub fn accuracy(pred: &[usize], truth: &[usize]) -> f64 {
    let hits = pred.iter().zip(truth).filter(|(a, b)| a == b).count();
    hits as f64 / truth.len() as f64
}

pub fn mse(pred: &[f64], y: &[f64]) -> f64 {
    pred.iter()
        .zip(y)
        .map(|(p, t)| (p - t) * (p - t))
        .sum::<f64>()
        / y.len() as f64
}

pub fn mae(pred: &[f64], y: &[f64]) -> f64 {
    pred.iter().zip(y).map(|(p, t)| (p - t).abs()).sum::<f64>() / y.len() as f64
}

/// 1 - SSE / SST (SST around the mean of y).
pub fn r2(pred: &[f64], y: &[f64]) -> f64 {
    let m = y.iter().sum::<f64>() / y.len() as f64;
    let sst: f64 = y.iter().map(|t| (t - m) * (t - m)).sum();
    1.0 - mse(pred, y) * y.len() as f64 / sst
}

/// Mean binary log-loss of probabilities `p` for 0/1 labels `y`, probabilities clipped to
/// [1e-15, 1 - 1e-15].
pub fn log_loss(p: &[f64], y: &[f64]) -> f64 {
    p.iter()
        .zip(y)
        .map(|(&p, &t)| {
            let p = p.clamp(1e-15, 1.0 - 1e-15);
            -(t * p.ln() + (1.0 - t) * (1.0 - p).ln())
        })
        .sum::<f64>()
        / y.len() as f64
}

/// Area under the ROC curve of scores for 0/1 labels, ties counted one half
/// (the Mann-Whitney statistic). NaN when a class is absent.
pub fn auc(score: &[f64], y: &[f64]) -> f64 {
    let mut idx: Vec<usize> = (0..score.len()).collect();
    idx.sort_by(|&a, &b| score[a].total_cmp(&score[b]));
    let (mut rank_sum, mut npos) = (0.0, 0.0);
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && score[idx[j + 1]] == score[idx[i]] {
            j += 1;
        }
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            if y[k] > 0.5 {
                rank_sum += avg_rank;
                npos += 1.0;
            }
        }
        i = j + 1;
    }
    let nneg = score.len() as f64 - npos;
    (rank_sum - npos * (npos + 1.0) / 2.0) / (npos * nneg)
}

/// [`auc`] with observation weights: each (positive, negative) pair counts the product of
/// their weights (ties one half), over the product of the classes' total weights. Equal to
/// [`auc`] on the data with each row repeated its (integer) weight times.
pub fn weighted_auc(score: &[f64], y: &[f64], w: &[f64]) -> f64 {
    let mut idx: Vec<usize> = (0..score.len()).collect();
    idx.sort_by(|&a, &b| score[a].total_cmp(&score[b]));
    // negatives' weight seen so far (lower scores), and the weighted wins of the positives
    let (mut neg_below, mut wins, mut wpos) = (0.0, 0.0, 0.0);
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && score[idx[j + 1]] == score[idx[i]] {
            j += 1;
        }
        let (mut gp, mut gn) = (0.0, 0.0);
        for &k in &idx[i..=j] {
            if y[k] > 0.5 {
                gp += w[k];
            } else {
                gn += w[k];
            }
        }
        wins += gp * (neg_below + 0.5 * gn);
        neg_below += gn;
        wpos += gp;
        i = j + 1;
    }
    wins / (wpos * neg_below)
}

/// Poisson deviance contribution 2 * (y log(y/mu) - (y - mu)), with 0 log 0 = 0.
pub fn poisson_dev(y: f64, mu: f64) -> f64 {
    let t = if y > 0.0 { y * (y / mu).ln() } else { 0.0 };
    2.0 * (t - (y - mu))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_auc_is_auc_of_repeated_rows() {
        let score = [0.8, 0.4, 0.4, 0.1, 0.3, 0.9];
        let y = [1.0, 1.0, 0.0, 0.0, 1.0, 0.0];
        let w = [2.0, 1.0, 3.0, 1.0, 0.0, 2.0];
        let (mut rs, mut ry) = (Vec::new(), Vec::new());
        for i in 0..6 {
            for _ in 0..w[i] as usize {
                rs.push(score[i]);
                ry.push(y[i]);
            }
        }
        let a = weighted_auc(&score, &y, &w);
        assert!(
            (a - auc(&rs, &ry)).abs() < 1e-15,
            "{a} vs {}",
            auc(&rs, &ry)
        );
        let ones = [1.0; 6];
        assert!((weighted_auc(&score, &y, &ones) - auc(&score, &y)).abs() < 1e-15);
    }

    #[test]
    fn auc_with_ties_matches_hand_count() {
        // pairs (pos, neg): scores pos {0.8, 0.4}, neg {0.4, 0.1}: wins 1+1+0.5+1 = 3.5 of 4
        let a = auc(&[0.8, 0.4, 0.4, 0.1], &[1.0, 1.0, 0.0, 0.0]);
        assert!((a - 0.875).abs() < 1e-15);
    }

    #[test]
    fn simple_metrics() {
        assert_eq!(accuracy(&[1, 0, 1], &[1, 1, 1]), 2.0 / 3.0);
        assert_eq!(mse(&[1.0, 3.0], &[0.0, 1.0]), 2.5);
        assert_eq!(mae(&[1.0, 3.0], &[0.0, 1.0]), 1.5);
        assert!((r2(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]) - 1.0).abs() < 1e-15);
        assert!((log_loss(&[0.5], &[1.0]) - 2f64.ln()).abs() < 1e-15);
        assert_eq!(poisson_dev(0.0, 2.0), 4.0);
        assert!(poisson_dev(3.0, 3.0).abs() < 1e-15);
    }
}
