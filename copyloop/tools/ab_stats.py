"""Statistics of A/B/n tests on clicks, shared by the simulator and the live experiment service.

Arrays are shaped (tests, arms): impressions `shown` and `clicks`, so one call serves one live experiment or
thousands of simulated ones. Winners are declared by a mixture sequential probability ratio test (mSPRT,
Johari et al. 2017), whose error rate holds however often results are looked at; allocation by Thompson
sampling gives each arm the share of Beta-posterior draws it wins.
"""

from __future__ import annotations

import math

import numpy as np

ALPHA = 0.05
POSTERIOR_DRAWS = 64
MIXTURE_SD = 0.005  # mSPRT prior scale of CTR differences: half a percentage point
MIN_SHOWN = 1000  # no verdict before every arm has been shown this often (the normal approximation needs clicks)


def thompson_share(shown: np.ndarray, clicks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each arm's probability of being best under Beta(1 + clicks, 1 + misses), estimated by posterior draws."""
    draws = rng.beta(1 + clicks[..., None], 1 + (shown - clicks)[..., None],
                     size=(*shown.shape, POSTERIOR_DRAWS))
    wins = np.argmax(draws, axis=1)
    share = np.stack([(wins == arm).mean(axis=1) for arm in range(shown.shape[1])], axis=1)
    return share / share.sum(axis=1, keepdims=True)


def leader_significant(shown: np.ndarray, clicks: np.ndarray, alpha: float = ALPHA) -> np.ndarray:
    """Per test: the observed leader beats every other arm by mSPRT at level `alpha`, Bonferroni over all pairs."""
    threshold = shown.shape[1] * (shown.shape[1] - 1) / 2 / alpha
    rate = clicks / np.maximum(shown, 1)
    leader = np.argmax(rate, axis=1)
    rows = np.arange(len(shown))
    smoothed = (clicks + 1) / (shown + 2)  # keeps the variance honest while an arm has few or no clicks
    spread = smoothed * (1 - smoothed) / np.maximum(shown, 1)
    lead_rate = rate[rows, leader][:, None]
    variance = spread[rows, leader][:, None] + spread
    tau2 = MIXTURE_SD**2
    log_ratio = 0.5 * np.log(variance / (variance + tau2)) + \
        tau2 * (lead_rate - rate) ** 2 / (2 * variance * (variance + tau2))
    log_ratio[rows, leader] = np.inf
    return np.all(log_ratio >= math.log(threshold), axis=1) & np.all(shown >= MIN_SHOWN, axis=1)


def wilson_interval(successes: int, trials: int, z: float = 1.959964) -> tuple[float, float]:
    """95% Wilson score interval of a rate; (0, 1) before any trial. Honest at small counts, unlike p ± 1.96·se."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def beat_control(shown: np.ndarray, successes: np.ndarray, control: int, draws: int = 20_000,
                 seed: int = 0) -> np.ndarray:
    """Per arm: posterior probability its rate beats the control's, under Beta(1 + successes, 1 + failures).

    A fixed seed makes the figure reproducible between two reads of the same counts.
    """
    rng = np.random.default_rng(seed)
    samples = rng.beta(1 + successes[:, None], 1 + (shown - successes)[:, None], size=(len(shown), draws))
    return (samples > samples[control]).mean(axis=1)


def sample_ratio_pvalue(shown: np.ndarray, expected_share: np.ndarray) -> float:
    """Chi-square goodness-of-fit of the observed split against the intended one (1.0 when nothing shown).

    A tiny p-value (below 0.001) is a sample-ratio mismatch: assignment or logging is broken, results untrustworthy.
    """
    from scipy.stats import chi2

    total = float(shown.sum())
    if total == 0 or len(shown) < 2:
        return 1.0
    expected = expected_share / expected_share.sum() * total
    statistic = float((((shown - expected) ** 2) / np.maximum(expected, 1e-12)).sum())
    return float(chi2.sf(statistic, df=len(shown) - 1))
