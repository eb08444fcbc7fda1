//! Predictions in the one shape every estimator returns: per row, the class probabilities
//! (binary: P(second class)) or the predicted value, with the names needed to write them.

use crate::preprocess::Preprocessor;
use occam_core::Task;
use occam_nn::metrics::task_metrics;
use occam_nn::Mat;
use std::fmt::Write as _;

/// A model's predictions for a set of rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Predictions {
    /// What was predicted.
    pub task: Task,
    /// Class labels (classification).
    pub classes: Vec<String>,
    /// The target column's name.
    pub target: String,
    /// Per row: `[P(second class)]` (binary), the class probabilities (multiclass), or
    /// `[value]` (regression, counts).
    pub rows: Vec<Vec<f64>>,
    /// Per row, the predictive standard deviation (Bayesian linear models; MC dropout, where
    /// for classes it is the spread of the predicted class's probability).
    pub std: Option<Vec<f64>>,
}

impl Predictions {
    /// Wraps `rows` with the task and names of `pre`. A binary model that returns both
    /// class probabilities (multinomial on two classes) keeps the second one.
    pub fn new(pre: &Preprocessor, rows: Vec<Vec<f64>>) -> Predictions {
        let rows = if pre.task == Task::Binary {
            rows.into_iter()
                .map(|r| vec![*r.last().unwrap_or(&f64::NAN)])
                .collect()
        } else {
            rows
        };
        Predictions {
            task: pre.task,
            classes: pre.classes.clone(),
            target: pre.target.clone(),
            rows,
            std: None,
        }
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The predicted class index (classification) or value, per row.
    pub fn labels(&self) -> Vec<f64> {
        self.rows
            .iter()
            .map(|r| match self.task {
                Task::Binary => f64::from(u8::from(r[0] >= 0.5)),
                Task::Multiclass => occam_nn::mat::argmax(r) as f64,
                Task::Regression | Task::Counts => r[0],
            })
            .collect()
    }

    /// As CSV: `prob_<class>` columns and `predicted` (the label) for classifiers,
    /// `predicted_<target>` for regression and counts.
    pub fn to_csv(&self) -> String {
        let mut csv = String::new();
        let labels = self.labels();
        match self.task {
            Task::Binary | Task::Multiclass => {
                let head: Vec<String> = if self.task == Task::Binary {
                    vec![format!("prob_{}", self.classes[1])]
                } else {
                    self.classes.iter().map(|c| format!("prob_{c}")).collect()
                };
                let spread = if self.std.is_some() {
                    ",std_prob_predicted"
                } else {
                    ""
                };
                let _ = writeln!(csv, "{},predicted{spread}", head.join(","));
                for (i, (r, l)) in self.rows.iter().zip(&labels).enumerate() {
                    let vals: Vec<String> = r.iter().map(|v| v.to_string()).collect();
                    let _ = write!(csv, "{},{}", vals.join(","), self.classes[*l as usize]);
                    match &self.std {
                        Some(sd) => {
                            let _ = writeln!(csv, ",{}", sd[i]);
                        }
                        None => csv.push('\n'),
                    }
                }
            }
            Task::Regression | Task::Counts => match &self.std {
                None => {
                    let _ = writeln!(csv, "predicted_{}", self.target);
                    for r in &self.rows {
                        let _ = writeln!(csv, "{}", r[0]);
                    }
                }
                Some(sd) => {
                    let t = &self.target;
                    let _ = writeln!(csv, "predicted_{t},std_{t}");
                    for (r, s) in self.rows.iter().zip(sd) {
                        let _ = writeln!(csv, "{},{s}", r[0]);
                    }
                }
            },
        }
        csv
    }

    /// The task's metrics against targets `y` (coded as in training).
    pub fn metrics(&self, y: &[f64]) -> Vec<(String, f64)> {
        let cols = self.rows.first().map_or(1, Vec::len);
        let p = Mat::from_vec(self.len(), cols, self.rows.concat());
        task_metrics(self.task, &p, y)
    }
}
