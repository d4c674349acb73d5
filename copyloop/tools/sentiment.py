"""Sentiment scoring against a brief's target band, with feedback and a last-resort repair.

VADER is used because it is fast, deterministic and explainable: its lexicon tells us which words push a
score up or down, so feedback can name them and the repair can remove them. The one scoring function
(`sentiment_score`) is shared by the agents, the fine-tuning reward and evaluation.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from vaderSentiment.vaderSentiment import BOOSTER_DICT, NEGATE, SentimentIntensityAnalyzer

from copyloop.brief import SENTIMENT_BANDS, Brief
from copyloop.tools.channels import channel_spec
from copyloop.tools.reward_inputs import brief_field, completion_text, sample_values
from copyloop.tools.words import split_sentences

Band = tuple[float, float]

FIT_TOLERANCE = 0.2  # sentiment_fit falls to 1/e this far outside the band
MAX_GROWTH = 40  # nudge_into_band may lengthen text by at most this many characters
_MAX_STEPS = 25
_EPS = 1e-9

# Short, grammatical, neutral-to-positive sentences nudge_into_band may add to copy that reads too cold.
# Copy with a brief gets the brief's own (composer.benefit_sentences); readers cut "Made to enjoy" as filler.
BENEFIT_CLAUSES: tuple[str, ...] = (
    "Easy to love.",
    "A simple, smart choice.",
    "Smart, simple, and easy to enjoy.",
)
_SUGGESTED_BENEFITS = ("comfortable", "easy to use")

# Milder stand-ins: swapping one word keeps the sentence grammatical, unlike deleting it.
_SOFTER_POSITIVE = {
    "amazing": "good", "awesome": "good", "fantastic": "good", "fabulous": "nice", "wonderful": "nice",
    "excellent": "good", "perfect": "good", "best": "top", "greatest": "top", "great": "good", "love": "like",
    "adore": "like", "thrilled": "glad", "delighted": "glad", "ecstatic": "happy", "beautiful": "nice",
    "gorgeous": "attractive", "brilliant": "smart", "outstanding": "solid", "superb": "fine", "magnificent": "fine",
    "marvelous": "nice", "terrific": "good", "lovely": "nice", "happy": "glad", "delicious": "tasty",
    "remarkable": "notable", "stunning": "striking", "good": "fine", "nice": "fine",
}  # fmt: skip
_SOFTER_NEGATIVE = {
    "problem": "task", "problems": "tasks", "worry": "think", "worries": "questions", "trouble": "fuss",
    "stress": "fuss", "struggle": "effort", "struggles": "efforts", "pain": "chore", "pains": "chores",
    "mess": "spill", "boring": "plain", "dull": "plain", "bad": "basic", "annoying": "fussy", "frustrating": "fiddly",
    "difficult": "tricky", "weak": "basic", "sad": "plain",
}  # fmt: skip
# Boosters VADER counts that can be deleted without breaking a sentence ('learn more' needs its 'more').
_DELETABLE_BOOSTERS = frozenset(w for w, v in BOOSTER_DICT.items() if v > 0 and " " not in w) - {"more", "most"}
_DETERMINERS = frozenset({"a", "an", "the", "our", "your", "this", "these", "its", "their", "my", "his", "her"})
_PREPOSITIONS = frozenset({"of", "to", "with", "about", "for", "from", "by", "in", "on", "at"})
_NEGATIONS = frozenset(NEGATE) | {"no"}

_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_BANG_RUN = re.compile(r"!{2,}")
_SPACES = re.compile(r"[ \t]{2,}")
_SPACE_BEFORE = re.compile(r"\s+([,.!?;:])")
_ORPHAN_COMMA = re.compile(r"(^|[.!?]\s+),\s*|,(\s*[,.!?])")
_ARTICLE = re.compile(r"\b([Aa])(n?)\s+(\w)")


@cache
def analyzer() -> SentimentIntensityAnalyzer:
    """One VADER analyzer per process: loading its lexicon is the slow part."""
    return SentimentIntensityAnalyzer()


def sentiment_score(text: str) -> float:
    """VADER compound score in [-1, 1]; 0.0 for blank text."""
    return float(analyzer().polarity_scores(text)["compound"]) if text.strip() else 0.0


def as_band(band: Any) -> Band:
    """A band as (min, max) from a tuple/list, a {'min','max'} mapping or a named band ('calm', 'positive')."""
    if isinstance(band, str):
        if band not in SENTIMENT_BANDS:
            raise ValueError(f"unknown sentiment band {band!r}; use one of {sorted(SENTIMENT_BANDS)}")
        band = SENTIMENT_BANDS[band]
    if isinstance(band, Mapping):
        band = (band["min"], band["max"])
    low, high = (float(v) for v in band)
    if not -1.0 <= low <= high <= 1.0:
        raise ValueError(f"band {band!r} must satisfy -1 <= min <= max <= 1")
    return low, high


def brief_band(brief: Any) -> Band:
    """The band a brief asks for (a Brief, mapping or JSON string): its own, else its channel's default."""
    if isinstance(brief, Brief):
        return as_band(brief.sentiment_band)
    target = brief_field(brief, "target_sentiment")
    return as_band(target) if target is not None else as_band(channel_spec(brief_field(brief, "channel")).sentiment)


def band_distance(score: float, band: Any) -> float:
    """0 inside the band, else how far the score is from the nearest edge."""
    low, high = as_band(band)
    return max(low - score, score - high, 0.0)


def sentiment_fit(score: float, band: Any, tolerance: float = FIT_TOLERANCE) -> float:
    """1.0 inside the band, decaying exponentially outside it (a smooth reward, never exactly 0)."""
    return math.exp(-band_distance(score, band) / tolerance)


def in_band(text: str, band: Any) -> bool:
    """Whether the text's score lies inside the band."""
    return band_distance(sentiment_score(text), band) == 0.0


# --- which words drive the score ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Driver:
    """A word, emoji or '!' run and how much the score falls when it is removed (>0: it pushes the score up)."""

    token: str
    effect: float


def sentiment_drivers(text: str) -> list[Driver]:
    """Every lexicon word, negation, booster, emoji and '!' in the text, with its measured effect on the score.

    Effects are measured by removing each one and re-scoring, so negation ('never tired') and boosters are
    accounted for the way VADER itself sees them. Sorted from most positive to most negative.
    """
    base = sentiment_score(text)
    drivers = []
    for token, spans in _candidate_spans(text).items():
        without = _remove_spans(text, spans)
        drivers.append(Driver(token, round(base - sentiment_score(without), 4)))
    if "!" in text:
        drivers.append(Driver(_bang_label(text), round(base - sentiment_score(text.replace("!", ".")), 4)))
    return sorted((d for d in drivers if abs(d.effect) >= 0.005), key=lambda d: -d.effect)


def _candidate_spans(text: str) -> dict[str, list[tuple[int, int]]]:
    """Spans of the tokens VADER reacts to, grouped by lowercase token."""
    lexicon, emojis = analyzer().lexicon, analyzer().emojis
    spans: dict[str, list[tuple[int, int]]] = {}
    for match in _TOKEN.finditer(text):
        word = match.group().lower().replace("’", "'")
        if word in lexicon or word in _NEGATIONS or word in BOOSTER_DICT:
            spans.setdefault(word, []).append(match.span())
    for i, ch in enumerate(text):
        if ch in emojis:
            spans.setdefault(ch, []).append((i, i + 1))
    return spans


def _bang_label(text: str) -> str:
    runs = _BANG_RUN.findall(text)
    return max(runs, key=len) if runs else "!"


# --- feedback ----------------------------------------------------------------------------------------------


def sentiment_feedback(text: str, band: Any, benefits: Sequence[str] = ()) -> str | None:
    """None when the text is in band; else revision advice naming the words that drive the score.

    `benefits` (e.g. the brief's features) gives the model something concrete to lead with.
    """
    low, high = as_band(band)
    score = sentiment_score(text)
    if low <= score <= high:
        return None
    where = f"score {score:.2f}, target {low:.2f}–{high:.2f}"
    drivers = sentiment_drivers(text)
    if score > high:
        names = _quoted(dict.fromkeys([d.token for d in drivers if d.effect > 0] + _intensifiers(text)), limit=4)
        cut = f"cut or tone down {names}" if names else "tone down the praise"
        return f"Too gushing ({where}): {cut}; state one plain product fact instead of praise."
    benefit = _benefit_hint(benefits)
    names = _quoted(d.token for d in reversed(drivers) if d.effect < 0)
    if names:
        return f"Too negative ({where}): drop or soften {names}; lead with a benefit such as {benefit}."
    return f"Too flat ({where}): no word carries any feeling; lead with a benefit such as {benefit}."


def _intensifiers(text: str) -> list[str]:
    """Hype adverbs in the text even where VADER gives them no weight: the model should still cut them."""
    return [m.group().lower() for m in _TOKEN.finditer(text) if m.group().lower() in _DELETABLE_BOOSTERS]


def _quoted(tokens: Iterable[str], limit: int = 3) -> str:
    return ", ".join(f"'{t}'" for t in list(tokens)[:limit])


def _benefit_hint(benefits: Sequence[str]) -> str:
    picks = [f"'{b.strip()}'" for b in benefits if b.strip()][:2] or [f"'{b}'" for b in _SUGGESTED_BENEFITS]
    return picks[0] if len(picks) == 1 else f"{', '.join(picks[:-1])} or {picks[-1]}"


# --- last-resort repair ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Edit:
    """A candidate rewrite; lower rank = safer edit, tried first."""

    rank: int
    text: str


def nudge_into_band(text: str, band: Any, benefits: Sequence[str] | None = None) -> str:
    """Deterministically edit text until its score is in band, after the model's own revisions failed.

    Too high: drop extra '!', positive emoji and intensifiers, soften superlatives, then drop gushing words
    or a sentence. Too low: drop negative emoji or a negative sentence, soften negative words, then add a
    short benefit sentence (from `benefits` when given, else BENEFIT_CLAUSES). Each step keeps the safest edit that
    moves the score closer to the band; the result is the closest text found, never empty and never more
    than MAX_GROWTH characters longer than the input.
    """
    low, high = as_band(band)
    current, distance = text, band_distance(sentiment_score(text), (low, high))
    clauses = tuple(benefits) if benefits else BENEFIT_CLAUSES
    for _ in range(_MAX_STEPS):
        if distance == 0.0:
            break
        too_high = sentiment_score(current) > high
        edits = _gushing_edits(current) if too_high else _negative_edits(current, clauses)
        best = _best_edit(edits, (low, high), distance, len(text) + MAX_GROWTH)
        if best is None:
            break
        current, distance = best
    return current


def _best_edit(edits: Iterable[_Edit], band: Band, distance: float, max_len: int) -> tuple[str, float] | None:
    """The lowest-rank edit that gets closer to the band; within a rank, the one that gets closest."""
    best: tuple[int, float, str] | None = None
    for edit in edits:
        if not re.search(r"[A-Za-z]", edit.text) or len(edit.text) > max_len:
            continue
        new = band_distance(sentiment_score(edit.text), band)
        if new < distance - _EPS and (best is None or (edit.rank, new) < best[:2]):
            best = (edit.rank, new, edit.text)
    return None if best is None else (best[2], best[1])


def _gushing_edits(text: str) -> Iterable[_Edit]:
    yield from _bang_edits(text)
    yield from _emoji_edits(text, lambda effect: effect > 0)
    yield from _word_edits(text, 1, lambda w, v: w in _DELETABLE_BOOSTERS, lambda w: "", adverb=True)
    yield from _word_edits(text, 2, lambda w, v: w in _SOFTER_POSITIVE, _SOFTER_POSITIVE.get)
    yield from _word_edits(text, 3, lambda w, v: v > 0, lambda w: "", attributive_only=True)
    yield from _sentence_drops(text, 4, ())


def _negative_edits(text: str, clauses: Sequence[str]) -> Iterable[_Edit]:
    yield from _emoji_edits(text, lambda effect: effect < 0)
    yield from _sentence_drops(text, 1, clauses)
    yield from _word_edits(text, 2, lambda w, v: w in _SOFTER_NEGATIVE, _SOFTER_NEGATIVE.get)
    yield from _word_edits(text, 3, lambda w, v: v < 0 and w not in _NEGATIONS, lambda w: "", attributive_only=True)
    yield from _clause_edits(text, clauses, 4)


def _bang_edits(text: str) -> Iterable[_Edit]:
    """Shrink one '!!!' run to '!', or turn one '!' into '.'."""
    for match in _BANG_RUN.finditer(text):
        yield _Edit(0, text[: match.start()] + "!" + text[match.end() :])
    for i, ch in enumerate(text):
        if ch == "!":
            yield _Edit(0, _patch(text[:i] + "." + text[i + 1 :]))


def _emoji_edits(text: str, wanted: Callable[[float], bool]) -> Iterable[_Edit]:
    emojis, base = analyzer().emojis, sentiment_score(text)
    for i, ch in enumerate(text):
        if ch in emojis:
            candidate = _patch(_remove_spans(text, [(i, i + 1)]))
            if wanted(base - sentiment_score(candidate)):
                yield _Edit(0, candidate)


def _word_edits(
    text: str,
    rank: int,
    pick: Callable[[str, float], bool],
    replace: Callable[[str], str | None],
    attributive_only: bool = False,
    adverb: bool = False,
) -> Iterable[_Edit]:
    """Replace (or delete, when the replacement is '') each picked word occurrence, one at a time.

    Picked words are adjectives unless `adverb`: deleting an adjective from a list also deletes its comma.
    """
    lexicon = analyzer().lexicon
    tokens = list(_TOKEN.finditer(text))
    for i, match in enumerate(tokens):
        word = match.group().lower()
        if not pick(word, lexicon.get(word, 0.0)):
            continue
        if attributive_only and not _is_attributive(text, tokens, i):
            continue
        new = replace(word) or ""
        neighbours = {t.group().lower() for t in tokens[max(i - 1, 0) : i + 2]}
        yield _Edit(rank, _replace_word(text, match, "" if new in neighbours else new, in_list=not adverb))


def _is_attributive(text: str, tokens: list[re.Match[str]], i: int) -> bool:
    """Whether deleting the word leaves a sentence: it sits between a determiner (or a listed adjective) and a noun.

    'our amazing coffee', 'terrible, awful headphones' qualify; 'Stop wasting money' and 'tired of' do not.
    """
    if i == 0 or i + 1 >= len(tokens) or tokens[i + 1].group().lower() in _PREPOSITIONS:
        return False
    if text[tokens[i].end() : tokens[i + 1].start()].strip():
        return False
    gap = text[tokens[i - 1].end() : tokens[i].start()]
    prev = tokens[i - 1].group().lower()
    listed = gap.strip() == "," and analyzer().lexicon.get(prev, 0.0) != 0.0
    return listed or (not gap.strip() and prev in _DETERMINERS)


def _sentence_drops(text: str, rank: int, added: Sequence[str]) -> Iterable[_Edit]:
    """Drop one whole sentence: loses content but never grammar. Never leaves only a sentence we added."""
    sentences = split_sentences(text)
    added_keys = {a.strip().lower().rstrip(".!?") for a in added}
    if len(sentences) < 2:
        return
    for i in range(len(sentences)):
        rest = sentences[:i] + sentences[i + 1 :]
        if any(r.lower().rstrip(".!?") not in added_keys for r in rest):
            yield _Edit(rank, " ".join(rest))


def _clause_edits(text: str, clauses: Sequence[str], rank: int) -> Iterable[_Edit]:
    """Append or prepend one short benefit sentence (only one: a second reads like filler)."""
    if any(c.strip() and c.strip().lower() in text.lower() for c in clauses):
        return
    body = text.rstrip()
    if body and not re.search(r"[.!?…][\"'”’)]*$", body):
        body += "."
    for clause in clauses:
        clause = clause.strip()
        if clause:
            clause = clause if re.search(r"[.!?]$", clause) else clause + "."
            clause = clause[0].upper() + clause[1:]
            yield _Edit(rank, f"{body} {clause}")
            yield _Edit(rank + 1, f"{clause} {text.lstrip()}")


def _replace_word(text: str, match: re.Match[str], new: str, in_list: bool = False) -> str:
    """Swap one word, keeping its capitalisation, then repair spacing, commas and 'a'/'an' around it.

    in_list: the word may sit in a comma-separated list of adjectives ('soft, cozy, warm socks'); deleting
    it also deletes the comma that joined it to the list.
    """
    old = match.group()
    if new and old[0].isupper():
        new = new[0].upper() + new[1:]
    start, end = match.span()
    if not new and in_list:
        after = re.match(r"\s*,(?=\s*\w)", text[end:])
        before = re.search(r"(?<=\w),\s*$", text[:start])
        if after:
            end += after.end()
        elif before:
            start = before.start()
    edited = text[:start] + new + text[end:]
    if not new:
        edited = _capitalise_at(edited, start)
    edited = _fix_article_before(edited, start)
    return _patch(edited)


def _capitalise_at(text: str, start: int) -> str:
    """After deleting a sentence's first word, capitalise the word that now opens it."""
    if re.search(r"(?:^|[.!?]\s*)$", text[:start]):
        rest = text[start:].lstrip(" ,")
        head = text[:start]
        return head + rest[:1].upper() + rest[1:]
    return text


def _fix_article_before(text: str, start: int) -> str:
    """'an amazing mug' minus 'amazing' must read 'a mug'."""
    window_start = max(0, start - 4)
    match = _ARTICLE.search(text, window_start)
    if not match or match.start() > start or match.end() <= start:
        return text
    article = "an" if match.group(3).lower() in "aeiou" else "a"
    article = article.capitalize() if match.group(1).isupper() else article
    return text[: match.start()] + f"{article} {match.group(3)}" + text[match.end() :]


def _patch(text: str) -> str:
    """Mend what a deletion leaves behind: double spaces, space before punctuation, orphan commas."""
    text = _SPACES.sub(" ", text)
    text = _SPACE_BEFORE.sub(r"\1", text)
    text = _ORPHAN_COMMA.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2).strip(), text)
    return text.strip()


def _remove_spans(text: str, spans: Sequence[tuple[int, int]]) -> str:
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + text[end:]
    return text


# --- reward ------------------------------------------------------------------------------------------------


def sentiment_reward(
    prompts: Sequence[Any] | None, completions: Sequence[Any], briefs: Sequence[Any] | None = None, **kw: Any
) -> list[float]:
    """trl reward: sentiment_fit of each completion against its band.

    The band comes from a `target_sentiment` dataset column, else the brief's own, else its channel's default.
    """
    n = len(completions)
    targets = sample_values("target_sentiment", n, briefs, kw)
    channels = sample_values("channel", n, briefs, kw)
    bands = [
        as_band(t) if t is not None else as_band(channel_spec(ch).sentiment)
        for t, ch in zip(targets, channels, strict=True)
    ]
    return [sentiment_fit(sentiment_score(completion_text(c)), b) for c, b in zip(completions, bands, strict=True)]
