"""Openings and stock closings that siblings should not share.

Four variants that all start "Meet the Polo Shirt." and end "You'll love the Polo Shirt." read as one template
to a marketer, and every repeat is words the A/B test cannot learn from. The ways to introduce a product are
interchangeable (rules/composer.yaml `openings`): a text opening like an earlier sibling takes, of those no
sibling uses, the one the click model expects to draw the most clicks (the form changes, the facts do not).
Stock closings (`stock_closings`, "You'll love it.") say nothing of the product: only the first sibling to have
one keeps it; a later one says a fact of the brief it does not say yet in its place, or drops it. Sentence frames that
stand in for each other (`sentence_frames`: "It also …", "Plus, it …") vary the same way, each sentence taking the
first of its set no sibling uses. Any change is kept only where the caller's check accepts the new text, so varying
never costs a variant.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import NamedTuple

from copyloop.brief import Brief
from copyloop.tools.click_model import shipped_click_model
from copyloop.tools.facts import composer_rules
from copyloop.tools.finishing import in_market_spelling, unsaid_fact_sentences, without_title_article
from copyloop.tools.grounding import phrase_regex
from copyloop.tools.rulebook import rule_cache
from copyloop.tools.sense.context import name_forms
from copyloop.tools.words import split_sentences

NAME_SLOT = "{name}"


@rule_cache
def opening_forms() -> tuple[str, ...]:
    """The interchangeable openings, each with the {name} slot."""
    return tuple(str(o) for o in composer_rules().get("openings") or () if NAME_SLOT in str(o))


REST_SLOT = "{rest}"


class Frame(NamedTuple):
    """A sentence frame ("Plus, it {rest}") and the pattern that takes a whole sentence in it."""

    form: str
    pattern: re.Pattern[str]

    def said(self, rest: str) -> str:
        return self.form.replace(REST_SLOT, rest) + "."


@rule_cache
def frame_sets() -> tuple[tuple[Frame, ...], ...]:
    """Each set of interchangeable sentence frames (rules/composer.yaml `sentence_frames`)."""
    sets = []
    for forms in composer_rules().get("sentence_frames") or ():
        frames = []
        for form in (str(f) for f in forms if REST_SLOT in str(f)):
            before, after = form.split(REST_SLOT, 1)
            frames.append(Frame(form, re.compile(re.escape(before) + r"(?P<rest>[^.!?]+?)" + re.escape(after)
                                                 + r"[.!]")))
        sets.append(tuple(frames))
    return tuple(sets)


def _frames_used(text: str) -> set[str]:
    return {f.form for s in split_sentences(text) for group in frame_sets() for f in group if f.pattern.fullmatch(s)}


def _names_regex(brief: Brief) -> str:
    names = sorted(name_forms(brief), key=len, reverse=True)
    return "(?P<name>" + "|".join(phrase_regex(n) for n in names) + ")"


def _opening_pattern(form: str, brief: Brief) -> re.Pattern[str]:
    before, after = form.split(NAME_SLOT, 1)
    lead = re.escape(before).replace(re.escape("the "), "(?:the )?")  # a book's title goes without it
    return re.compile(lead + _names_regex(brief) + re.escape(after) + r"(?=[.,:;!?]|\s+-|\s*$)", re.IGNORECASE)


def opening_of(text: str, brief: Brief) -> tuple[str, re.Match[str]] | None:
    """Which interchangeable opening the text starts with, and where it ends."""
    for form in opening_forms():
        if match := _opening_pattern(form, brief).match(text):
            return form, match
    return None


def _stock_closing_pattern(brief: Brief) -> re.Pattern[str] | None:
    names = _names_regex(brief).replace("?P<name>", "")
    closings = composer_rules().get("stock_closings") or ()
    forms = [re.escape(str(c)).replace(re.escape(NAME_SLOT), names) for c in closings]
    return re.compile(r"(?:" + "|".join(forms) + r")[.!]?", re.IGNORECASE) if forms else None


def varied_opening(text: str, earlier: Sequence[str], brief: Brief, acceptable: Callable[[str], bool]) -> str:
    """The text with the likeliest-clicked opening no earlier sibling has, and without stock closings when an
    earlier sibling has one, where `acceptable` takes the changed text; otherwise the text as it was."""
    text = _fresh_opening(text, earlier, brief, acceptable)
    text = _fresh_frames(text, earlier, acceptable)
    return _without_shared_closings(text, earlier, brief, acceptable)


def _fresh_frames(text: str, earlier: Sequence[str], acceptable: Callable[[str], bool]) -> str:
    """Each sentence in a frame an earlier sibling used, in the first frame of its set that no sibling (nor the
    text itself) uses, where `acceptable` takes the change."""
    used = set().union(*(_frames_used(t) for t in earlier)) if earlier else set()
    if not used:
        return text
    sentences = split_sentences(text)
    for index, sentence in enumerate(sentences):
        for group in frame_sets():
            match = next((m for f in group if f.form in used and (m := f.pattern.fullmatch(sentence))), None)
            if match is None:
                continue
            taken = used | _frames_used(" ".join(sentences))
            for other in (f for f in group if f.form not in taken):
                changed = [*sentences[:index], other.said(match.group("rest")), *sentences[index + 1:]]
                if acceptable(" ".join(changed)):
                    sentences = changed
                    break
            break
    return " ".join(sentences)


def _fresh_opening(text: str, earlier: Sequence[str], brief: Brief, acceptable: Callable[[str], bool]) -> str:
    found = opening_of(text, brief)
    if found is None:
        return text
    used = {o[0] for o in (opening_of(t, brief) for t in earlier) if o}
    form, match = found
    if form not in used:
        return text
    rest = text[match.end():]
    options = [in_market_spelling(without_title_article(other.replace(NAME_SLOT, match.group("name")), brief) + rest,
                                  brief) for other in opening_forms() if other not in used]
    clicks = shipped_click_model().scores(options) if options else []
    for index in sorted(range(len(options)), key=lambda i: -clicks[i]):
        if acceptable(options[index]):
            return options[index]
    return text


def _without_shared_closings(text: str, earlier: Sequence[str], brief: Brief,
                             acceptable: Callable[[str], bool]) -> str:
    pattern = _stock_closing_pattern(brief)
    if pattern is None:
        return text
    if not any(pattern.fullmatch(s) for t in earlier for s in split_sentences(t)):
        return text
    sentences = split_sentences(text)
    stock = [i for i, s in enumerate(sentences) if i and pattern.fullmatch(s)]
    if not stock:
        return text
    kept = [s for i, s in enumerate(sentences) if i not in stock]
    instead = unsaid_fact_sentences(" ".join(kept), brief)[:1]
    at = stock[0]  # the sentences before the first stock closing are all kept
    for candidate in (" ".join([*kept[:at], *instead, *kept[at:]]), " ".join(kept)):
        if acceptable(candidate):
            return candidate
    return text
