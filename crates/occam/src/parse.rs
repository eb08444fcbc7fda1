//! The text forms of network and search settings, as a command-line flag, a TOML key or a Python string
//! gives them: each parser returns the typed setting or an [`Error::Param`] naming the config
//! field. Convolution blocks are parsed by [`crate::mlp::parse_conv_block`].

use crate::error::{Error, Result};
use crate::mlp::parse_conv_block;
use occam_nn::net::ConvBlock;
use occam_nn::optim::schedule::Schedule;
use occam_nn::regularize::{L1Mode, LayerSelect};
use occam_nn::{ActKind, Loss, OptimizerKind};

/// `relu`, `gelu`, `tanh` or `sigmoid`.
pub fn activation(s: &str) -> Result<ActKind> {
    ActKind::parse(s).ok_or_else(|| {
        Error::param_err(
            "activation",
            format!("'{s}' is not relu, gelu, tanh or sigmoid"),
        )
    })
}

/// `C,H,W`: the image shape of a row.
pub fn image(s: &str) -> Result<(usize, usize, usize)> {
    let wrong = || Error::param_err("image", format!("'{s}' is not C,H,W"));
    let dims: Vec<usize> = s
        .split(',')
        .map(|t| t.trim().parse::<usize>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| wrong())?;
    match dims[..] {
        [c, h, w] => Ok((c, h, w)),
        _ => Err(wrong()),
    }
}

/// Comma-separated convolution blocks, `16:3:2,32:3:2`.
pub fn conv_blocks(s: &str) -> Result<Vec<ConvBlock>> {
    s.split(',').map(parse_conv_block).collect()
}

/// `default` (the loss that follows the task: `None`) or `huber[:DELTA]`.
pub fn loss(s: &str) -> Result<Option<Loss>> {
    if s == "default" {
        return Ok(None);
    }
    let Some(rest) = s.strip_prefix("huber") else {
        return Err(Error::param_err(
            "loss",
            format!("'{s}' is not 'default' or 'huber[:DELTA]' (the loss follows the task)"),
        ));
    };
    let delta =
        match rest.strip_prefix(':') {
            Some(d) => d.parse::<f64>().ok().filter(|d| *d > 0.0).ok_or_else(|| {
                Error::param_err("loss", format!("'{d}' is not a positive delta"))
            })?,
            None if rest.is_empty() => 1.0,
            None => {
                return Err(Error::param_err(
                    "loss",
                    format!("'{s}' is not 'default' or 'huber[:DELTA]'"),
                ))
            }
        };
    Ok(Some(Loss::Huber { delta }))
}

/// `adam`, `adamw` or `sgd` (with `momentum`, default 0.9, and `nesterov`); momentum is an
/// error for the others.
pub fn optimizer(s: &str, momentum: Option<f64>, nesterov: Option<bool>) -> Result<OptimizerKind> {
    if momentum.is_some() && s != "sgd" {
        return Err(Error::param_err(
            "momentum",
            "applies to the sgd optimizer only",
        ));
    }
    Ok(match s {
        "adam" => OptimizerKind::adam(),
        "adamw" => OptimizerKind::AdamW {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        },
        "sgd" => OptimizerKind::Sgd {
            momentum: momentum.unwrap_or(0.9),
            nesterov: nesterov.unwrap_or(false),
        },
        _ => {
            return Err(Error::param_err(
                "optimizer",
                format!("'{s}' is not adam, adamw or sgd"),
            ))
        }
    })
}

/// `constant`, `step[:EVERY[:GAMMA]]` (30, 0.1), `cosine[:MIN_LR]` (0) or
/// `plateau[:FACTOR[:PATIENCE]]` (0.1, 10).
pub fn schedule(s: &str) -> Result<Schedule> {
    let parts: Vec<&str> = s.split(':').collect();
    let num = |i: usize, d: f64| -> Result<f64> {
        parts.get(i).map_or(Ok(d), |t| {
            t.parse::<f64>().map_err(|_| {
                Error::param_err("schedule", format!("'{t}' in '{s}' is not a number"))
            })
        })
    };
    Ok(match parts[0] {
        "constant" => Schedule::Constant,
        "step" => Schedule::Step {
            every: num(1, 30.0)? as usize,
            gamma: num(2, 0.1)?,
        },
        "cosine" => Schedule::Cosine {
            min_lr: num(1, 0.0)?,
        },
        "plateau" => Schedule::Plateau {
            factor: num(1, 0.1)?,
            patience: num(2, 10.0)? as usize,
            min_lr: 0.0,
        },
        _ => {
            return Err(Error::param_err(
                "schedule",
                format!("'{s}' is not constant, step:EVERY:GAMMA, cosine[:MIN_LR] or plateau[:FACTOR:PATIENCE]"),
            ))
        }
    })
}

/// `auto` (the selection terms L1, elastic net and input group lasso on the first dense
/// layer, the shrinkage terms on every layer), `all`, `first` or a list of dense layers,
/// `0,2`: where the default penalty applies.
pub fn penalty_layers(s: &str) -> Result<LayerSelect> {
    Ok(match s {
        "auto" => LayerSelect::Auto,
        "all" => LayerSelect::All,
        "first" => LayerSelect::First,
        _ => LayerSelect::List(
            s.split(',')
                .map(|t| t.trim().parse::<usize>())
                .collect::<std::result::Result<_, _>>()
                .map_err(|_| {
                    Error::param_err(
                        "penalty_layers",
                        format!("'{s}' is not auto, all, first or a list like 0,2"),
                    )
                })?,
        ),
    })
}

/// `prox` (a proximal step in the optimizer's metric), `prox-uniform` (step lr) or
/// `subgradient` (for comparison: weights do not reach exact zero).
pub fn l1_mode(s: &str) -> Result<L1Mode> {
    match s {
        "prox" => Ok(L1Mode::Prox),
        "prox-uniform" => Ok(L1Mode::ProxUniform),
        "subgradient" => Ok(L1Mode::Subgradient),
        _ => Err(Error::param_err(
            "l1_mode",
            format!("'{s}' is not prox, prox-uniform or subgradient"),
        )),
    }
}

/// How a search proposes trials: `grid`, `random` or `tpe`.
pub fn search_method(s: &str) -> Result<occam_select::search::Method> {
    use occam_select::search::Method;
    match s {
        "grid" => Ok(Method::Grid),
        "random" => Ok(Method::Random),
        "tpe" => Ok(Method::Tpe),
        _ => Err(Error::param_err(
            "search",
            format!("'{s}' is not grid, random or tpe"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_form_parses_and_a_bad_one_names_its_field() {
        assert_eq!(image("1, 8,8").unwrap(), (1, 8, 8));
        assert_eq!(image("8,8").unwrap_err().param(), Some("image"));
        assert_eq!(loss("huber:2").unwrap(), Some(Loss::Huber { delta: 2.0 }));
        assert_eq!(loss("huber").unwrap(), Some(Loss::Huber { delta: 1.0 }));
        assert_eq!(loss("default").unwrap(), None);
        for bad in ["huber:-1", "huberx", "mse"] {
            assert_eq!(loss(bad).unwrap_err().param(), Some("loss"), "{bad}");
        }
        assert!(matches!(
            schedule("step:5:0.5").unwrap(),
            Schedule::Step { every: 5, gamma } if gamma == 0.5
        ));
        assert_eq!(schedule("step:x").unwrap_err().param(), Some("schedule"));
        assert_eq!(
            penalty_layers("0, 2").unwrap(),
            LayerSelect::List(vec![0, 2])
        );
        assert_eq!(
            penalty_layers("last").unwrap_err().param(),
            Some("penalty_layers")
        );
        assert_eq!(l1_mode("prox-uniform").unwrap(), L1Mode::ProxUniform);
        assert_eq!(
            optimizer("adam", Some(0.5), None).unwrap_err().param(),
            Some("momentum")
        );
        assert!(matches!(
            optimizer("sgd", None, Some(true)).unwrap(),
            OptimizerKind::Sgd { momentum, nesterov: true } if momentum == 0.9
        ));
        assert_eq!(activation("swish").unwrap_err().param(), Some("activation"));
        assert_eq!(conv_blocks("16:3:2,32:3").unwrap().len(), 2);
    }
}
