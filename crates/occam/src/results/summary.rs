//! What each result says on a terminal: `Display` prints the summary the CLI shows after a
//! run (and a Rust or Python user gets with `println!("{result}")` / `print(result)`).
//! The glmnet-style tables of the linear results are in `linear.rs`.

use super::{
    ForecastResult, Metrics, NetworkPathResult, NetworkResult, RecommenderResult, TextResult,
    TuneResult,
};
use std::fmt::{self, Display, Formatter};

fn or_dash(m: &Option<Metrics>) -> String {
    m.as_ref().map_or("-".into(), |m| m.to_string())
}

fn best(b: Option<usize>) -> String {
    b.map_or("-".into(), |b| b.to_string())
}

impl Display for NetworkResult {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "trained {} epochs (best {}{}), {:.2} s",
            self.epochs_run,
            best(self.best_epoch),
            if self.stopped_early {
                ", stopped early"
            } else {
                ""
            },
            self.fit_seconds
        )?;
        // Behind convolutions the first layer sees feature maps, not input columns.
        if self.top_inputs.is_some() {
            write!(
                f,
                "; {} of {} input features kept",
                self.input_features_kept.len(),
                self.n_input_features
            )?;
        }
        writeln!(f)?;
        for (key, m) in [
            ("val_metrics", &self.val_metrics),
            ("test_metrics", &self.test_metrics),
        ] {
            if let Some(m) = m {
                writeln!(f, "{key}: {m}")?;
            }
        }
        if let Some(c) = &self.comparison {
            writeln!(
                f,
                "baseline vs regularized on {} rows over {} seed(s):",
                c.held_out, c.repeats
            )?;
            for (k, r) in &c.regularized {
                let b = c.baseline.get(k).map_or(f64::NAN, |b| b.mean);
                writeln!(f, "  {k}: regularized {:.4}, unregularized {b:.4}", r.mean)?;
            }
        }
        if let Some(last) = self.evidence.last() {
            let l2: Vec<String> = last
                .l2
                .iter()
                .map(|(name, v)| format!("{} {v:.3e}", name.trim_start_matches("layers.")))
                .collect();
            writeln!(
                f,
                "l2 from the evidence ({} updates, last at epoch {}): {}",
                self.evidence.len(),
                last.epoch,
                l2.join(", ")
            )?;
        }
        if let Some(r) = &self.robustness {
            let pts: Vec<String> = r
                .points
                .iter()
                .map(|p| {
                    format!(
                        "eps {}: clean {:.4}, robust {:.4}",
                        p.epsilon, p.clean_accuracy, p.robust_accuracy
                    )
                })
                .collect();
            writeln!(
                f,
                "robustness ({} {}, {} restart(s), {} {} rows{}): {}",
                r.attack,
                r.norm,
                r.restarts,
                r.rows,
                r.split,
                r.trained_with
                    .as_ref()
                    .map_or(String::new(), |t| format!("; trained with {t}")),
                pts.join("; ")
            )?;
        }
        if let Some(fd) = &self.federated {
            let c = &fd.settings;
            let split = match c.split {
                occam_nn::federated::ClientSplit::Iid => "iid".to_string(),
                occam_nn::federated::ClientSplit::Dirichlet(a) => format!("dirichlet {a}"),
            };
            let kind = if c.mu > 0.0 {
                format!("FedProx mu {}", c.mu)
            } else {
                "FedAvg".into()
            };
            writeln!(
                f,
                "federated ({kind}): {} clients ({split} split, {} to {} rows), {} rounds of {} \
                 local epoch(s){}",
                c.clients,
                fd.client_rows.iter().min().unwrap_or(&0),
                fd.client_rows.iter().max().unwrap_or(&0),
                c.rounds,
                c.local_epochs,
                if c.processes {
                    ", each client an OS process"
                } else {
                    ""
                }
            )?;
        }
        if let Some(p) = &self.privacy {
            let (what, steps) = match p.unit {
                occam_nn::dp::PrivacyUnit::Row => ("DP-SGD", "steps"),
                occam_nn::dp::PrivacyUnit::Client => ("client-level DP-FedAvg", "rounds"),
            };
            writeln!(
                f,
                "privacy ({what}, {} accountant): epsilon {:.4} at delta {:e} after {} {steps} \
                 (noise multiplier {:.4}, max grad norm {}, sample rate {:.4})",
                p.accountant,
                p.epsilon,
                p.delta,
                p.steps,
                p.noise_multiplier,
                p.max_grad_norm,
                p.sample_rate
            )?;
        }
        if let Some(v) = &self.variational {
            let (z, t) = v.sparsity();
            write!(
                f,
                "variational dropout ({}): {z} of {t} weights exactly zero ({:.1}%), KL {:.4} \
                 per row",
                v.kind,
                100.0 * z as f64 / t.max(1) as f64,
                v.kl_per_row
            )?;
            let rates: Vec<String> = v
                .layers
                .iter()
                .filter(|l| !l.rates.is_empty())
                .map(|l| {
                    let mean = l.rates.iter().sum::<f64>() / l.rates.len() as f64;
                    format!("layer {} {mean:.3}", l.layer)
                })
                .collect();
            if !rates.is_empty() {
                write!(f, "; mean learned dropout rate {}", rates.join(", "))?;
            }
            writeln!(f)?;
        }
        if let Some(u) = &self.uncertainty {
            write!(
                f,
                "{}: prior precision {:.4}, log evidence {:.2}, {:.1} of {} \
                 parameters effective",
                u.method, u.prior_precision, u.log_marglik, u.effective_params, u.n_params
            )?;
            if let Some(sd) = u.noise_sd {
                write!(f, ", noise sd {sd:.4}")?;
            }
            writeln!(f)?;
            if let Some(r) = &u.regression {
                let at90 = r.coverage.iter().find(|c| (c.0 - 0.9).abs() < 1e-9);
                if let Some((_, c)) = at90 {
                    writeln!(
                        f,
                        "  90% intervals cover {:.1}% of {} {} rows; log-likelihood {:.4} per row",
                        100.0 * c,
                        u.rows,
                        u.held_out,
                        r.log_lik
                    )?;
                }
            }
            if let Some(c) = &u.classes {
                writeln!(
                    f,
                    "  {} rows: NLL {:.4} moderated vs {:.4} plain, ECE {:.4} vs {:.4}",
                    u.held_out, c.nll_moderated, c.nll_plain, c.ece_moderated, c.ece_plain
                )?;
            }
        }
        Ok(())
    }
}

impl Display for ForecastResult {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "trained {} epochs (best {}), {:.2} s",
            self.epochs_run,
            best(self.best_epoch),
            self.fit_seconds
        )?;
        for (name, v) in [
            ("validation", &self.scores.validation),
            ("test", &self.scores.test),
        ] {
            writeln!(
                f,
                "{name} RMSE at step {}: {} {:.4}, seasonal naive {:.4}, last value {:.4} ({} windows)",
                self.windows.horizon,
                self.model,
                v.model.rmse,
                v.seasonal_naive.rmse,
                v.last_value.rmse,
                v.model.n
            )?;
        }
        if let Some(c) = &self.comparison {
            writeln!(
                f,
                "baseline vs regularized on test: regularized RMSE {:.4}, unregularized {:.4}",
                c.regularized.rmse, c.baseline.rmse
            )?;
        }
        if let Some(u) = &self.uncertainty {
            if let Some((_, c)) = u.coverage.iter().find(|c| (c.0 - 0.9).abs() < 1e-9) {
                writeln!(
                    f,
                    "MC dropout: 90% intervals cover {:.1}% of the test windows; log-likelihood \
                     {:.4} per window",
                    100.0 * c,
                    u.log_lik
                )?;
            }
        }
        Ok(())
    }
}

impl Display for RecommenderResult {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let (b, r, u) = (&self.baselines, &self.regularized, &self.unregularized);
        writeln!(
            f,
            "test RMSE: global mean {:.4}, user+item bias {:.4}, factorisation with L2 {} {:.4}, \
             without L2 {:.4}",
            b.global_mean.test.rmse,
            b.user_item_bias.test.rmse,
            r.l2.unwrap_or(self.config.l2),
            r.test.rmse,
            u.test.rmse
        )?;
        let nan = |v: Option<f64>| v.unwrap_or(f64::NAN);
        writeln!(
            f,
            "train vs validation RMSE: with L2 {:.4} / {:.4}, without L2 {:.4} / {:.4}",
            nan(r.train_rmse),
            r.val_rmse,
            nan(u.train_rmse),
            u.val_rmse
        )
    }
}

impl Display for TextResult {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "CV accuracy at lambda.min ({:.5}): {:.2}% ± {:.2}, {} terms in the model",
            self.lambda_min,
            100.0 * self.cv_accuracy,
            100.0 * self.cv_se,
            self.terms_in_model
        )?;
        let words = |v: &[(String, f64)]| {
            v.iter()
                .map(|e| e.0.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let cls = &self.positive_class;
        writeln!(
            f,
            "words pointing to '{cls}': {}",
            words(&self.top_positive)
        )?;
        writeln!(
            f,
            "words pointing away from '{cls}': {}",
            words(&self.top_negative)
        )
    }
}

impl Display for TuneResult {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (name, t) in [("best (min):", &self.min), ("one-SE:    ", &self.one_se)] {
            writeln!(
                f,
                "{name} trial {} {} {:.4} ± {:.4}, {:.0} features",
                t.trial, self.metric, t.cv_mean, t.cv_se, t.features_kept
            )?;
        }
        writeln!(
            f,
            "chosen by the {} rule: trial {}; {} input features kept",
            self.rule,
            self.chosen.trial,
            self.selected_features.len()
        )?;
        writeln!(
            f,
            "held out: regularized {}\n          baseline    {}",
            or_dash(&self.held_out.regularized),
            or_dash(&self.held_out.baseline)
        )
    }
}

impl Display for NetworkPathResult {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let r = &self.rows;
        writeln!(
            f,
            "{} train / {} validation / {} test rows; {} points in {:.2} s",
            r.train,
            r.validation.unwrap_or(0),
            r.test,
            self.points,
            self.path_seconds
        )?;
        writeln!(
            f,
            "chosen by the {} rule: lambda {:.4e}, {} features, validation loss {:.4} ± {:.4}",
            self.rule, self.chosen.lambda, self.chosen.features, self.cv_mean, self.cv_se
        )?;
        if let (Some(r), Some(b)) = (&self.held_out.regularized, &self.held_out.baseline) {
            writeln!(f, "held out: regularized {r}\n          baseline    {b}")?;
        }
        Ok(())
    }
}
