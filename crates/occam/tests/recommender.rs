//! The recommender estimator on InstEval ratings (datasets/insteval_ratings.csv, the first
//! 6,000 rows): the chosen L2 beats the user+item-bias baseline on validation, save/load
//! round-trips the predictions bit for bit, unknown ids are a clear error (or the global mean
//! plus what is known), and bad configs name their field.

use occam::{HandleUnknown, Mode, RawTable, Recommender, RecommenderModel, RunFolder, RunKind};
use occam_nn::recommender::{bias_baseline, rmse};
use std::path::Path;

fn ratings(rows: usize) -> RawTable {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/insteval_ratings.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let head: Vec<&str> = text.lines().take(rows + 1).collect();
    RawTable::parse((head.join("\n") + "\n").as_bytes(), &path).unwrap()
}

#[test]
fn fit_choose_l2_save_load_and_unknown_ids() {
    let t = ratings(6000);
    let mut est = Recommender::new("student", "lecturer");
    est.target = Some("rating".into());
    est.epochs = 15;
    let fit = est.fit(&t).unwrap();
    assert_eq!(fit.grid.len(), 5);
    let best = fit.grid.iter().map(|g| g.1).fold(f64::INFINITY, f64::min);
    let m = &fit.model;
    assert_eq!(rmse(&m.engine.predict_all(&fit.val), &fit.val), best);
    let table = est.ratings(&t).unwrap();
    let (mu, bu, bi) = bias_baseline(&fit.train, table.users.len(), table.items.len());
    let bias: Vec<f64> = fit
        .val
        .iter()
        .map(|&(u, i, _)| mu + bu[u] + bi[i])
        .collect();
    assert!(
        best < rmse(&bias, &fit.val),
        "{best} vs {}",
        rmse(&bias, &fit.val)
    );

    let dir = std::env::temp_dir().join(format!("occam-rec-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut run = RunFolder::create(&dir, RunKind::Recommender, Mode::New).unwrap();
    m.save(&mut run).unwrap();
    let loaded = RecommenderModel::load(&RunFolder::open(&dir).unwrap()).unwrap();
    let a = m.predict_table(&t, HandleUnknown::Error).unwrap();
    let b = loaded.predict_table(&t, HandleUnknown::Error).unwrap();
    assert_eq!(a, b);
    let top = loaded.top_k(&table.users[0], &[], 3).unwrap();
    assert_eq!(top.len(), 3);
    assert!(top[0].1 >= top[1].1 && top[1].1 >= top[2].1);

    let e = loaded
        .predict(
            &[(&table.users[0], "no-such-lecturer")],
            HandleUnknown::Error,
        )
        .unwrap_err();
    assert!(
        e.to_string().contains("'no-such-lecturer' was not seen"),
        "{e}"
    );
    let p = loaded
        .predict(&[("nobody", "nothing")], HandleUnknown::Zeros)
        .unwrap();
    assert_eq!(p, vec![loaded.engine.mu]);
    std::fs::remove_dir_all(&dir).unwrap();

    for (bad, param) in [
        (
            Recommender {
                factors: 0,
                ..est.clone()
            },
            "factors",
        ),
        (
            Recommender {
                l2: Some(-1.0),
                ..est.clone()
            },
            "l2",
        ),
        (
            Recommender {
                val_fraction: 1.0,
                ..est.clone()
            },
            "val_fraction",
        ),
        (
            Recommender {
                target: Some("student".into()),
                ..est.clone()
            },
            "target",
        ),
    ] {
        let e = bad.fit(&t).err().unwrap();
        assert_eq!(e.param(), Some(param), "{e}");
    }
}
