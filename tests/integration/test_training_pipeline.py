"""Training-set selection on real scoring (MiniLM embeddings): the best candidates under every constraint; the
sweep plot (matplotlib)."""

from __future__ import annotations

from pathlib import Path

import pytest

from copyloop.training.config import SftConfig
from copyloop.training.sampling import Candidate
from copyloop.training.selection import ending, opening, select_targets
from copyloop.training.sweep import creativity_conversion, plot_sweep, sibling_scores


def test_selection_keeps_the_best_under_every_constraint() -> None:
    texts = ["Cold water on every trail.", "Cold water on every trail!", "A bottle that goes the distance.",
             "Cold water on every trail, all day.", "Lamp light for late readers.", "", "Weak draft."]
    groups = [0, 0, 0, 1, 1, 1, 1]
    rewards = [0.9, 0.89, 0.7, 0.95, 0.8, 0.99, 0.3]
    cfg = SftConfig(keep_per_brief=2, min_reward=0.5, max_similarity=0.9, max_opening_share=1.0)
    kept = select_targets(texts, groups, rewards, cfg)
    assert kept == [3, 0, 4, 2]  # best first; blank, weak and the near-twin #1 are out
    one_opening = select_targets(texts, groups, rewards, cfg.model_copy(update={"max_opening_share": 0.25}))
    assert [opening(texts[i]) for i in one_opening].count("cold water on") == 1
    assert select_targets([], [], [], cfg) == []


def test_selection_caps_a_shared_ending_like_one_call_to_action() -> None:
    texts = [f"{thing} for every day. Get yours today." for thing in ("A bottle", "A lamp", "A tent", "A mug")]
    texts.append("A stool that folds flat. Shop now.")
    cfg = SftConfig(keep_per_brief=1, min_reward=0.0, max_opening_share=0.4)  # cap: int(0.4 * 5) = 2
    kept = select_targets(texts, [0, 1, 2, 3, 4], [0.9, 0.8, 0.7, 0.6, 0.1], cfg)
    assert kept == [0, 1, 4]
    assert [ending(texts[i]) for i in kept] == ["get yours today", "get yours today", "flat shop now"]


def test_polished_candidates_share_their_sample_sibling_score() -> None:
    prompt = [{"role": "user", "content": "x"}]
    candidates = [Candidate(0, prompt, "Cold water on every trail.", "sample", 0),
                  Candidate(0, prompt, "Cold water on every trail. Shop now.", "polished", 0),
                  Candidate(0, prompt, "Cold water on every trail!", "sample", 1),
                  Candidate(1, prompt, "A lamp for late readers.", "sample", 0)]
    scores = sibling_scores(candidates)
    assert scores[0] == scores[1] < 0.1  # its twin sample #2 is a near-duplicate; its own polish is not counted
    assert scores[3] == 1.0  # alone in its brief


def test_sweep_plot_is_written(tmp_path: Path) -> None:
    point = {"novelty": 0.6, "sibling_diversity": 0.4, "cta": 0.5, "sentiment_fit": 0.9, "grounding": 0.4}
    assert creativity_conversion(point) == (pytest.approx(0.5), pytest.approx(0.6))
    points = {"base": point, "0.2": {**point, "novelty": 0.8}, "0.8": {**point, "cta": 0.9}}
    plot_sweep(points, tmp_path / "sweep.png")
    assert (tmp_path / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
