"""pandas DataFrames with categorical columns: one-hot encoded by the core as a CSV's are,
so the saved model reads the same columns from a CSV in `occam predict`, and a model the
command line trained with --categorical predicts a DataFrame here; unseen categories, missing
cells and a matrix where a DataFrame is needed are errors naming the column."""

import subprocess

import numpy as np
import pandas as pd
import pytest

import occam

from helpers import DATA, occam_bin


def city_frame():
    df = pd.read_csv(DATA / "synthetic/pima_city.csv").dropna().reset_index(drop=True)
    df["city"] = df["city"].astype("category")
    return df.drop(columns="diabetes"), df["diabetes"]


@pytest.mark.parametrize(
    "est",
    [occam.LogisticNetCV(cv=3, n_lambdas=30), occam.MLPClassifier(epochs=15)],
    ids=lambda e: type(e).__name__,
)
def test_a_categorical_frame_fits_and_predicts_like_the_command_line(tmp_path, est):
    X, y = city_frame()
    est.fit(X, y)
    assert list(est.feature_names_in_) == list(X.columns) and est.n_features_in_ == 9
    proba = est.predict_proba(X)[:, 1]
    # The same rows as a CSV (the city as text) through `occam predict` on the saved model.
    csv = tmp_path / "rows.csv"
    X.assign(diabetes=y).to_csv(csv, index=False)
    est.save(tmp_path / "run")
    out = tmp_path / "pred.csv"
    subprocess.run(
        [occam_bin(), "predict", str(tmp_path / "run"), str(csv), "--out", str(out)],
        check=True, capture_output=True,
    )
    np.testing.assert_allclose(pd.read_csv(out)["prob_1"].to_numpy(), proba, rtol=1e-6)
    # Columns in another order are matched by name; the city as plain text works too.
    shuffled = X[list(reversed(X.columns))].astype({"city": str})
    np.testing.assert_array_equal(est.predict_proba(shuffled)[:, 1], proba)
    again = occam.load(tmp_path / "run")
    np.testing.assert_array_equal(again.predict_proba(X)[:, 1], proba)
    # Errors naming the column.
    unseen = X.head(3).astype({"city": str})
    unseen.loc[1, "city"] = "paris"
    with pytest.raises(ValueError, match="city"):
        est.predict(unseen)
    missing = X.head(3).astype({"city": str})
    missing.loc[2, "glucose"] = np.nan
    with pytest.raises(ValueError, match="glucose"):
        est.predict(missing)
    with pytest.raises(TypeError, match="DataFrame"):
        est.predict(X.drop(columns="city").to_numpy())
    with pytest.raises(ValueError, match="city"):
        est.predict(X.drop(columns="city"))


def test_a_model_the_command_line_trained_with_categorical_columns_predicts_a_frame(tmp_path):
    X, y = city_frame()
    csv = tmp_path / "rows.csv"
    X.assign(diabetes=y).to_csv(csv, index=False)
    run = tmp_path / "cli"
    subprocess.run(
        [occam_bin(), "train", str(csv), "--categorical", "city", "--epochs", "10", "--out",
         str(run), "--no-report"],
        check=True, capture_output=True,
    )
    est = occam.load(run)
    assert list(est.feature_names_in_) == list(X.columns)
    out = tmp_path / "pred.csv"
    subprocess.run(
        [occam_bin(), "predict", str(run), str(csv), "--out", str(out)],
        check=True, capture_output=True,
    )
    np.testing.assert_allclose(
        est.predict_proba(X)[:, 1], pd.read_csv(out)["prob_1"].to_numpy(), rtol=1e-6
    )
