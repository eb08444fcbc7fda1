"""occam.privacy: the RDP accountant equals Google's dp-accounting (the fixture of
crates/occam-nn/tests/fixtures/dp_accounting, made by gen_dp.py there) over its 78 settings,
its calibration gives the same noise, the command line prints the same epsilon on its last
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
    with pytest.raises(ValueError, match="epsilon"):
        occam.privacy.noise_multiplier(-1.0, 0.1, 10, 1e-5)
