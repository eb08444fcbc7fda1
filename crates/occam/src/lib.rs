//! occam: regularized learning.
//!
//! This is the crate users depend on. Each estimator is a plain configuration struct with
//! documented defaults; `fit` takes a [`Dataset`] and returns a separate fitted type that
//! carries its preprocessing ([`Preprocessor`]), predicts ([`Predictions`]) and saves to / loads
//! from a [`RunFolder`] (safetensors for tensors, JSON for the rest, a manifest with a
//! checksum of every file). Estimators that fit from a raw table (texts, ratings, a time
//! series) implement [`TableEstimator`].
//!
//! Choosing strengths and features: [`tune`] (grid, random or TPE search over any
//! [`tune::Tunable`] config), [`select`] (stability selection), [`lassonet`] (the LassoNet
//! path). Every run's result is a typed struct in [`results`], which occam-report draws its
//! pages from. [`data`] reads the embedded data sets and CSV / libsvm / idx files.
//!
//! ```
//! use occam::{CsvOptions, Dataset, LinearCv, RawTable};
//! let csv = "x1,x2,y\n1,0.5,1.2\n2,0.1,2.3\n3,0.9,2.9\n4,0.4,4.1\n5,0.2,5.2\n6,0.8,5.9\n\
//!            7,0.3,7.2\n8,0.6,7.8\n9,0.7,9.1\n10,0.1,9.9\n";
//! let table = RawTable::parse(csv.as_bytes(), "toy.csv".as_ref()).unwrap();
//! let data = Dataset::from_table(&table, &CsvOptions::default()).unwrap();
//! let est = LinearCv { folds: 5, ..LinearCv::default() };
//! let (model, cv) = est.fit_cv(&data).unwrap();
//! assert_eq!(model.lambda, Some(cv.lambda_1se));
//! let pred = model.predict(&data.x).unwrap();
//! assert_eq!(pred.len(), 10);
//! ```

#![deny(missing_docs)]

pub mod bayes;
pub mod data;
pub mod error;
pub mod estimator;
pub mod explain;
pub mod fedproc;
pub mod forecast;
pub mod lassonet;
pub mod linear;
pub mod mlp;
pub mod model;
pub mod network;
pub mod options;
pub mod parse;
pub mod predict;
pub mod preprocess;
pub mod privacy;
pub mod recommender;
pub mod results;
pub mod robust;
pub mod run;
pub mod select;
pub mod text;
pub mod tune;

pub use bayes::{BayesConfig, BayesKind, BayesLinear, BayesModel};
pub use error::{Error, Result};
pub use estimator::{
    read_csv, read_csv_table, split_rows, validate_data, Estimator, Fitted, Selection, Selector,
    TableEstimator, TableModel,
};
pub use forecast::{Forecaster, ForecasterModel};
pub use linear::{family_mismatch, CvChoice, Linear, LinearCv, LinearModel, Rule};
pub use mlp::{Callback, LaplaceHessian, LaplacePrior, Mlp, MlpModel};
pub use model::Model;
pub use occam_core::table::{Column, Numbers, RawTable};
pub use occam_core::{CsvOptions, Dataset, Matrix, MissingPolicy, Task};
pub use occam_linear::{CvFit, Family, Measure, PathFit};
pub use occam_nn::layer::VdKind;
pub use occam_nn::optim::schedule::Schedule;
pub use occam_nn::{
    ActKind, L1Mode, LayerPenalty, LayerSelect, Loss, OptimizerKind, PenaltyPolicy,
};
pub use predict::Predictions;
pub use preprocess::{HandleUnknown, Preprocessor, Transformed};
pub use recommender::{Recommender, RecommenderModel};
pub use run::{Mode, RunFolder, RunKind};
pub use text::TextModel;
