"""Text-only diversity metrics: distinct-n, self-BLEU, n-gram overlap, repetition."""

from __future__ import annotations

import math

import pytest

from copyloop.tools.diversity import (
    bleu,
    distinct_n,
    ngram_overlap,
    ngrams,
    repetition_rate,
    repetition_reward,
    self_bleu,
    tokens,
)

IDENTICAL = ["Wake up to better coffee today."] * 4
# what SmolLM2 produces when sampling collapses: the same line with a word swapped
NEAR_DUPLICATES = [
    "Wake up to better coffee today.",
    "Wake up to better coffee every day.",
    "Wake up to better coffee this morning.",
    "Wake up to richer coffee today.",
]
VARIED = [
    "Wake up to better coffee today.",
    "Bold beans, roasted fresh every week.",
    "Your mornings deserve a richer cup.",
    "Small-batch flavor delivered to your door.",
]


def test_tokens_are_lowercase_words_without_punctuation_or_emoji() -> None:
    assert tokens("Wake UP, it's coffee ☕ time! $29.99") == ["wake", "up", "it's", "coffee", "time", "29", "99"]
    assert ngrams(["a", "b", "c"], 2) == [("a", "b"), ("b", "c")]
    assert ngrams(["a"], 2) == []


def test_distinct_n_orders_identical_near_duplicate_and_varied_sets() -> None:
    for n in (1, 2, 3):
        assert distinct_n(IDENTICAL, n) < distinct_n(NEAR_DUPLICATES, n) < distinct_n(VARIED, n)
    assert distinct_n(VARIED, 2) == 1.0
    assert distinct_n(IDENTICAL, 2) == pytest.approx(0.25)  # 5 unique bigrams out of 20


def test_distinct_n_edge_cases() -> None:
    assert distinct_n([], 2) == 0.0
    assert distinct_n(["Shop"], 2) == 0.0
    assert 0.0 < distinct_n(["a b a b"], 2) < 1.0


def test_self_bleu_orders_identical_near_duplicate_and_varied_sets() -> None:
    identical, near, varied = self_bleu(IDENTICAL), self_bleu(NEAR_DUPLICATES), self_bleu(VARIED)
    assert identical == pytest.approx(1.0)
    assert identical > near > varied
    assert near > 0.4
    assert varied < 0.3


def test_self_bleu_needs_two_texts() -> None:
    assert self_bleu([]) == 0.0
    assert self_bleu(["Only one variant."]) == 0.0


def test_bleu_matches_a_hand_computed_value() -> None:
    hyp = tokens("the cat sat on the mat")
    ref = tokens("the cat sat on a mat")
    # clipped precisions 5/6, then add-one smoothed 4/6, 3/5, 2/4; equal lengths so no brevity penalty
    expected = (5 / 6 * 4 / 6 * 3 / 5 * 2 / 4) ** 0.25
    assert bleu(hyp, [ref]) == pytest.approx(expected)


def test_bleu_brevity_penalty_and_no_overlap() -> None:
    ref = tokens("soft merino socks keep feet warm")
    short = tokens("soft merino socks")
    assert bleu(short, [ref]) < bleu(ref, [ref]) == pytest.approx(1.0)
    assert bleu(short, [ref]) == pytest.approx(math.exp(1 - 6 / 3))
    assert bleu(tokens("bold beans"), [ref]) == 0.0
    assert bleu([], [ref]) == 0.0


def test_bleu_clips_repeated_words() -> None:
    # 'the the the' must not earn credit three times for one 'the' in the reference
    assert bleu(tokens("the the the"), [tokens("the cat")]) < 0.5


def test_ngram_overlap() -> None:
    a = "Wake up to better coffee today"
    assert ngram_overlap(a, a) == 1.0
    assert ngram_overlap(a, "Bold beans roasted fresh every week") == 0.0
    b = "Wake up to better tea today"
    assert ngram_overlap(a, b) == ngram_overlap(b, a) == pytest.approx(2 / 6)
    assert ngram_overlap("Shop now", "Shop now") == 1.0  # shorter than n: compared on shorter n-grams
    assert ngram_overlap("", "") == 0.0


def test_repetition_rate_flags_model_loops() -> None:
    looped = "Stay warm and cozy, stay warm and cozy, stay warm and cozy all winter long."
    fluent = "Stay warm and cozy all winter long in soft merino wool."
    assert repetition_rate(fluent) == 0.0
    assert repetition_rate(looped) > 0.4
    assert repetition_rate("Shop now") == 0.0


def test_repetition_reward_is_one_minus_the_rate() -> None:
    looped = "Buy now buy now buy now buy now"
    rewards = repetition_reward(None, ["Fresh beans, roasted weekly.", [{"role": "assistant", "content": looped}]])
    assert rewards[0] == 1.0
    assert rewards[1] == pytest.approx(1.0 - repetition_rate(looped))
    assert rewards[1] < 0.5
