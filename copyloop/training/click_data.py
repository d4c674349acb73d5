"""Pairs of headlines from real A/B tests (Upworthy Research Archive), for training and checking the click model.

Only arms of the same test that share an image are compared: then the headline is the one thing that differs
and visitors were split at random, so the click-through difference is the headline's doing. Significance is
recomputed from impressions and clicks (a pooled two-proportion z-test): the archive's declared winners are
editors' calls and mostly not significant. Validation is the latest weeks, so the model is judged on tests it
could not have seen, as it would be in use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from copyloop.errors import CopyloopError

BUNDLED = Path(str(resources.files("copyloop") / "data" / "upworthy" / "upworthy_exploratory_train.parquet"))
COLUMNS = ("clickability_test_id", "headline", "impressions", "clicks", "test_week", "eyecatcher_id")
SIGNIFICANT_P = 0.05


@dataclass(frozen=True)
class HeadlinePairs:
    """Pairs (a, b) of arms from one test and image; `texts` holds each distinct headline once."""

    texts: list[str]
    a: np.ndarray  # index into texts
    b: np.ndarray
    log_ratio: np.ndarray  # log(CTR_a / CTR_b), smoothed
    variance: np.ndarray  # its sampling variance (delta method)
    z: np.ndarray  # two-proportion z statistic, positive when a's CTR is higher
    p_value: np.ndarray
    week: np.ndarray
    test: np.ndarray  # test id per pair, for bootstraps clustered by test

    def __len__(self) -> int:
        return len(self.a)

    @property
    def significant(self) -> np.ndarray:
        return self.p_value < SIGNIFICANT_P

    def subset(self, mask: np.ndarray) -> HeadlinePairs:
        """The pairs where `mask` is true (texts are shared, not copied)."""
        return HeadlinePairs(self.texts, self.a[mask], self.b[mask], self.log_ratio[mask], self.variance[mask],
                             self.z[mask], self.p_value[mask], self.week[mask], self.test[mask])


def load_arms(path: Path | None = None) -> pd.DataFrame:
    """The archive's arms with usable counts; a clear error for a missing file or column."""
    path = Path(path or BUNDLED)
    if not path.is_file():
        raise CopyloopError(f"A/B test data not found: {path}")
    arms = pd.read_parquet(path)
    missing = [c for c in COLUMNS if c not in arms.columns]
    if missing:
        raise CopyloopError(f"{path}: missing column(s) {', '.join(missing)}; need {', '.join(COLUMNS)}")
    arms = arms.loc[:, list(COLUMNS)].dropna(subset=["headline", "eyecatcher_id"])
    arms["headline"] = arms["headline"].str.strip()
    return arms[(arms.impressions > 0) & (arms.clicks >= 0) & (arms.clicks <= arms.impressions)
                & (arms.headline != "")].reset_index(drop=True)


def headline_pairs(arms: pd.DataFrame) -> HeadlinePairs:
    """Every pair of arms within one test and one image whose headlines differ."""
    texts: dict[str, int] = {}
    rows: list[tuple] = []
    for (test, _image), group in arms.groupby(["clickability_test_id", "eyecatcher_id"], sort=True):
        records = group.to_dict("records")
        for i in range(len(records)):
            for j in range(i + 1, len(records)):
                x, y = records[i], records[j]
                if x["headline"].casefold() == y["headline"].casefold():
                    continue
                a = texts.setdefault(x["headline"], len(texts))
                b = texts.setdefault(y["headline"], len(texts))
                rows.append((a, b, *_compare(x["clicks"], x["impressions"], y["clicks"], y["impressions"]),
                             int(x["test_week"]), str(test)))
    if not rows:
        raise CopyloopError("no pairs of differing headlines that share a test and an image")
    a, b, log_ratio, variance, z, p, week, test = (np.array(column) for column in zip(*rows, strict=True))
    return HeadlinePairs(list(texts), a.astype(int), b.astype(int), log_ratio.astype(float),
                         variance.astype(float), z.astype(float), p.astype(float), week.astype(int), test)


def _compare(clicks_a: int, shown_a: int, clicks_b: int, shown_b: int) -> tuple[float, float, float, float]:
    """Smoothed log CTR ratio with its variance, and the pooled two-proportion z-test."""
    ca, cb = clicks_a + 0.5, clicks_b + 0.5
    log_ratio = math.log(ca / (shown_a + 1)) - math.log(cb / (shown_b + 1))
    variance = 1 / ca - 1 / (shown_a + 1) + 1 / cb - 1 / (shown_b + 1)
    pooled = (clicks_a + clicks_b) / (shown_a + shown_b)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / shown_a + 1 / shown_b)) if 0 < pooled < 1 else 0.0
    z = (clicks_a / shown_a - clicks_b / shown_b) / spread if spread else 0.0
    return log_ratio, variance, z, math.erfc(abs(z) / math.sqrt(2))


def split_by_time(pairs: HeadlinePairs, validation_share: float = 0.2) -> tuple[HeadlinePairs, HeadlinePairs]:
    """Train on the earlier weeks, validate on the latest weeks holding about `validation_share` of the tests.

    Headlines are split too: a validation pair whose text also appears in training would flatter the model.
    """
    tests = pd.DataFrame({"test": pairs.test, "week": pairs.week}).drop_duplicates("test")
    cutoff = int(np.quantile(tests.week, 1 - validation_share))
    late = pairs.week >= cutoff
    seen = set(pairs.a[~late]) | set(pairs.b[~late])
    fresh = np.array([a not in seen and b not in seen for a, b in zip(pairs.a, pairs.b, strict=True)])
    return pairs.subset(~late), pairs.subset(late & fresh)
