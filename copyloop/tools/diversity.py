"""Text-only diversity and repetition metrics over lowercase word n-grams.

These catch the two ways a small model wastes a batch of variants: writing the same copy several times
(distinct-n, self-BLEU, n-gram overlap between siblings) and looping inside one text (repetition rate).
Embedding-based novelty lives elsewhere; these need no model and are exact, so they are cheap rewards.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from copyloop.tools.reward_inputs import completion_text
from copyloop.tools.words import words

Ngram = tuple[str, ...]


def tokens(text: str) -> list[str]:
    """Lowercase word tokens; punctuation and emoji are not words."""
    return [w.lower() for w in words(text)]


def ngrams(words: Sequence[str], n: int) -> list[Ngram]:
    """Every run of n consecutive words, in order (empty when there are fewer than n words)."""
    return [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]


def distinct_n(texts: Sequence[str], n: int) -> float:
    """Unique n-grams / total n-grams across the whole set: 1.0 when no phrase repeats anywhere.

    0.0 when the set holds no n-gram at all (nothing to be diverse with).
    """
    grams = [g for text in texts for g in ngrams(tokens(text), n)]
    return len(set(grams)) / len(grams) if grams else 0.0


def ngram_overlap(a: str, b: str, n: int = 3) -> float:
    """Jaccard similarity of the two texts' n-gram sets.

    Texts shorter than n words are compared on shorter n-grams, so two short headlines still compare.
    """
    words_a, words_b = tokens(a), tokens(b)
    n = max(1, min(n, len(words_a), len(words_b)))
    set_a, set_b = set(ngrams(words_a, n)), set(ngrams(words_b, n))
    union = set_a | set_b
    return len(set_a & set_b) / len(union) if union else 0.0


def self_bleu(texts: Sequence[str], max_n: int = 4) -> float:
    """Mean BLEU-4 of each text against all the others as references: 1.0 for identical texts, low for varied.

    Uses add-one smoothing for n > 1 (Lin & Och, 2004) so short copy with no shared 4-gram is not scored 0.
    0.0 for fewer than two texts.
    """
    tokenised = [tokens(t) for t in texts]
    if len(tokenised) < 2:
        return 0.0
    scores = [bleu(hyp, tokenised[:i] + tokenised[i + 1 :], max_n) for i, hyp in enumerate(tokenised)]
    return sum(scores) / len(scores)


def bleu(hypothesis: Sequence[str], references: Sequence[Sequence[str]], max_n: int = 4) -> float:
    """Sentence BLEU with clipped n-gram precision, brevity penalty to the closest reference, add-one smoothing."""
    if not hypothesis or not references:
        return 0.0
    log_precision = 0.0
    for n in range(1, max_n + 1):
        matched, total = _clipped_matches(hypothesis, references, n)
        if n == 1 and matched == 0:
            return 0.0
        smooth = 0 if n == 1 else 1
        log_precision += math.log((matched + smooth) / (total + smooth)) / max_n
    closest = min((abs(len(r) - len(hypothesis)), len(r)) for r in references)[1]
    brevity = 1.0 if len(hypothesis) >= closest else math.exp(1 - closest / len(hypothesis))
    return brevity * math.exp(log_precision)


def _clipped_matches(hypothesis: Sequence[str], references: Sequence[Sequence[str]], n: int) -> tuple[int, int]:
    """How many hypothesis n-grams occur in some reference (each counted at most as often as there), and of how many."""
    counts = Counter(ngrams(hypothesis, n))
    ceiling: Counter[Ngram] = Counter()
    for ref in references:
        ceiling |= Counter(ngrams(ref, n))
    return sum(min(c, ceiling[g]) for g, c in counts.items()), sum(counts.values())


def repetition_rate(text: str, n: int = 3) -> float:
    """Share of a text's n-grams that repeat an earlier one: 0.0 for fluent copy, high when the model loops."""
    grams = ngrams(tokens(text), n)
    return 1.0 - len(set(grams)) / len(grams) if grams else 0.0


def repetition_reward(prompts: Sequence[Any] | None, completions: Sequence[Any], **kw: Any) -> list[float]:
    """trl reward: 1 - repetition_rate, so a completion that loops earns less."""
    return [1.0 - repetition_rate(completion_text(c)) for c in completions]
