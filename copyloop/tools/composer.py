"""The deterministic composer: copy built from the brief's own facts with the channel's structures.

It writes what the model could not within the loop caps, so a brief always ships the variants it asked for, and
it writes clean fine-tuning targets, so the model learns grounded structures. Structures are data
(rules/composer.yaml `templates`), rotated by slot together with the facts, so siblings differ by design.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from copyloop.brief import Brief
from copyloop.tools.channels import channel_spec
from copyloop.tools.cta import cta_lead, cta_room, takes_cta
from copyloop.tools.facts import (
    Fact,
    brief_facts,
    composer_rules,
    is_plural_name,
    lower_first,
    price_text,
    title_case,
    with_article,
)
from copyloop.tools.grounding import content_tokens
from copyloop.tools.sense.context import (
    base_name,
    derived_short_names,
    model_only_names,
    name_forms,
    required_names,
)
from copyloop.tools.text_cleanup import tidy
from copyloop.tools.words import can_be_verb, lemmas, words

_SLOT = re.compile(r"\{([A-Za-z_]+)(?:(\d)\.([a-z_]+))?\}")
SHORT_TITLE_MAX = 16  # a fact short enough to sit beside the name in a search headline
SHORT_THING_MAX = 32  # a thing short enough to open a sentence before the name ("With a non-slip base, …")


def templates(channel: str, key: str = "templates") -> list[str]:
    """The composer's structures for a channel (`key="fallbacks"`: the plainer ones for briefs with few facts)."""
    return [str(t) for t in (composer_rules().get(key) or {}).get(channel, [])]


def fitting_name(brief: Brief) -> str:
    """The name a variant calls the product by: the full name where the channel wants it (without appended specs in
    running text), else the longest form that leaves room for the rest of the copy."""
    return name_choices(brief)[0]


def name_choices(brief: Brief, brand_alone: bool = False) -> list[str]:
    """The names a variant may call the product by, best first (see `fitting_name`); tight one-line channels
    rotate through the specific ones so siblings differ, the brand alone among them only with
    `brand_alone`."""
    spec = channel_spec(brief.channel)
    if spec.name == "full":  # a title: the whole name where it fits, then without its appended specs
        fits = len(brief.product_name) + cta_room(brief) <= spec.max_chars
        whole = [brief.product_name] if spec.sentences == 1 and fits else []
        return list(dict.fromkeys([*whole, base_name(brief) or brief.product_name]))
    allowed = required_names(brief) or tuple(sorted(name_forms(brief), key=len)[:1])
    budget = (spec.max_chars - cta_room(brief)) * 0.6
    if spec.sentences == 1:  # a headline: the most specific names that fit, those naming the model first
        specific = sorted((f for f in allowed if f != brief.brand), key=lambda f: (not _names_model(f, brief), -len(f)))
        # the brand with the product's type ("Patagonia Jacket") not where the shop's own short name fits: round 16's
        # readers made every one specific. A brief without one keeps them, so a re-run still finds new lines
        generic = set(derived_short_names(brief)) - {f for f in specific if _names_model(f, brief)} \
            if brief.short_name else set()
        specific = [f for f in specific if f not in generic] or specific
        vaguer = _vaguer_names(brief)
        specific = [f for f in specific if f not in vaguer] or specific
        if spec.name == "any":  # a subject line: a name that leaves room to say something beside it, the short
            roomy = sorted((f for f in specific if len(f) <= budget), key=lambda f: f != brief.short_name)  # name
            specific = roomy + [f for f in reversed(specific) if len(f) > budget]                        # first
        return specific + [f for f in allowed if f not in specific and (brand_alone or not specific)]
    roomy = [f for f in sorted(allowed, key=len, reverse=True) if len(f) <= budget and "," not in f and "(" not in f]
    return roomy + [f for f in sorted(allowed, key=len) if f not in roomy]


def _vaguer_names(brief: Brief) -> set[str]:
    """The brand with the name's last word where the brand with the whole type fits beside a CTA too: "Carhartt
    Pant" beside "Carhartt Work Pant - Buy Now" (both round 18 readers cut "Carhartt Pant"; "Fiskars Shears" stays
    where "Fiskars Pruning Shears - Buy Now" would run past 30 characters)."""
    derived = derived_short_names(brief)
    room = channel_spec(brief.channel).max_chars - cta_room(brief)
    return {short for short in derived for whole in derived
            if len(short) < len(whole) <= room and whole.endswith(" " + short.split()[-1])}


def _names_model(name: str, brief: Brief) -> bool:
    """Whether a name carries the product's model ("Spot 400 Headlamp", "Forerunner 55"; readers cut "Black Diamond
    - Order Now" as naming no product). A lone coined word ("Wave+") is no better than the brand with the type."""
    model = (model_only_names(brief) or [""])[-1]
    return bool(model) and model in name and (name != model or " " in model)


def _fact_form(fact: Fact, form: str, short: str, plural: bool, again: str) -> str | None:
    subject = "They" if plural else "It"
    forms: dict[str, Callable[[], str | None]] = {
        "sentence": lambda: fact.sentence(subject, plural=plural),
        "also": lambda: fact.sentence(subject, also=True, plural=plural),
        "with": lambda: fact.sentence(subject, plural=plural, verb="comes with"),
        "named": lambda: fact.sentence(f"The {again}", plural=is_plural_name(again)) if fact.predicate() else None,
        "verb_phrase": lambda: fact.predicate(plural),
        "phrase": lambda: fact.phrase,
        "title": lambda: fact.title,
        "thing": lambda: fact.text if fact.kind == "thing" else None,
        "thing_a": lambda: with_article(fact.text) if fact.kind == "thing" else None,
        "short_thing_a": lambda: with_article(fact.text) if _compact_thing(fact) else None,
        "thing_title": lambda: fact.title if fact.kind == "thing" else None,
        "short_title": lambda: fact.title if fact.kind != "spec" and fact.title and len(fact.title) <= SHORT_TITLE_MAX
        else None,  # a benefit beside the name, not a spec ("Spot 400, 3 x AAA" sells nothing)
    }
    return forms[form]() if form in forms else None


def _compact_thing(fact: Fact) -> bool:
    """A thing short and simple enough to lead a sentence in a "With …, the <Product> is …" opening: no list or
    clause of its own ("a stowaway harness and hipbelt", "a steam wand with adjustable milk temperature") and not
    ending on a participle ("Fair Trade Certified sewn")."""
    last = fact.text.split()[-1].lower()
    return fact.kind == "thing" and len(fact.text) <= SHORT_THING_MAX and not fact.is_material \
        and not re.search(r",|\b(?:and|with|for|or)\b", fact.text) \
        and not (last.endswith(("ed", "wn")) and can_be_verb(last))


def lead_names(brief: Brief) -> list[str]:
    """Names for a headline that opens with its CTA's verb, most specific first: with no CTA after it, such a
    headline has room for the brand with its model ("Shop the Breville Bambino Plus"). Not the brand alone."""
    forms = [f for f in name_forms(brief) if f != brief.brand]
    return sorted(forms, key=lambda f: (not _names_model(f, brief), -len(f)))


def _category_title(brief: Brief, name: str, last_resort: bool) -> str | None:
    """The category's last level in title case: none for a brief without a category ("General"), and none where the
    name beside it already says it ("… Leather Sandal - Sandals", which both readers cut) unless nothing else can
    be said (a thin brief's fallback structures)."""
    leaf = brief.category.split(">")[-1].strip() if brief.category else ""
    said = {lemma for word in words(name.lower()) for lemma in lemmas(word)}
    if not leaf or leaf == Brief.model_fields["category"].default \
            or (not last_resort and all(lemmas(word) & said for word in words(leaf.lower()))):
        return None
    return title_case(leaf)


def render(template: str, brief: Brief, facts: list[Fact], short: str | None = None,
           last_resort: bool = False) -> str | None:
    """The template with its slots filled from the brief, or None when the brief cannot fill one (`last_resort`:
    a fallback structure, which may say what the name says)."""
    if "{lead_name}" in template:  # the longest name that fits
        return next((text for form in lead_names(brief)
                     if (text := render(template.replace("{lead_name}", form), brief, facts, short))), None)
    short = short or fitting_name(brief)
    plural = is_plural_name(short)
    audience = lower_first(brief.audience) if brief.audience else None
    spec = channel_spec(brief.channel)
    name = short if spec.name == "full" else base_name(brief) or brief.product_name  # a title tries each full form
    # a fact said of the product after the text named it calls it by the shop's short name: "The Weber Kettle Grill
    # has a lid thermometer", not the whole "Weber Original Kettle Premium Charcoal Grill, 22 Inch" again
    again = brief.short_name if brief.short_name and re.search(r"\{(?:name|short)\}", template) else short
    plain = {"name": name, "short": short, "brand": brief.brand, "price": price_text(brief),
             "audience": audience, "audience_cap": audience[:1].upper() + audience[1:] if audience else None,
             "audience_title": title_case(audience) if audience else None, "is": "are" if plural else "is",
             "category_title": _category_title(brief, name if "{name}" in template else short
                                                if "{short}" in template else "", last_resort),
             "they": "they" if plural else "it", "They": "They" if plural else "It", "them": "them" if plural else "it",
             "cta_lead": cta_lead(brief.cta_goal) if takes_cta(brief) else None}
    missing = False

    def fill(match: re.Match[str]) -> str:
        nonlocal missing
        name, index, form = match.groups()
        if index is None:
            value = plain.get(name)
        else:
            position = int(index) - 1
            value = _fact_form(facts[position], form, short, plural, again) if position < len(facts) else None
        missing |= value is None
        return value or ""

    text = tidy(_SLOT.sub(fill, template))
    room = 0 if "{cta_lead}" in template else cta_room(brief)  # a text that opens with its CTA needs no more
    return None if missing or len(text) + room > spec.max_chars else text


def ordered_facts(brief: Brief, slot: int) -> list[Fact]:
    """The brief's facts, features first, rotated so variant `slot` leads with its own fact; facts the product's
    name already says ("Cast Iron" for a cast iron skillet) are left out while others remain."""
    named = content_tokens(brief.product_name)
    facts = [f for f in brief_facts(brief) if not content_tokens(f.value or f.text) <= named] or brief_facts(brief)
    features = [f for f in facts if f.kind != "spec"]
    specs = [f for f in facts if f.kind == "spec"]
    if features:
        start = slot % len(features)
        features = features[start:] + features[:start]
    return features + specs


def compose_texts(brief: Brief, slot: int, brand_alone: bool = False) -> list[str]:
    """Every composed text for variant `slot`, best-suited first: structures and facts both rotate by slot.
    The plainer fallback structures come after every other, for briefs too thin to fill them, and rotate by slot
    too. Only with `brand_alone` (the composer's last resort) does a headline call the product by the brand alone
    and a title add a category its name already says ("… Leather Sandal - Sandals", which readers cut)."""
    facts = ordered_facts(brief, slot)
    pool = templates(brief.channel.value)
    if not pool:
        return []
    fallbacks = templates(brief.channel.value, "fallbacks")
    start = slot % len(pool)
    first_fallback = slot % len(fallbacks) if fallbacks else 0
    names = name_choices(brief, brand_alone) if channel_spec(brief.channel).sentences == 1 else [fitting_name(brief)]
    texts: list[str] = []
    for name in names:
        ordered = [*pool[start:], *pool[:start], *fallbacks[first_fallback:], *fallbacks[:first_fallback]]
        for position, template in enumerate(ordered):
            for shift in range(max(1, len(facts))):
                rotated = facts[shift:] + facts[:shift]
                text = render(template, brief, rotated, short=name, last_resort=brand_alone and position >= len(pool))
                if text and text not in texts:
                    texts.append(text)
    return texts


def benefit_sentences(brief: Brief) -> list[str]:
    """Warm sentences that say only what the brief says, for copy whose tone reads too cold."""
    name = fitting_name(brief)
    found = [tidy(f"You'll love the {name}.")]
    if brief.audience:
        found.append(f"A great pick for {lower_first(brief.audience)}.")
    return [*found, "You'll love it."]
