"""Differential-privacy accounting for DP-SGD (Poisson sampling, Gaussian noise), with
``accountant="rdp"`` (default; equal to Google's dp-accounting ``RdpAccountant``: its order
grid and its RDP-to-(epsilon, delta) conversion) or ``accountant="pld"`` (the privacy loss
distribution, within 1% of dp-accounting's ``PLDAccountant`` and tighter than RDP); the same
numbers as ``occam privacy epsilon|noise``."""

import numbers

from . import _occam


def _check(name, value, kind):
    if isinstance(value, bool) or not isinstance(value, kind):
        want = "an integer" if kind is numbers.Integral else "a number"
        raise TypeError(f"{name}: expected {want}, got {type(value).__name__}")


def epsilon(noise_multiplier, sample_rate, steps, delta, accountant="rdp"):
    """The epsilon spent at ``delta`` by ``steps`` steps of DP-SGD whose batches are Poisson
    samples at ``sample_rate`` and whose summed clipped gradients get Gaussian noise of
    ``noise_multiplier`` times the clipping norm."""
    for name, v in (("noise_multiplier", noise_multiplier), ("sample_rate", sample_rate),
                    ("delta", delta)):
        _check(name, v, numbers.Real)
    _check("steps", steps, numbers.Integral)
    if steps < 1:
        raise ValueError(f"invalid value for steps: {steps}: must be at least 1")
    eps, _order = _occam.privacy_epsilon(float(noise_multiplier), float(sample_rate),
                                         int(steps), float(delta), accountant)
    return eps


def noise_multiplier(epsilon, sample_rate, steps, delta, accountant="rdp"):
    """The smallest noise multiplier whose guarantee after ``steps`` steps at ``sample_rate``
    is at most ``epsilon`` at ``delta``."""
    for name, v in (("epsilon", epsilon), ("sample_rate", sample_rate), ("delta", delta)):
        _check(name, v, numbers.Real)
    _check("steps", steps, numbers.Integral)
    if steps < 1:
        raise ValueError(f"invalid value for steps: {steps}: must be at least 1")
    return _occam.privacy_noise(float(epsilon), float(sample_rate), int(steps), float(delta),
                                accountant)
