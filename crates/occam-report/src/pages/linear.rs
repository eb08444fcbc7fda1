//! The page of a linear path, a cross-validated path, and a text model.

use super::{num, plot, section, Result};
use crate::html::{paragraph, table};
use crate::plots;
use crate::Page;
use occam::results::{CvResult, LinearRun};

fn cv_sections(
    cv: &CvResult,
    by_feature: &[Vec<f64>],
    secs: &mut Vec<crate::Section>,
) -> Result<()> {
    let p = &cv.path;
    let lambda = &p.lambda;
    let measure = cv.measure.name();
    let (imin, i1se) = (cv.index_min.max(1) - 1, cv.index_1se.max(1) - 1);
    let point = |name: &str, i: usize| -> Vec<String> {
        vec![
            name.into(),
            format!("{:.6}", lambda[i]),
            p.df[i].to_string(),
            format!("{:.4} ± {:.4}", cv.cvm[i], cv.cvsd[i]),
        ]
    };
    let mut html = table(
        &["choice", "lambda", "features", &format!("CV {measure}")],
        &[point("lambda.min", imin), point("lambda.1se", i1se)],
    );
    html.push_str(&plot(
        plots::cv_curve(lambda, &cv.cvm, &cv.cvsd, imin, i1se, measure),
        "Mean CV error ± 1 SE against log(lambda); marker lines at lambda.min and lambda.1se.",
    )?);
    secs.push(section("metrics", "Cross-validation", html));
    // The least penalized fit on the path stands in for the unregularized baseline (with
    // p >> n an unpenalized GLM is not defined), scored by the same cross-validation.
    let last = lambda.len() - 1;
    let mut rows = vec![
        point("least penalized (smallest lambda)", last),
        point("lambda.1se", i1se),
    ];
    if let Some(h) = cv.held_out.as_ref().and_then(|h| h.get("lambda.1se")) {
        rows[1].push(format!("{} (held out)", num(h.accuracy)));
        rows[0].push(String::new());
    }
    let head = [
        "model",
        "lambda",
        "features",
        &format!("CV {measure}"),
        "accuracy",
    ];
    let n = rows[0].len();
    secs.push(section(
        "baseline",
        "Baseline vs regularized",
        table(&head[..n], &rows),
    ));
    let coef: Vec<f64> = by_feature.iter().map(|b| b[i1se]).collect();
    let mut html = paragraph(&format!(
        "{} features at lambda.1se: {}",
        cv.selected_1se.len(),
        cv.selected_1se.join(", ")
    ));
    let nz = coef.iter().filter(|c| **c != 0.0).count();
    // Compared on the standardized scale (coefficient x the feature's sd): on the original
    // scale a feature measured in small units looks large. Runs written before the sds were
    // recorded show the original scale, labelled so.
    let standardized = p.feature_sd.len() == coef.len();
    let shown: Vec<f64> = if standardized {
        coef.iter().zip(&p.feature_sd).map(|(b, s)| b * s).collect()
    } else {
        coef.clone()
    };
    html.push_str(&plot(
        plots::bar_chart(
            "Coefficients at lambda.1se",
            &p.feature_names,
            &shown,
            nz.clamp(1, 30),
            None,
            if standardized {
                "coefficient x sd(feature) (standardized scale)"
            } else {
                "coefficient (original scale)"
            },
        ),
        if standardized {
            "Non-zero coefficients at lambda.1se on the standardized scale (the change in the \
             response's linear predictor per standard deviation of the feature), largest \
             first; the table gives both scales."
        } else {
            "Non-zero coefficients at lambda.1se on the original scale, largest first."
        },
    )?);
    if standardized {
        let mut order: Vec<usize> = (0..coef.len()).filter(|&j| coef[j] != 0.0).collect();
        order.sort_by(|&a, &b| shown[b].abs().total_cmp(&shown[a].abs()));
        let rows: Vec<Vec<String>> = order
            .iter()
            .take(30)
            .map(|&j| {
                vec![
                    p.feature_names[j].clone(),
                    format!("{:.4}", shown[j]),
                    format!("{:.6}", coef[j]),
                    format!("{:.4}", p.feature_sd[j]),
                ]
            })
            .collect();
        html.push_str(&table(
            &["feature", "standardized", "original scale", "sd(feature)"],
            &rows,
        ));
    }
    secs.push(section("selected", "Selected features", html));
    Ok(())
}

fn words_section(words: &[(String, f64)]) -> crate::Section {
    let pos: Vec<&(String, f64)> = words.iter().filter(|e| e.1 > 0.0).take(20).collect();
    let neg: Vec<&(String, f64)> = words.iter().rev().filter(|e| e.1 < 0.0).take(20).collect();
    let rows: Vec<Vec<String>> = (0..pos.len().max(neg.len()))
        .map(|i| {
            let cell = |v: &[&(String, f64)]| {
                v.get(i)
                    .map_or(String::new(), |e| format!("{} ({:+.3})", e.0, e.1))
            };
            vec![(i + 1).to_string(), cell(&pos), cell(&neg)]
        })
        .collect();
    section(
        "words",
        "Words with the largest weights",
        table(&["", "positive", "negative"], &rows),
    )
}

pub(super) fn page(label: &str, run: &LinearRun) -> Result<Page> {
    let p = run.path();
    let by_feature = p.beta.by_feature();
    let mut setting = vec![
        vec!["family".into(), p.family.name().to_string()],
        vec!["alpha".into(), num(p.alpha)],
        vec!["rows".into(), p.n.to_string()],
        vec!["features".into(), p.feature_names.len().to_string()],
        vec!["target".into(), p.target.clone()],
        vec!["lambdas".into(), p.lambda.len().to_string()],
        vec!["fit seconds".into(), num(p.fit_seconds)],
    ];
    if let LinearRun::Cv(cv, _) = run {
        setting.push(vec!["measure".into(), cv.measure.name().to_string()]);
    }
    let mut secs = vec![section(
        "run",
        "Run",
        table(&["setting", "value"], &setting),
    )];
    if let LinearRun::Cv(cv, words) = run {
        cv_sections(cv, &by_feature, &mut secs)?;
        if !words.is_empty() {
            secs.push(words_section(words));
        }
    }
    secs.push(section(
        "path",
        "Coefficient path",
        plot(
            plots::coefficient_path(&p.lambda, &by_feature, &p.feature_names, &p.df),
            "Each coefficient against log(lambda); the number of non-zero coefficients along the top.",
        )?,
    ));
    let kind = match run {
        LinearRun::Cv(..) => "cross-validated",
        LinearRun::Path(_) => "regularization",
    };
    Ok(Page {
        title: format!("occam linear: {label}"),
        subtitle: format!("{} {kind} path on {} rows", p.family.name(), p.n),
        sections: secs,
    })
}
