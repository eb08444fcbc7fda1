"""occam.privacy: the RDP accountant equals Google's dp-accounting (the fixture of
crates/occam-nn/tests/fixtures/dp_accounting, made by gen_dp.py there) over its 78 settings,
its calibration gives the same noise, the PLD accountant is within 1% of dp-accounting's
(pld_grid.json, made by gen_pld.py) and needs less noise in training, the command line prints the same epsilon on its last
line, and bad arguments are TypeError/ValueError naming them."""

import json
import subprocess

import pytest

import occam

from helpers import ROOT, occam_bin

GRID = json.loads((ROOT / "crates/occam-nn/tests/fixtures/dp_accounting/rdp_grid.json").read_text())


def test_epsilon_equals_dp_accounting():
    assert len(GRID["points"]) >= 50
    for p in GRID["points"]:
        eps = occam.privacy.epsilon(p["noise_multiplier"], p["sample_rate"], p["steps"],
                                    p["delta"])
        assert eps == pytest.approx(p["epsilon"], rel=1e-9), p


PLD = json.loads((ROOT / "crates/occam-nn/tests/fixtures/dp_accounting/pld_grid.json").read_text())


def test_the_pld_accountant_is_within_one_percent_of_dp_accountings_pld():
    # every eighth point (the full grid is occam-nn's tests/pld.rs); PLD never above RDP
    for p in PLD["points"][::8]:
        args = (p["noise_multiplier"], p["sample_rate"], p["steps"], p["delta"])
        eps = occam.privacy.epsilon(*args, accountant="pld")
        assert eps == pytest.approx(p["epsilon"], rel=0.01), p
        assert eps <= occam.privacy.epsilon(*args) * (1 + 1e-9)
    c = PLD["calibration"][0]
    s = occam.privacy.noise_multiplier(c["epsilon"], c["sample_rate"], c["steps"],
                                       c["delta"], accountant="pld")
    assert s == pytest.approx(c["noise_multiplier"], rel=0.01)


def test_dp_sgd_with_the_pld_accountant_needs_less_noise_for_the_same_epsilon():
    from helpers import table
    X, y = table("pima_indians_diabetes.csv")
    kw = dict(hidden=(8,), epochs=3, learning_rate=0.05, dp_epsilon=2.0)
    rdp = occam.MLPClassifier(**kw).fit(X, y).privacy_
    pld = occam.MLPClassifier(dp_accountant="pld", **kw).fit(X, y).privacy_
    assert (rdp["accountant"], pld["accountant"]) == ("rdp", "pld")
    assert pld["noise_multiplier"] < rdp["noise_multiplier"]
    assert 1.99 < pld["epsilon"] <= 2.0
    again = occam.privacy.epsilon(pld["noise_multiplier"], pld["sample_rate"], pld["steps"],
                                  1e-5, accountant="pld")
    assert again == pytest.approx(pld["epsilon"], rel=1e-12)


def test_noise_multiplier_equals_dp_accountings_calibration():
    for c in GRID["calibration"]:
        s = occam.privacy.noise_multiplier(c["epsilon"], c["sample_rate"], c["steps"],
                                           c["delta"])
        assert s == pytest.approx(c["noise_multiplier"], rel=1e-6), c


def test_the_command_line_prints_the_same_epsilon_last():
    out = subprocess.run(
        [occam_bin(), "privacy", "epsilon", "--noise-multiplier", "1.1", "--sample-rate",
         "0.004", "--steps", "15000", "--delta", "1e-5"],
        check=True, capture_output=True, text=True,
    ).stdout.strip().splitlines()
    assert out[-1].startswith("epsilon=")
    assert float(out[-1].split("=")[1]) == occam.privacy.epsilon(1.1, 0.004, 15000, 1e-5)


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="sample_rate"):
        occam.privacy.epsilon(1.0, 1.5, 10, 1e-5)
    with pytest.raises(ValueError, match="delta"):
        occam.privacy.epsilon(1.0, 0.1, 10, 0.0)
    with pytest.raises(ValueError, match="steps"):
        occam.privacy.epsilon(1.0, 0.1, 0, 1e-5)
    with pytest.raises(TypeError, match="steps"):
        occam.privacy.epsilon(1.0, 0.1, 10.5, 1e-5)
    with pytest.raises(ValueError, match="accountant"):
        occam.privacy.epsilon(1.0, 0.1, 10, 1e-5, accountant="prv")
    with pytest.raises(ValueError, match="dp_accountant"):
        from helpers import table
        X, y = table("pima_indians_diabetes.csv")
        occam.MLPClassifier(hidden=(4,), epochs=1, dp_epsilon=1.0,
                            dp_accountant="moments").fit(X, y)
    with pytest.raises(ValueError, match="epsilon"):
        occam.privacy.noise_multiplier(-1.0, 0.1, 10, 1e-5)


def test_dp_sgd_network_records_the_privacy_the_accountant_gives():
    from helpers import table
    X, y = table("pima_indians_diabetes.csv")
    m = occam.MLPClassifier(hidden=(8,), epochs=3, learning_rate=0.05, dp_epsilon=2.0,
                            dp_max_grad_norm=0.5).fit(X, y)
    p = m.privacy_
    # 768 rows in batches of 32 (no rows held out): 24 steps per epoch at rate 1/24
    assert (p["steps"], p["rows"], p["max_grad_norm"]) == (72, 768, 0.5)
    assert p["sample_rate"] == pytest.approx(1 / 24)
    assert p["target_epsilon"] == 2.0
    assert 1.98 < p["epsilon"] <= 2.0
    again = occam.privacy.epsilon(p["noise_multiplier"], p["sample_rate"], p["steps"], 1e-5)
    assert again == pytest.approx(p["epsilon"], rel=1e-12)
    assert m.predict_proba(X).shape == (768, 2)
    assert occam.MLPClassifier(hidden=(8,), epochs=1).fit(X, y).privacy_ is None
    s = occam.MLPRegressor(hidden=(4,), epochs=2, dp_noise_multiplier=1.0).fit(X, y)
    assert "target_epsilon" not in s.privacy_
    assert s.privacy_["noise_multiplier"] == 1.0 and s.privacy_["epsilon"] > 0


@pytest.mark.parametrize("kw,name", [
    (dict(dp_epsilon=1.0, dp_noise_multiplier=1.0), "dp_epsilon"),
    (dict(dp_epsilon=1.0, batch_norm=True), "batch_norm"),
    (dict(dp_delta=1e-5), "dp_delta"),
    (dict(dp_epsilon=-1.0), "dp_epsilon"),
])
def test_dp_sgd_refusals_name_the_parameter(kw, name):
    from helpers import table
    X, y = table("pima_indians_diabetes.csv")
    with pytest.raises(ValueError, match=name):
        occam.MLPClassifier(hidden=(4,), epochs=1, **kw).fit(X, y)
