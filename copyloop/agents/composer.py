"""Composer: fills the places the model's drafts could not, with copy built from the brief's own facts.

Returns the variants topped up to the brief's n_variants. Each composed variant is finished like a drafted one and
passes every check a drafted one must (sense, compliance, tone, length, CTA, distance from its siblings and from
copy in memory); its trace says it was composed and from which structure. It first looks for copy that says a fact
and does not repeat its siblings' (`repeats_siblings`). Only when no structure is novel enough does it accept copy
closer to its siblings or memory (never a text that ships already), so a brief never ships short.
"""

from __future__ import annotations

from itertools import product
from typing import NamedTuple

from langgraph.runtime import Runtime

from copyloop.agents.diversity_checker import DUPLICATE_SIMILARITY
from copyloop.agents.postprocessor import score_final
from copyloop.brief import Brief
from copyloop.config import Settings
from copyloop.graphs.context import CopyContext
from copyloop.graphs.state import CopyState, live
from copyloop.memory import CopyMemory
from copyloop.memory.embeddings import embed
from copyloop.result import Variant
from copyloop.tools.channels import channel_spec
from copyloop.tools.composer import compose_texts, ordered_facts
from copyloop.tools.cta import find_cta
from copyloop.tools.finishing import facts_said, finish, repeats_siblings, shipping_problems
from copyloop.tools.openings import varied_opening

MAX_SLOTS = 24  # fact and structure rotations tried before the composer relaxes its novelty thresholds
CTA_TRIES = 8  # calls to action tried per text once siblings may differ in their CTA alone
HEADLINE_CHARS = 40  # channels this short look for the most specific name before new facts


class Pass(NamedTuple):
    """One pass of the composer over the structures: how close to siblings and memory a text may be, whether it
    must not repeat its siblings' facts, how many calls to action each text may try, and whether a headline may
    name the brand alone."""

    sibling_max: float
    memory_max: float
    new_facts: bool = False
    ctas: int = 1
    brand_alone: bool = False


def compose(state: CopyState, runtime: Runtime[CopyContext]) -> dict:
    """Compose as many variants as the brief still lacks."""
    brief = state["brief"]
    shipping = live(state["variants"])
    missing = brief.n_variants - len(shipping)
    if missing <= 0:
        return {}
    first_id = max((v.id for v in state["variants"]), default=0) + 1
    return {"variants": composed_variants(brief, missing, shipping, runtime.context.copy_memory(),
                                          runtime.context.settings, first_id)}


def composed_variants(brief: Brief, count: int, siblings: list[Variant], memory: CopyMemory, settings: Settings,
                      first_id: int) -> list[Variant]:
    """Up to `count` new shippable variants, each unlike its siblings and the copy in memory."""
    chosen: list[Variant] = []
    bodies = [v.body for v in siblings]
    said = [facts_said(body, brief) for body in bodies]
    # a 30-character headline has room for a name or a fact: the most specific name goes first (readers cut
    # "Wave+, 18 Tools" beside "Leatherman Wave+"), so only roomier channels look for new facts first
    roomy = channel_spec(brief.channel).max_chars > HEADLINE_CHARS
    passes = [Pass(settings.sibling_similarity_max, settings.memory_similarity_max, new_facts=True)] if roomy else []
    passes += [Pass(settings.sibling_similarity_max, settings.memory_similarity_max),
              Pass(DUPLICATE_SIMILARITY, DUPLICATE_SIMILARITY)]
    # A 30-character headline may only have room for the name, and a brief with one fact allows one description:
    # then siblings differ in their call to action (an A/B test in itself), and a headline's last resort is the brand
    passes += [Pass(1.01, 0.999, ctas=CTA_TRIES), Pass(1.01, 0.999, ctas=CTA_TRIES, brand_alone=True)]
    for step in passes:
        tried: set[tuple[str, int, int]] = set()  # slots rotate the same texts: each is judged once per sibling count
        for slot in range(len(siblings), len(siblings) + MAX_SLOTS):
            if len(chosen) == count:
                return chosen
            variant_id = first_id + len(chosen)
            earlier = [v.text for v in [*siblings, *chosen]]
            for raw, cta_seed in product(compose_texts(brief, slot, step.brand_alone), range(step.ctas)):
                if (raw, cta_seed, len(chosen)) in tried:
                    continue
                tried.add((raw, cta_seed, len(chosen)))
                if step.new_facts and _no_new_fact(facts_said(raw, brief), said):
                    continue  # before finishing, which may add a fact but never takes one away
                text = finish(raw, brief, variant_id - 1 + cta_seed)
                if text in earlier or shipping_problems(text, brief):
                    continue
                text = varied_opening(text, earlier, brief, lambda changed: not shipping_problems(changed, brief))
                cta = find_cta(text, brief.cta_goal)
                body = (text[: cta[0]] + text[cta[1]:]).strip(" -|.,;:") if cta else text
                says = facts_said(body, brief)
                if step.new_facts and _no_new_fact(says, said):
                    continue
                closest = _closest(body, bodies)
                remembered = memory.nearest_similarity([text], brand=brief.brand)[0]
                if closest > step.sibling_max or remembered > step.memory_max:
                    continue
                chosen.append(_variant(brief, variant_id, text, raw, slot, closest, remembered))
                bodies.append(body)
                said.append(says)
                break
    return chosen


def _no_new_fact(said: frozenset[str], siblings: list[frozenset[str]]) -> bool:
    """Whether a text that says the facts `said` says none, or only repeats its siblings' (`repeats_siblings`)."""
    return not said or repeats_siblings(said, siblings)


def _closest(body: str, others: list[str]) -> float:
    if not others:
        return 0.0
    vectors = embed([body, *others])
    return float((vectors[1:] @ vectors[0]).max())


def _variant(brief: Brief, variant_id: int, text: str, raw: str, slot: int, closest: float,
             remembered: float) -> Variant:
    facts = ordered_facts(brief, slot)
    variant = Variant(id=variant_id, text=text, angle="composed", focus=facts[0].text if facts else None,
                      origin="composer")
    variant.note("compose", "compose", f"the model's drafts did not pass; composed from the brief's facts "
                                       f"({raw!r}, structures from rules/composer.yaml)", before="")
    span = find_cta(text, brief.cta_goal)
    variant.cta = text[span[0]:span[1]] if span else None
    variant.scores.max_sibling_similarity = round(closest, 4)
    variant.scores.novelty = round(1.0 - max(0.0, remembered), 4)
    score_final(variant, brief)
    return variant
