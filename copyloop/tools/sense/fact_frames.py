"""Facts put in the wrong frame. A small model copies a feature word for word after "has" or "with", whatever
its grammar: "It also has lined with Barbour tartan", "It has one-touch cleaning system", "It comes with Pandora
charms" (the bracelet holds them). Each fact's kind (facts.classify) says which frames it fits. A plural name
takes a plural verb ("the Maldon Sea Salt Flakes have", not "has"). A price is written in the brief's currency.
"""

from __future__ import annotations

import re

from copyloop.brief import currency_symbols
from copyloop.result import Finding
from copyloop.tools.channels import channel_spec
from copyloop.tools.facts import (
    Fact,
    brief_facts,
    clause_verbs,
    fact_verbs,
    is_plural_name,
    object_imperatives,
    price_text,
    with_article,
)
from copyloop.tools.grounding import phrase_regex, stemmed_words
from copyloop.tools.sense.context import BriefContext, name_spans, names_in
from copyloop.tools.sense.lexicons import product_types

_HAVE = r"(?:has|have|had|comes with|come with|includes|include|features|feature|offers|with)"
_OWN = r"(?:has|have|comes with|come with|includes|include|features|feature)"  # says the product has the thing
_ARTICLE = r"(?:(?:a|an|the)\s+)?"
_MODIFIERS = r"(?:(?!(?:with|for|to|of|in|on|from|by|and|or)\b)[\w/&'’-]+\s+){0,5}"  # a noun's modifiers
_SINGULAR_VERB = r"(?:has|is|was|does|comes|keeps|makes|gives|holds|lets|works|fits)"
_PLURAL_VERB = r"(?:have|are|were|do|come|keep|make|give|hold|let|work|fit)"
_ASIDE = r"(?:,\s[^.!?,]+(?:,\s[^.!?,]+)?,)?"  # "the Sea Salt Flakes, harvested in Maldon, Essex, is here"
_MEASURE = re.compile(r"\d[\d.,/]*\s?(?:[A-Za-z]{1,5}\b\.?|\")")  # a number with its unit: "57 oz", "1.7 l", "7\""
_QUANTIFIER_WORDS = frozenset({"a", "an", "the", "one", "two", "three", "four", "each", "every"})


def _clause_frame(fact: Fact) -> tuple[str, str] | None:
    """A clause's subject turned into an object with its verb left hanging: "It also makes 1 litre bottle makes 8
    cups", "It has one litre bottle making 8 cups" (the number may be spelt out)."""
    words = fact.text.split()
    verb_at = next((i for i, w in enumerate(words[1:4], 1) if w.lower() in clause_verbs()), None)
    if verb_at is None:
        return None
    head = [w for w in words[:verb_at] if w.lower() not in _QUANTIFIER_WORDS and not w[:1].isdigit()]
    verb = words[verb_at]
    if not head or len(verb) < 4:
        return None
    stem = verb[:-1] if verb.endswith("s") else verb
    stem = stem[:-1] if stem.endswith("e") else stem  # "makes", "making"
    count = r"(?:(?:a|an|the|one|two|three|four|\d+(?:[.,]\d+)?)\s+)?"
    return (rf"\b(?:{_HAVE}|makes|make|is|are)\s+(?:also\s+)?{count}{phrase_regex(' '.join(head))}\s+"
            rf"{re.escape(stem)}\w*", f"the {fact.text}")


def _third_person(verb: str) -> str:
    """"leave" → "leaves", "mix" → "mixes", "apply" → "applies": how copy says the product itself does it."""
    if verb.endswith(("s", "sh", "ch", "x", "z")):
        return verb + "es"
    if verb.endswith("y") and verb[-2:-1] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


def _frame(fact: Fact) -> tuple[str, str] | None:
    """The wrong frame for this fact as a pattern, and what the copy should say instead."""
    text = re.escape(fact.text)
    if fact.kind == "clause":
        return _clause_frame(fact)
    if fact.kind == "imperative":  # "It comes with leave on for at least 10 minutes", "It also leaves on for ..."
        instruction = phrase_regex(fact.text)
        verb, _, rest = fact.text.lower().partition(" ")
        acting = rf"|\b{re.escape(_third_person(verb))}\s+{phrase_regex(rest.split()[0])}\b" \
            if rest and verb in object_imperatives() else ""
        return rf"\b(?:{_HAVE}|comes|is|are)\s+(?:also\s+)?{instruction}\b{acting}", \
            f"\"{fact.text}\" as an instruction"
    if fact.kind == "spec" and fact.value and fact.text.startswith("in "):  # colour: Navy ("made for the Navy",
        value = phrase_regex(fact.value)  # "comes in a Flame": a colour is no thing)
        return (rf"\b(?:made|designed|perfect|great|ideal)\s+for\s+(?:the\s+)?{value}\b"
                rf"|\bcomes?\s+in\s+(?:a|an)\s+{value}\b"), f"it comes in {fact.value}"
    if fact.kind == "spec" and fact.value and fact.text.lower().startswith("made of"):  # material: cotton
        value = phrase_regex(fact.value)
        return rf"\b(?:{_HAVE}|comes in|come in)\s+(?:a\s+|an\s+)?{value}\b", f"it is made of {fact.value.lower()}"
    # plural or uncountable ("whole beans", "enameled cast iron construction"): by the head noun, so "a practical
    # framework for building good habits and breaking bad ones" counts as one
    uncounted = with_article(fact.text) == fact.text and not fact.is_material
    if fact.kind == "thing" and uncounted:  # "It is ... beans"
        return rf"\b(?:is|was)\s+(?:also\s+)?{phrase_regex(fact.text)}\b|\b(?:a|an)\s+{phrase_regex(fact.text)}\b", \
            f"it has {fact.text}"  # nor "a light sand-colored interior enamel": no article before it
    if fact.kind == "state":  # "has lined with ...", "comes made from ..."
        return rf"\b(?:{_HAVE}|comes|come)\s+{_ARTICLE}(?:also\s+)?{text}\b", f"it is {fact.text}"
    if fact.is_material:  # "have 100% cotton muslin" for swaddles made of it, "has an 18/8 stainless steel"
        return rf"\b{_OWN}\s+{_ARTICLE}{text}\b", f"it is made of {fact.text}"
    if fact.kind == "thing" and with_article(fact.text) != fact.text:
        return rf"\b{_HAVE}\s+{text}\b", f"{with_article(fact.text)} (with its article)"
    verb, _, thing = fact.text.partition(" ")
    if fact.kind != "verb" or verb.lower() in ("has", "have", "comes", "includes", "features"):
        return None
    stem = re.escape(verb[:-1]) if verb.endswith("s") and not verb.endswith("ss") else None
    owned = re.escape(thing) if len(thing.split()) >= 2 and \
        thing.split()[0].lower() not in ("with", "to", "up", "in", "on", "for", "as") else None
    wrong = [rf"{_OWN}\s+{_ARTICLE}{owned}" if owned else "", rf"{_HAVE}\s+(?:a|an)\s+{stem}" if stem else "",
             rf"(?:a|an)\s+{stem}\s+for" if stem else ""]
    wrong = [w for w in wrong if w]  # "comes with Pandora charms", "has a work as a phone stand", "a hold for charms"
    return (rf"\b(?:{'|'.join(wrong)})\b", f"it {fact.text}") if wrong else None


def fact_frame_findings(text: str, ctx: BriefContext) -> list[Finding]:
    """A brief's fact said in a frame its grammar does not fit, which misstates it or reads as broken English."""
    findings = []
    named = name_spans(text, ctx.names)
    for fact in brief_facts(ctx.brief):
        frame = _frame(fact)
        if frame is None:
            continue
        pattern, should = frame
        for match in re.finditer(pattern, text, re.IGNORECASE):
            if any(s < match.end() and match.start() < e for s, e in named):
                continue  # the product's own name ("Tumbler with MagSlider Lid") is never a wrong frame
            findings.append(Finding(
                rule_id="sense.disfluent_fact", severity="block", span=match.span(), matched=match.group(0),
                message=f"{match.group(0)!r} puts the fact {fact.text!r} in the wrong frame: say {should}."))
    return findings


def self_reference_findings(text: str, ctx: BriefContext) -> list[Finding]:
    """The product said to have or come in itself: "It comes in the Blue Hoodie", "It has the Trail Bottle", "It
    also has navy cotton straight leg pants" (said of the Kratos Gym Pant), or to come from itself ("the Dark
    Polygon Tee, from Dark Polygon Tee"), and good news given to the product ("Good news for Kratos Gym Pant:").
    Not "see clearly with the Lens Cleaning Kit": with the product is how you use it."""
    findings = []
    for name in ctx.names:
        own = rf"\b(?:{_OWN}|comes in|come in)\s+(?:(?:a|an|the|your)\s+)?{re.escape(name)}\b"
        source = rf"(?:,\s+from|\bGood news for)\s+(?:(?:the|your)\s+)?{re.escape(name)}\b"
        findings += [Finding(rule_id="sense.disfluent_self", severity="block", span=m.span(), matched=m.group(0),
                             message=f"{m.group(0)!r}: the {name} cannot have, come in or come from itself, and "
                                     f"good news is for people.")
                     for pattern in (own, source) for m in re.finditer(pattern, text, re.IGNORECASE)]
        findings += _cut_name_findings(text, name)
    return findings + _own_type_findings(text, ctx)


def _cut_name_findings(text: str, name: str) -> list[Finding]:
    """"It comes in Bamboo Glass" of the Bamboo Glass Jar: the start of the name (as the name capitalises it) after
    an owning verb, without the rest."""
    head = name.split()
    findings = []
    for cut in range(2, len(head)):
        start, rest = re.escape(" ".join(head[:cut])), re.escape(head[cut])
        pattern = rf"\b(?:{_OWN}|comes in|come in)\s+(?:the\s+)?{start}\b(?!\s+{rest})"
        findings += [Finding(rule_id="sense.disfluent_self", severity="block", span=m.span(), matched=m.group(0),
                             message=f"{m.group(0)!r}: the product's name cut short is not something it has.")
                     for m in re.finditer(pattern, text) if head[cut - 1][:1].isupper()]
    return findings


def _own_type_findings(text: str, ctx: BriefContext) -> list[Finding]:
    """"It comes with gray shorts" said of a pair of shorts: the phrase after the owning verb ends in the product's
    own type (rules/product_types.yaml), so the copy says the product has itself."""
    types = product_types()
    own_groups = types.groups_in(ctx.brief.product_name) or types.groups_in(
        re.split(r"[>/|]", ctx.brief.category or "")[-1])  # "Torque Power Short": its category says "Shorts"
    named = name_spans(text, ctx.names)
    findings = []
    for match in types.scan.finditer(text):
        if types.group_of.get(types.key(match.group(0))) not in own_groups or any(
                s <= match.start() < e for s, e in named):
            continue
        before = re.search(rf"\b{_OWN}\s+{_ARTICLE}{_MODIFIERS}$", text[: match.start()], re.IGNORECASE)
        if before and re.match(r"\s*(?:[.!?,;:]|$)", text[match.end():]):
            findings.append(Finding(
                rule_id="sense.disfluent_self", severity="block", span=(before.start(), match.end()),
                matched=text[before.start(): match.end()],
                message=f"{text[before.start(): match.end()]!r}: the product is a {types.key(match.group(0))}; it "
                        f"does not have one (say what it is: \"It is …\")."))
    return findings


def is_list(text: str) -> bool:
    """Whether the copy is laid out as lines or bullets (which restate by design)."""
    return bool(re.search(r"[\n•·▪●]", text))


_ANY_ONE = frozenset({"every", "any", "each", "your"})  # "a great pick for every hiker" is the brief's "hikers"
_FOR_WHOM = re.compile(r"\b(?:great pick|made|just right) for (?:the |all )?([^.!?,:;]+)"
                       r"|\bmade with (?:the |all )?([^.!?,:;]+?) in mind\b", re.IGNORECASE)


def audience_findings(text: str, ctx: BriefContext) -> list[Finding]:
    """Who the product is "a great pick for", "just right for", "made for" or "made with … in mind", said in words
    the brief does not use: "a great pick for backyard grills" (the brief says grillers), "for those who love cold
    brew". What follows these frames must be the brief's audience, or what a fact says the product is for, in
    either number — never another fact ("a great pick for Navy" from a colour). "For hair type" still passes where
    a fact says "for all hair types" (a slip this check does not catch)."""
    said = [stemmed_words(ctx.brief.audience or "")]  # the brief's audience, or whom a fact says it is for:
    said += [stemmed_words(after) for line in ctx.fact_text.splitlines()  # "for all hair types", never the
             for after in re.split(r"\bfor\b", line, flags=re.IGNORECASE)[1:]]  # colour ("a great pick for Navy")
    findings = []
    for match in _FOR_WHOM.finditer(text):
        group = 1 if match.group(1) is not None else 2
        whom = re.split(r"\s+[-–—|]\s+", match.group(group))[0].strip()  # a headline's CTA follows a dash
        words = stemmed_words(whom)
        while words and words[0] in _ANY_ONE:
            words = words[1:]
        if words and not any(_holds(line, words) for line in said):
            start = match.start(group)
            findings.append(Finding(rule_id="sense.ungrounded_audience", severity="block",
                                    span=(start, start + len(whom)), matched=whom,
                                    message=f"{whom!r} is not who the brief says the product is for."))
    return findings


def _holds(words: list[str], phrase: list[str]) -> bool:
    """Whether `phrase` occurs in `words` as a run."""
    return any(words[i:i + len(phrase)] == phrase for i in range(len(words) - len(phrase) + 1))


def repeated_fact_findings(text: str, ctx: BriefContext) -> list[Finding]:
    """One fact said twice in one text ("Size: 39, 40, 41. It also has a shoe size of 39, 40, 41"): the second
    time tells the reader nothing and reads as filler. Not in a list (lines or bullets), which restates by design."""
    if is_list(text):
        return []
    findings = []
    named = name_spans(text, ctx.names)
    for fact in brief_facts(ctx.brief):
        whole = (fact.value or fact.text).strip()
        measures = _MEASURE.findall(fact.text)  # "57 oz (1.7 l)" in "has a capacity of …" and "can hold …"
        value = [fact.value.strip()] if fact.kind == "spec" and fact.value and len(fact.value.strip()) > 3 else []
        for said in ([whole] if len(whole.split()) >= 3 else []) + measures + value:  # "Weave: Sateen. … sateen"
            places = [m.span() for m in re.finditer(rf"(?<!\w){re.escape(said)}(?!\w)", text, re.IGNORECASE)
                      if not any(s < m.end() and m.start() < e for s, e in named)]  # the name may say it too
            sayers = [span for span in named if _name_measures(text[span[0]:span[1]], said)] if said in measures else []
            places = sayers[:1] + places  # the name said it: "Lodge 10.25 Inch Cast Iron Skillet, 10.25 in diameter"
            if len(places) > 1:
                findings.append(Finding(rule_id="sense.disfluent_repeated_fact", severity="block", span=places[1],
                                        matched=text[places[1][0]:places[1][1]],
                                        message=f"{said!r} is said twice; say another fact instead."))
                break
    return findings


def _name_measures(name: str, measure: str) -> bool:
    """Whether a name says the measure's number with a unit of its own ("10.25 Inch" for "10.25 in")."""
    number = re.match(r"[\d.,/]+", measure)
    return bool(number) and re.search(rf"(?<![\d.,/]){re.escape(number.group(0).rstrip('.,'))}\s?(?:[A-Za-z]+\b|\")",
                                      name) is not None


def agreement_findings(text: str, ctx: BriefContext) -> list[Finding]:
    """A plural product name followed by a singular verb ("the Maldon Sea Salt Flakes has"), or called "It" in the
    next sentences ("Meet the Maldon Sea Salt Flakes. It is harvested in Maldon": both readers made it "They"); a
    singular one called "They" ("Meet the Crocs Classic Clog. They have ventilation ports")."""
    findings = []
    for name in ctx.names:
        if not is_plural_name(name):
            continue
        for match in re.finditer(rf"\b{re.escape(name)}{_ASIDE}\s+(?:also\s+)?{_SINGULAR_VERB}\b", text):
            findings.append(Finding(
                rule_id="sense.disfluent_agreement", severity="block", span=match.span(), matched=match.group(0),
                message=f"{match.group(0)!r}: the {name} is plural and takes a plural verb."))
    called = names_in(text, ctx.names)
    for name in called:  # "The Crocs Classic Clog have ventilation ports"
        if is_plural_name(name):
            continue
        for match in re.finditer(rf"(?:^|(?<=[.!?] ))(?:[Tt]he\s+)?{re.escape(name)}\s+(?:also\s+)?{_PLURAL_VERB}\b",
                                 text):  # the name as the subject: "the features of the X give ..." is no slip
            findings.append(Finding(
                rule_id="sense.disfluent_agreement", severity="block", span=match.span(), matched=match.group(0),
                message=f"{match.group(0)!r}: the {name} is one thing and takes a singular verb."))
    if is_plural_name(ctx.brief.product_name) and not any(not is_plural_name(name) for name in called):
        findings += [Finding(rule_id="sense.disfluent_agreement", severity="block", span=m.span(1),
                             matched=m.group(1), message=f"{m.group(1)!r}: the {ctx.brief.product_name} are \"They\".")
                     for m in re.finditer(rf"(?:^|[.!?]\s+)(It\s+(?:also\s+)?{_SINGULAR_VERB})\b", text)]
    elif not is_plural_name(ctx.brief.product_name) and not any(is_plural_name(name) for name in called):
        findings += [Finding(rule_id="sense.disfluent_agreement", severity="block", span=m.span(1),
                             matched=m.group(1), message=f"{m.group(1)!r}: the {ctx.brief.product_name} is \"It\".")
                     for m in re.finditer(rf"(?:^|[.!?]\s+)(They\s+(?:also\s+)?{_PLURAL_VERB})\b", text)]
    return findings


def comma_verb_findings(text: str, ctx: BriefContext) -> list[Finding]:
    """A comma between the product and what it does ("The PopSockets PopGrip, expand to a grip", "the X, works
    as a stand"): a subject cut from its verb. Not in one-line copy, where a comma lists facts."""
    if channel_spec(ctx.brief.channel).sentences == 1:  # a title's "Levi's 501 Jeans, Sits at the Waist" is a list
        return []
    verbs = fact_verbs()
    findings = []
    for name in names_in(text, ctx.names):
        for match in re.finditer(rf"(?<!\w){re.escape(name)},\s+(\w+)\b", text):
            verb = match.group(1).lower()
            if verb in verbs or verb + "s" in verbs or verb + "es" in verbs:
                findings.append(Finding(rule_id="sense.disfluent_comma_verb", severity="block", span=match.span(),
                                        matched=match.group(0),
                                        message=f"{match.group(0)!r}: no comma between the product and its verb."))
    return findings


def currency_findings(text: str, ctx: BriefContext) -> list[Finding]:
    """An amount in another currency than the brief's ("$25" for a €25 pen)."""
    own = currency_symbols().get(ctx.brief.currency) or ""
    others = "".join(re.escape(s) for s in currency_symbols().values() if len(s) == 1 and s not in own)
    return [Finding(rule_id="sense.offer_currency", severity="block", span=m.span(), matched=m.group(0),
                    message=f"{m.group(0)!r}: the brief's prices are in {ctx.brief.currency}.")
            for m in re.finditer(rf"[{others}]\s?\d[\d,.]*", text)] if others else []


_PACK = re.compile(r"\b(\d+)[\s-]*(?:pack|count|ct|pcs|pieces|piece set)\b|\b(?:pack|set) of (\d+)\b", re.IGNORECASE)


def pack_price_findings(text: str, ctx: BriefContext) -> list[Finding]:
    """The price beside a name cut short of its pack size ("Meet the Burt's Bees Lip Balm, yours for $9.99" for a
    4-pack): the reader takes the pack's price for one (both round-14 readers added "4-Pack")."""
    pack = _PACK.search(ctx.brief.product_name)
    price = price_text(ctx.brief)
    if not pack or not price or price not in text or _PACK.search(text):
        return []
    start = text.index(price)
    return [Finding(rule_id="sense.offer_pack_price", severity="block", span=(start, start + len(price)),
                    matched=price, message=f"{price} is for the {pack.group(0)}: say so beside the price.")]
