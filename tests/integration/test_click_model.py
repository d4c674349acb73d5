"""The shipped click model on the real archive (MiniLM embeddings): the time split, its accuracy, a clear pair."""

from __future__ import annotations

import numpy as np
import pytest

from copyloop.tools.click_model import shipped_click_model
from copyloop.training.click_data import headline_pairs, load_arms, split_by_time
from copyloop.training.click_training import pairwise_accuracy


def test_time_split_keeps_validation_later_and_its_headlines_unseen() -> None:
    pairs = headline_pairs(load_arms())
    train, validation = split_by_time(pairs)
    assert train.week.max() < validation.week.min()
    seen = set(train.a) | set(train.b)
    assert not (set(validation.a) | set(validation.b)) & seen
    assert len(validation) > 1000 and validation.significant.sum() > 500


def test_shipped_model_reaches_its_stated_accuracy_on_held_out_weeks() -> None:
    model = shipped_click_model()
    _, validation = split_by_time(headline_pairs(load_arms()))
    significant = validation.subset(validation.significant)
    used = sorted(set(significant.a) | set(significant.b))
    scores = np.zeros(len(significant.texts))
    scores[used] = model.scores([significant.texts[i] for i in used])
    accuracy = pairwise_accuracy(scores, significant)
    stated = model.card["validation"]["significant"]
    assert accuracy == pytest.approx(stated["accuracy"], abs=1e-3)
    assert accuracy >= 0.65 and stated["low"] < accuracy < stated["high"] and stated["pairs"] == len(significant)


def test_headline_model_prefers_the_upworthy_style_winner_on_a_clear_pair() -> None:
    model = shipped_click_model()
    scores = model.scores(["You Won't Believe What This Teacher Did For Her Students",
                           "Report on school budget allocation, fiscal year 2013"])
    assert scores[0] > scores[1]
