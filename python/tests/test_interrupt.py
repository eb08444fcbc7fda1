"""Ctrl-C interrupts a long fit: the network between optimizer steps, the linear path and its
cross-validation between lambdas. The fit stops within seconds with KeyboardInterrupt (the
interpreter lock is released meanwhile, so the signal is seen at once)."""

import signal
import subprocess
import sys
import time

import pytest

SETUP = (
    # A shell that starts a job in the background makes it ignore SIGINT, and Python keeps
    # an ignored SIGINT ignored: the child installs Python's own handler explicitly.
    "import signal; signal.signal(signal.SIGINT, signal.default_int_handler)\n"
    "import sys, numpy as np, occam\n"
    "rng = np.random.default_rng(0)\n"
    "X = rng.normal(size=(2000, 3000)); y = X[:, :20].sum(1) + rng.normal(size=2000)\n"
)
FITS = {
    # Each runs for tens of seconds uninterrupted on two cores.
    "mlp": "occam.MLPRegressor(hidden=(256, 256), epochs=100000).fit(X, y)",
    "path": "occam.ElasticNet(l1_ratio=0.5, lambda_min_ratio=1e-4, tol=1e-12).fit(X, y)",
    "cv": "occam.ElasticNetCV(l1_ratio=0.5, lambda_min_ratio=1e-4, tol=1e-12).fit(X, y)",
}


@pytest.mark.parametrize("fit", sorted(FITS))
def test_ctrl_c_interrupts_a_long_fit(fit):
    code = (
        SETUP
        + "print('fitting', flush=True)\n"
        + "try:\n"
        + f"    {FITS[fit]}\n"
        + "except KeyboardInterrupt:\n"
        + "    print('interrupted', flush=True); sys.exit(3)\n"
        + "print('finished', flush=True)\n"
    )
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "fitting"
    time.sleep(1.5)
    t0 = time.monotonic()
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=60)
    assert p.returncode == 3 and "interrupted" in out, out
    assert time.monotonic() - t0 < 5.0
