"""Draft quality: a cheap score for picking the best of several sampled drafts before any critic runs.

It combines the same component scores the critics and rewards use, plus two small-model failure modes:
refusals ("I'm sorry, I can't…") and copy that never names the product.
"""

from __future__ import annotations

import re

from copyloop.brief import Brief
from copyloop.tools.channels import channel_spec
from copyloop.tools.cta import cta_room
from copyloop.tools.diversity import repetition_rate
from copyloop.tools.grounding import grounding_score, invented_facts, mentions_product
from copyloop.tools.scoring import combined_score
from copyloop.tools.sentiment import sentiment_fit, sentiment_score
from copyloop.tools.text_cleanup import length_fit

_REFUSAL = re.compile(
    r"\b(i'?m sorry|i am sorry|i apologi[sz]e|as an ai|i can(?:no|')t|i am unable|i'm unable|language model|"
    r"here (?:is|are) (?:a|an|the|some)|dear (?:customer|sir|madam|\w+ \w+,)|i hope this|let me know)\b",
    re.IGNORECASE,
)


def is_refusal(text: str) -> bool:
    """Whether the draft is the model talking about the task instead of doing it."""
    return bool(_REFUSAL.search(text))


def fits_with_cta(text: str, brief: Brief) -> float:
    """1 when the draft plus the shortest CTA fits the channel whole; the plain length fit, halved, otherwise."""
    spec = channel_spec(brief.channel)
    if spec.min_chars <= len(text) + cta_room(brief) <= spec.max_chars:
        return 1.0
    return 0.5 * length_fit(text, brief.channel)


def draft_components(text: str, brief: Brief) -> dict[str, float]:
    """Component scores of a raw draft, keyed like scoring.DEFAULT_WEIGHTS plus the draft-only terms."""
    return {
        "sentiment_fit": sentiment_fit(sentiment_score(text), brief.sentiment_band),
        "length_fit": fits_with_cta(text, brief),
        "grounding": grounding_score(text, brief),
        "compliance": 0.0 if invented_facts(text, brief) else 1.0,
        "on_topic": 1.0 if mentions_product(text, brief) else 0.0,
        "fluency": 1.0 - repetition_rate(text),
    }


DRAFT_WEIGHTS = {"sentiment_fit": 1.0, "length_fit": 1.0, "grounding": 1.0, "compliance": 1.0, "on_topic": 2.0,
                 "fluency": 1.0}


def draft_quality(text: str, brief: Brief) -> float:
    """How good a raw draft is, in [0, 1]; 0 for empty text or a refusal."""
    if not text.strip() or is_refusal(text):
        return 0.0
    return combined_score(draft_components(text, brief), DRAFT_WEIGHTS)
