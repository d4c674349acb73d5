"""Click model: pairs from A/B tests, significance, the model's arithmetic and files (the archive: integration)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from copyloop.errors import CopyloopError
from copyloop.tools.click_model import ClickModel, load_click_model
from copyloop.training.click_data import _compare, headline_pairs, load_arms


def arms(rows: list[tuple]) -> pd.DataFrame:
    columns = ["clickability_test_id", "headline", "impressions", "clicks", "test_week", "eyecatcher_id"]
    return pd.DataFrame(rows, columns=columns)


def test_pairs_only_within_one_test_and_one_image_with_different_headlines() -> None:
    pairs = headline_pairs(arms([
        ("t1", "A", 1000, 30, 201301, "img1"), ("t1", "B", 1000, 10, 201301, "img1"),
        ("t1", "C", 1000, 20, 201301, "img2"),  # other image: not compared with A or B
        ("t1", "a", 1000, 25, 201301, "img1"),  # same headline as A, case aside: not a headline test
        ("t2", "D", 1000, 20, 201302, "img1"),  # other test
    ]))
    compared = {frozenset((pairs.texts[a], pairs.texts[b])) for a, b in zip(pairs.a, pairs.b, strict=True)}
    assert compared == {frozenset("AB"), frozenset({"a", "B"})}
    first = next(i for i in range(len(pairs)) if {pairs.texts[pairs.a[i]], pairs.texts[pairs.b[i]]} == {"A", "B"})
    assert (pairs.z[first] > 0) == (pairs.texts[pairs.a[first]] == "A")


def test_significance_is_recomputed_from_counts() -> None:
    log_ratio, variance, z, p = _compare(120, 4000, 80, 4000)
    assert z == pytest.approx(2.87, abs=0.01)  # pooled two-proportion z for 3.0% vs 2.0%
    assert p == pytest.approx(math.erfc(abs(z) / math.sqrt(2)))
    assert log_ratio == pytest.approx(math.log(120.5 / 4001) - math.log(80.5 / 4001))
    assert variance > 0
    assert _compare(10, 1000, 10, 1000)[2] == 0.0


def test_bad_data_file_names_the_missing_columns(tmp_path) -> None:
    path = tmp_path / "tests.parquet"
    pd.DataFrame({"headline": ["x"], "clicks": [1]}).to_parquet(path)
    with pytest.raises(CopyloopError, match=r"missing column.*clickability_test_id"):
        load_arms(path)
    with pytest.raises(CopyloopError, match="not found"):
        load_arms(tmp_path / "absent.parquet")


def test_relative_ctr_and_win_probability_follow_score_differences() -> None:
    model = ClickModel(weights=np.zeros(384), ctr_slope=0.5)
    assert model.ctr_multiple(np.array([1.0, 0.0]), 0.0) == pytest.approx([math.exp(0.5), 1.0])
    assert model.win_probability(np.array([0.0, 2.0]), 0.0) == pytest.approx([0.5, 1 / (1 + math.exp(-2))])


def test_save_and_load_round_trip_and_broken_folders_say_so(tmp_path) -> None:
    model = ClickModel(weights=np.arange(384, dtype=float) / 384, ctr_slope=0.3, card={"note": "x"})
    model.save(tmp_path / "m")
    again = load_click_model(tmp_path / "m")
    assert again.ctr_slope == 0.3 and np.allclose(again.weights, model.weights, atol=1e-6)
    assert json.loads((tmp_path / "m" / "card.json").read_text())["note"] == "x"
    with pytest.raises(CopyloopError, match="missing or unreadable"):
        load_click_model(tmp_path / "nothing")
    np.save(tmp_path / "m" / "weights.npy", np.zeros(3))
    with pytest.raises(CopyloopError, match=r"shape \(3,\)"):
        load_click_model(tmp_path / "m")
