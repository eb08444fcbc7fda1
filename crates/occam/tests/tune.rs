//! A search over the network config through the facade, on the Pima data: the trials are
//! recorded with their fold scores, the same seed gives the same trials, a resumed search
//! equals an uninterrupted one, the median pruner stops poor trials, and a space dimension
//! that is no network parameter is a typed error naming `space`; the same search tunes a
//! linear model over alpha and lambda.

use occam::tune::{choose, DimSpec, Method, Space, Tunable, Tune};
use occam::{CsvOptions, Dataset, Mlp, RawTable};
use std::collections::BTreeMap;
use std::path::Path;

fn pima(rows: usize) -> Dataset {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/pima_indians_diabetes.csv");
    let text = std::fs::read_to_string(&p).unwrap();
    let head: String = text.lines().take(rows + 1).collect::<Vec<_>>().join("\n") + "\n";
    let t = RawTable::parse(head.as_bytes(), &p).unwrap();
    Dataset::from_table(&t, &CsvOptions::default()).unwrap()
}

fn space(toml_text: &str) -> Space {
    let specs: BTreeMap<String, DimSpec> = toml::from_str(toml_text).unwrap();
    Space::from_specs(&specs).unwrap()
}

fn search() -> Tune<Mlp> {
    let net = Mlp {
        hidden: Some(vec![8]),
        epochs: 10,
        ..Mlp::default()
    };
    Tune {
        method: Method::Random,
        trials: 4,
        folds: 3,
        seed: 7,
        ..Tune::new(
            net,
            space("[l1]\nlog = [1e-4, 1e-1]\n[dropout]\nrange = [0.0, 0.5]\n"),
        )
    }
}

#[test]
fn trials_repeat_bit_for_bit_and_a_resumed_search_equals_an_uninterrupted_one() {
    let d = pima(300);
    let t = search();
    let mut told = 0;
    let all = t
        .search(&d, Vec::new(), &mut |tr| {
            told = tr.len();
            Ok(())
        })
        .unwrap();
    assert_eq!((all.len(), told), (4, 4));
    for tr in &all {
        assert_eq!(tr.fold_scores.len(), 3);
        assert!(tr.mean > 0.5 && tr.mean <= 1.0, "accuracy {}", tr.mean);
        assert_eq!(tr.epoch_losses.len(), 3);
        assert!(tr.features_kept <= 8.0);
    }
    // Everything but the seconds each trial took.
    let timeless = |v: Vec<occam::tune::Trial>| -> Vec<occam::tune::Trial> {
        v.into_iter()
            .map(|t| occam::tune::Trial { seconds: 0.0, ..t })
            .collect()
    };
    let again = t.search(&d, Vec::new(), &mut |_| Ok(())).unwrap();
    assert_eq!(timeless(again), timeless(all.clone()));
    let resumed = t.search(&d, all[..2].to_vec(), &mut |_| Ok(())).unwrap();
    assert_eq!(timeless(resumed), timeless(all.clone()));
    let (best, se1) = choose(&all, "accuracy").unwrap();
    assert!(all[se1].mean >= all[best].mean - all[best].se);
}

#[test]
fn the_median_pruner_stops_trials_worse_than_the_earlier_ones() {
    let d = pima(300);
    let mut t = search();
    t.prune = true;
    t.trials = 10;
    // A learning rate a thousand times too small cannot keep up with earlier trials.
    t.space = space("[lr]\nlog = [1e-6, 1e-1]\n");
    t.estimator.epochs = 20;
    let trials = t.search(&d, Vec::new(), &mut |_| Ok(())).unwrap();
    let pruned: Vec<_> = trials.iter().filter(|t| t.pruned).collect();
    assert!(
        !pruned.is_empty(),
        "no trial pruned: {:?}",
        trials.iter().map(|t| t.params["lr"]).collect::<Vec<_>>()
    );
    assert!(pruned.iter().all(|t| t.index >= 5 && t.mean.is_nan()));
    // The fold that broke the rule stopped early (the others stop at their next epoch, or
    // had already finished).
    assert!(pruned
        .iter()
        .all(|t| t.epoch_losses.iter().any(|l| l.len() < 20)));
}

#[test]
fn a_dimension_that_is_no_network_parameter_is_a_typed_error() {
    let p: BTreeMap<String, f64> = [("momentum".to_string(), 0.9)].into_iter().collect();
    let e = Mlp::default().with_params(&p).unwrap_err();
    assert_eq!(e.param(), Some("space"), "{e}");
    assert!(e.to_string().contains("momentum"), "{e}");
    let mut t = search();
    t.trials = 0;
    assert_eq!(
        t.search(&pima(50), Vec::new(), &mut |_| Ok(()))
            .unwrap_err()
            .param(),
        Some("trials")
    );
}

#[test]
fn the_same_search_tunes_a_linear_model_and_each_fold_is_the_model_fitted_on_it() {
    use occam::{Estimator, Linear};
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/diabetes_regression.csv");
    let t = RawTable::parse(&std::fs::read(&p).unwrap(), &p).unwrap();
    let d = Dataset::from_table(&t, &CsvOptions::default()).unwrap();
    let tune = Tune {
        method: Method::Random,
        trials: 6,
        folds: 5,
        seed: 3,
        ..Tune::new(
            Linear::default(),
            space("[alpha]\nrange = [0.1, 1.0]\n[lambda]\nlog = [0.01, 30.0]\n"),
        )
    };
    let trials = tune.search(&d, Vec::new(), &mut |_| Ok(())).unwrap();
    assert_eq!(trials.len(), 6);
    assert!(
        trials.iter().all(|t| t.mean > 40.0 && t.mean < 80.0),
        "RMSE {:?}",
        trials.iter().map(|t| t.mean).collect::<Vec<_>>()
    );
    // Fold 0 of the first trial, fitted by hand on the same rows, scores the same.
    let foldid = occam_core::split::kfold(d.nrows(), 5, None, 3).unwrap();
    let (tr, va): (Vec<usize>, Vec<usize>) = (0..d.nrows()).partition(|&r| foldid[r] != 0);
    let lin = Linear::default().with_params(&trials[0].params).unwrap();
    let mut m = lin.fit(&d.subset(&tr)).unwrap();
    m.set_lambda(trials[0].params["lambda"]).unwrap();
    let val = d.subset(&va);
    let rmse = m
        .predict(&val.x)
        .unwrap()
        .metrics(&val.y)
        .into_iter()
        .find(|(k, _)| k == "rmse")
        .unwrap()
        .1;
    assert_eq!(rmse, trials[0].fold_scores[0]);
    // A larger lambda keeps fewer features.
    let (small, large) = trials.iter().fold((&trials[0], &trials[0]), |(s, l), t| {
        (
            if t.params["lambda"] < s.params["lambda"] {
                t
            } else {
                s
            },
            if t.params["lambda"] > l.params["lambda"] {
                t
            } else {
                l
            },
        )
    });
    assert!(small.features_kept >= large.features_kept);
    let p: BTreeMap<String, f64> = [("dropout".to_string(), 0.1)].into_iter().collect();
    assert_eq!(
        Linear::default().with_params(&p).unwrap_err().param(),
        Some("space")
    );
}

#[test]
fn as_an_estimator_the_search_fits_the_chosen_network_as_finish_does() {
    // Early stopping configured on the base network: the trials use it, but the chosen
    // network is trained as `finish` trains it (all epochs, last weights, every row).
    let d = pima(300);
    let mut t = search();
    t.estimator.patience = Some(2);
    let model = occam::Estimator::fit(&t, &d).unwrap();
    let trials = t.search(&d, Vec::new(), &mut |_| Ok(())).unwrap();
    let mut finished = t.finish(&d, &d, None, &trials).unwrap().model;
    let mut model = model;
    let a = model.predict(&d.x).unwrap();
    let b = finished.predict(&d.x).unwrap();
    assert_eq!(a.rows, b.rows);
}
