//! The robust and private training options of [`TrainOptions`] in text form: DP-SGD
//! (`--dp-epsilon` or `--dp-noise-multiplier`, the clipping norm, delta), adversarial
//! training (`--adversarial fgsm|pgd`, its radius, ball, steps and weight) and the
//! robustness check after training (`--robust-eval EPS,...`) and federated training
//! (`--federated K` and the `--fed-*` options), each error naming its config field.

use super::TrainOptions;
use crate::error::{Error, Result};
use crate::robust::RobustEval;
use occam_nn::adversarial::{Adversarial, Attack, Norm};

impl TrainOptions {
    /// Refuses what only the networks of `occam train` take (`laplace`, `robust_eval`, DP-SGD)
    /// where `what` (a search, a network path, a forecaster, a recommender) is asked for.
    pub fn only_train_networks(&self, what: &str) -> Result<()> {
        for (name, set) in [
            ("laplace", self.laplace == Some(true)),
            ("laplace_hessian", self.laplace_hessian.is_some()),
            ("robust_eval", self.robust_eval.is_some()),
        ] {
            if set {
                return Err(Error::param_err(
                    name,
                    format!("applies to the networks of occam train, not to {what}"),
                ));
            }
        }
        self.without_dp(what)
    }

    /// Refuses DP-SGD for `what`.
    pub fn without_dp(&self, what: &str) -> Result<()> {
        match self.dp_option() {
            Some(name) => Err(Error::param_err(
                name,
                format!("DP-SGD applies to the networks of occam train, not to {what}"),
            )),
            None => Ok(()),
        }
    }

    /// The first DP-SGD option set, by its config name.
    fn dp_option(&self) -> Option<&'static str> {
        [
            ("dp_epsilon", self.dp_epsilon.is_some()),
            ("dp_noise_multiplier", self.dp_noise_multiplier.is_some()),
            ("dp_max_grad_norm", self.dp_max_grad_norm.is_some()),
            ("dp_delta", self.dp_delta.is_some()),
            ("dp_accountant", self.dp_accountant.is_some()),
        ]
        .into_iter()
        .find_map(|(n, set)| set.then_some(n))
    }

    /// The DP-SGD settings (`None` when no DP option is set).
    pub fn dp(&self) -> Result<Option<occam_nn::dp::DpConfig>> {
        use occam_nn::dp::{DpConfig, DpNoise};
        let noise =
            match (self.dp_epsilon, self.dp_noise_multiplier) {
                (Some(_), Some(_)) => return Err(Error::param_err(
                    "dp_epsilon",
                    "give a target epsilon or a noise multiplier (dp_noise_multiplier), not both",
                )),
                (Some(e), None) => DpNoise::Epsilon(e),
                (None, Some(s)) => DpNoise::Multiplier(s),
                (None, None) => {
                    return match self.dp_option() {
                        Some(name) => Err(Error::param_err(
                            name,
                            "DP-SGD needs dp_epsilon or dp_noise_multiplier",
                        )),
                        None => Ok(None),
                    }
                }
            };
        let dp = DpConfig {
            max_grad_norm: self.dp_max_grad_norm.unwrap_or(1.0),
            noise,
            delta: self.dp_delta.unwrap_or(1e-5),
            accountant: match self.dp_accountant.as_deref() {
                Some(name) => crate::privacy::accountant(name, "dp_accountant")?,
                None => Default::default(),
            },
        };
        dp.validate()?;
        Ok(Some(dp))
    }

    fn adv_norm(&self) -> Result<Norm> {
        match self.adv_norm.as_deref() {
            None => Ok(Norm::Linf),
            Some(s) => Norm::parse(s)
                .ok_or_else(|| Error::param_err("adv_norm", format!("'{s}' is not linf or l2"))),
        }
    }

    /// Adversarial training (`None` without `adversarial`; its other options alone are
    /// refused).
    pub fn adversarial(&self) -> Result<Option<Adversarial>> {
        let kind = match self.adversarial.as_deref() {
            Some(k) => k,
            None => {
                for (name, set) in [
                    ("adv_epsilon", self.adv_epsilon.is_some()),
                    ("adv_steps", self.adv_steps.is_some()),
                    ("adv_weight", self.adv_weight.is_some()),
                    ("adv_beta", self.adv_beta.is_some()),
                ] {
                    if set {
                        return Err(Error::param_err(name, "needs adversarial (fgsm or pgd)"));
                    }
                }
                return Ok(None);
            }
        };
        let eps = self.adv_epsilon.ok_or_else(|| {
            Error::param_err(
                "adversarial",
                "needs adv_epsilon, the perturbation's radius",
            )
        })?;
        let norm = self.adv_norm()?;
        let (attack, weight) = match kind {
            "fgsm" => {
                if self.adv_steps.is_some() {
                    return Err(Error::param_err("adv_steps", "applies to pgd, not fgsm"));
                }
                (Attack::fgsm(eps, norm), 0.5)
            }
            "pgd" | "trades" => {
                let steps = self.adv_steps.unwrap_or(10);
                if steps == 0 {
                    return Err(Error::param_err("adv_steps", "must be at least 1"));
                }
                (Attack::pgd(eps, norm, steps), 1.0)
            }
            other => {
                return Err(Error::param_err(
                    "adversarial",
                    format!("'{other}' is not fgsm, pgd or trades"),
                ))
            }
        };
        let trades = kind == "trades";
        if trades && self.adv_weight.is_some() {
            return Err(Error::param_err(
                "adv_weight",
                "applies to fgsm and pgd; TRADES weighs its KL term by adv_beta",
            ));
        }
        if !trades && self.adv_beta.is_some() {
            return Err(Error::param_err("adv_beta", "applies to trades"));
        }
        let a = Adversarial {
            attack,
            weight: self.adv_weight.unwrap_or(weight),
            trades: trades.then(|| self.adv_beta.unwrap_or(6.0)),
        };
        a.validate()?;
        Ok(Some(a))
    }

    /// The robustness check after training (`None` without `robust_eval`).
    pub fn robust_eval(&self) -> Result<Option<RobustEval>> {
        let Some(eps) = &self.robust_eval else {
            for (name, set) in [
                ("robust_steps", self.robust_steps.is_some()),
                ("robust_restarts", self.robust_restarts.is_some()),
            ] {
                if set {
                    return Err(Error::param_err(name, "needs robust_eval, the radii"));
                }
            }
            return Ok(None);
        };
        let r = RobustEval {
            epsilons: eps.clone(),
            norm: self.adv_norm()?,
            steps: self.robust_steps.unwrap_or(20),
            restarts: self.robust_restarts.unwrap_or(1),
        };
        r.validate()?;
        Ok(Some(r))
    }

    /// Federated training (`None` without `federated`; its other options alone are refused).
    pub fn federated(&self) -> Result<Option<occam_nn::federated::FedConfig>> {
        use occam_nn::federated::{ClientSplit, FedConfig};
        let Some(clients) = self.federated else {
            for (name, set) in [
                ("fed_rounds", self.fed_rounds.is_some()),
                ("fed_local_epochs", self.fed_local_epochs.is_some()),
                ("fed_mu", self.fed_mu.is_some()),
                ("fed_split", self.fed_split.is_some()),
                ("fed_stragglers", self.fed_stragglers.is_some()),
                ("fed_drop_stragglers", self.fed_drop_stragglers.is_some()),
                ("fed_sample_rate", self.fed_sample_rate.is_some()),
                ("fed_processes", self.fed_processes.is_some()),
            ] {
                if set {
                    return Err(Error::param_err(
                        name,
                        "needs federated, the number of clients",
                    ));
                }
            }
            return Ok(None);
        };
        let split = match self.fed_split.as_deref() {
            None | Some("iid") => ClientSplit::Iid,
            Some(s) => match s.strip_prefix("dirichlet:").map(str::parse::<f64>) {
                Some(Ok(a)) => ClientSplit::Dirichlet(a),
                _ => {
                    return Err(Error::param_err(
                        "fed_split",
                        format!("'{s}' is not iid or dirichlet:ALPHA"),
                    ))
                }
            },
        };
        let f = FedConfig {
            clients,
            rounds: self.fed_rounds.unwrap_or(10),
            local_epochs: self.fed_local_epochs.unwrap_or(1),
            mu: self.fed_mu.unwrap_or(0.0),
            split,
            stragglers: self.fed_stragglers.unwrap_or(0.0),
            drop_stragglers: self.fed_drop_stragglers.unwrap_or(false),
            sample_rate: self.fed_sample_rate.unwrap_or(1.0),
            processes: self.fed_processes.unwrap_or(false),
        };
        f.validate()?;
        Ok(Some(f))
    }
}
