"""Copy in its shipping form: tidy, the channel's emoji and '!' policy, tone kept in band, one CTA, exact length.

The postprocessor applies it to every drafted variant, the composer to every composed one, and fine-tuning to
its candidates, so all copy that ships, or that the model learns from, is finished the same way.
"""

from __future__ import annotations

import re

from copyloop.brief import Brief
from copyloop.tools.channels import channel_spec, length_ok
from copyloop.tools.compliance import check_compliance
from copyloop.tools.composer import benefit_sentences
from copyloop.tools.cta import cta_as_channel_wants, cta_room, find_cta, place_cta, takes_cta, without_cta
from copyloop.tools.facts import brief_facts, is_plural_name, lower_items, price_text, sentence_value
from copyloop.tools.grounding import colour_words, content_tokens, phrase_regex
from copyloop.tools.rulebook import load_rules, rule_cache
from copyloop.tools.sense.checks import sense_findings
from copyloop.tools.sense.context import name_forms, names_in
from copyloop.tools.sense.vocabulary import COPY_WORDS_FILE
from copyloop.tools.sentiment import band_distance, nudge_into_band, sentiment_score
from copyloop.tools.text_cleanup import apply_channel_policy, fit_length, tidy
from copyloop.tools.words import split_sentences


def finish(text: str, brief: Brief, rotation: int) -> str:
    """Tidy, apply channel policy, keep the tone in band, ensure one CTA, fit the length exactly."""
    spec = channel_spec(brief.channel)
    text = drop_filler(apply_channel_policy(without_title_article(tidy(text), brief), brief.channel))
    text = values_as_sentences_say_them(article_before_name(text, brief), brief)
    text = audience_after_features(closing_by_pronoun(without_early_also(without_restatements(text, brief), brief),
                                                      brief), brief)
    span = find_cta(text, brief.cta_goal)
    if span and span[1] >= len(text.rstrip(" .!")) - 1:
        text = tidy(text[: span[0]].rstrip(" -|"))  # tone repairs work on the body, so the CTA stays last
    if spec.sentences > 1:  # a one-line headline takes no added sentence or word: out of band, it goes back
        said_for = brief.audience and brief.audience.lower() in text.lower()  # who it is for, said once
        benefits = [b for b in benefit_sentences(brief) if not (said_for and brief.audience.lower() in b.lower())]
        text = nudge_into_band(lengthened(text, brief), brief.sentiment_band, benefits=benefits)
        # what was added may name the product again, say a fact the text said more briefly, or come after
        # "You'll love it.": each mended where the text stays long enough
        for mended in (closing_by_pronoun, without_restatements, audience_after_features):
            shorter = mended(text, brief)
            text = shorter if len(shorter) >= spec.min_chars - cta_room(brief) else text
    placement = place_cta(text, brief, rotation=rotation)
    suffix = placement.cta if placement.cta and placement.text.rstrip().endswith(placement.cta) else None
    fitted = fit_length(placement.text, spec.max_chars, keep_suffix=suffix)
    if takes_cta(brief) and find_cta(fitted, brief.cta_goal) is None:  # the cut took a mid-copy CTA: add one
        again = place_cta(fitted, brief, rotation=rotation)
        fitted = fit_length(again.text, spec.max_chars, keep_suffix=again.cta)
    fitted = in_market_spelling(plural_closing(price_after_here(fitted), brief), brief)
    return fitted.rstrip(" .;,:-–—|") if spec.sentences == 1 and not takes_cta(brief) else fitted


@rule_cache
def _british() -> tuple[frozenset[str], frozenset[str], dict[str, str]]:
    rules = (load_rules(COPY_WORDS_FILE) or {}).get("british") or {}
    return (frozenset(str(x).lower() for x in rules.get("locales") or ()),
            frozenset(str(x).upper() for x in rules.get("currencies") or ()),
            {str(k).lower(): str(v) for k, v in (rules.get("spellings") or {}).items()})


def in_market_spelling(text: str, brief: Brief) -> str:
    """British spelling for a British-English brief (rules/copy_words.yaml `british`): "favourite", "colour". A word
    the brief spells the US way itself stays, and so does the name."""
    locales, currencies, spellings = _british()
    if brief.locale.lower() not in locales and brief.currency.upper() not in currencies:
        return text
    own = {w.lower() for w in re.findall(r"[A-Za-z]+", brief.model_dump_json())}

    def respelled(match: re.Match[str]) -> str:
        word = match.group(0)
        british = spellings.get(word.lower())
        if british is None or word.lower() in own:
            return word
        return british.capitalize() if word[:1].isupper() else british
    return re.sub(r"[A-Za-z]+", respelled, text)


def is_titled_work(brief: Brief) -> bool:
    """Whether the product is a titled work (a book), whose name takes no article: "Meet Atomic Habits", not
    "Meet the Atomic Habits" (both readers edited it). "Books" as a word of the category: "Notebooks" is no title."""
    return bool(brief.category) and re.search(r"\bbooks?\b", brief.category, re.IGNORECASE) is not None


def without_title_article(text: str, brief: Brief) -> str:
    """The text without "the" before a titled work's name."""
    if not is_titled_work(brief):
        return text
    for name in name_forms(brief):
        text = re.sub(rf"\b[Tt]he\s+(?={phrase_regex(name)}(?!\w))", "", text)
    return text[:1].upper() + text[1:]


_OPENING_VERBS = r"(?:Enjoy|Meet|Discover|Say hello to|Take a look at|Treat yourself to|Here's|Here is)"


def article_before_name(text: str, brief: Brief) -> str:
    """"Enjoy the Zeppelin Yoga Pant", not "Enjoy Zeppelin Yoga Pant": an opening that introduces a product
    names it with "the", unless it is a titled work or its name brings its own article."""
    if is_titled_work(brief):
        return text
    for name in name_forms(brief):
        if not re.match(r"(?:the|a|an)\s", name, re.IGNORECASE):
            text = re.sub(rf"(?:^|(?<=[.!?] )){_OPENING_VERBS} (?={phrase_regex(name)}(?!\w))", r"\g<0>the ", text)
    return text


def values_as_sentences_say_them(text: str, brief: Brief) -> str:
    """A material or plain colour the brief writes capitalised, said mid-sentence as a sentence says it: "made of
    Cotton" -> "made of cotton", "Fleece, LumaTech™, Spandex, Wool" -> "fleece, LumaTech™, spandex and wool", "It
    comes in Navy" -> "It comes in navy". Titles keep their title case."""
    if brief.channel == "product_title":
        return text
    for key, value in brief.attributes.items():
        said = sentence_value(key, value) or _plain_colours(value)
        if said and said != value.strip():
            named = [m.span() for name in name_forms(brief) for m in re.finditer(phrase_regex(name), text)]
            places = [m.span() for m in re.finditer(rf"(?<=[a-z] ){re.escape(value.strip())}(?![\w,])", text)
                      if not any(s <= m.start() < e for s, e in named)]  # "… Premium Charcoal Grill" keeps it
            for start, end in reversed(places):
                text = text[:start] + said + text[end:]
    return text


def _plain_colours(value: str) -> str | None:
    """A colour value of plain colour words in lower case ("Navy" -> "navy", "Black, Gray, Orange" -> "black, gray
    and orange"); a maker's colour name ("Flame", "Taupe") keeps its capital."""
    items = [item.strip() for item in value.split(", ") if item.strip()]
    if not items or any(item.lower() not in colour_words() for item in items):
        return None
    return lower_items(", ".join(item.lower() for item in items))


def price_after_here(text: str) -> str:
    """"The OXO Salad Spinner, with a non-slip base, is here for $29.99", not "is here, yours for $29.99": both
    round-16 readers read the comma as a run-on."""
    return re.sub(r"\b(is|are) here, yours for\b", r"\1 here for", text)


def plural_closing(text: str, brief: Brief) -> str:
    """"You'll love them" for a product whose name is plural ("the White Plimsolls"), unless the text also calls
    it by a singular name."""
    if not is_plural_name(brief.product_name) or any(not is_plural_name(name)
                                                      for name in names_in(text, name_forms(brief))):
        return text
    return re.sub(r"\bYou'll love it\b", "You'll love them", text)


def closing_by_pronoun(text: str, brief: Brief) -> str:
    """"You'll love it." where the text already named the product: "Meet the Burt's Bees Lip Balm. ... You'll love
    the Burt's Bees Balm." says the name twice, in two forms (both readers cut it to "it")."""
    names = "|".join(phrase_regex(name) for name in [*name_forms(brief), *([brief.brand] if brief.brand else [])])
    closing = re.search(rf"\bYou'll love (?:the\s+)?(?:{names})(?!\w)(?=\s*[.!])", text)
    if not closing or not re.search(rf"(?<!\w)(?:{names})(?!\w)", text[:closing.start()]):
        return text
    return text[:closing.start()] + ("You'll love them" if is_plural_name(brief.product_name) else "You'll love it") \
        + text[closing.end():]


def without_restatements(text: str, brief: Brief) -> str:
    """Without a sentence whose words another sentence says with more: "It is made of natural rubber. It is also
    made from 100% natural rubber from the Hevea tree." says one fact twice in two forms (both readers cut the
    first). The fuller sentence takes the first one's place, without its "also". A sentence of one content word
    ("You'll love it.") and the call to action stay."""
    sentences = split_sentences(text)
    unsaid = content_tokens(" ".join(name_forms(brief))) | content_tokens("also plus on top of that")
    said = [content_tokens(s) - unsaid for s in sentences]
    for i in range(len(sentences)):
        fuller = next((j for j in range(len(sentences)) if j != i and said[i] < said[j]), None)
        if fuller is None or len(said[i]) < 2 or find_cta(sentences[i], brief.cta_goal):
            continue
        if fuller > i:
            sentences[i], sentences[fuller] = _ALSO.sub(_plain_frame, sentences[fuller]), ""
            said[fuller] = set()
        else:
            sentences[i] = ""
        said[i] = set()
    return " ".join(s for s in sentences if s)


def without_early_also(text: str, brief: Brief) -> str:
    """"It is also a hardcover edition" where no sentence before it says a fact ("Meet Atomic Habits by James
    Clear. It is also …"): "also" adds to nothing, and readers cut it."""
    sentences = split_sentences(text)
    for i, sentence in enumerate(sentences):
        if _ALSO.match(sentence):
            if not facts_said(" ".join(sentences[:i]), brief):
                sentences[i] = _ALSO.sub(_plain_frame, sentence)
                return " ".join(sentences)
            return text
    return text


_ALSO = re.compile(r"^(?:(?:Plus|On top of that), (?P<low>it|they)\b|(?P<subject>It|They)"
                   r"(?P<verb> (?:is|are|has|have|was))? also\b)")


def _plain_frame(match: re.Match[str]) -> str:
    if match.group("low"):
        return match.group("low").capitalize()
    return match.group("subject") + (match.group("verb") or "")


_AUDIENCE_LINE = re.compile(r"^(?:It is )?(?:A|a) great pick for [^.!?]+\.$")
_STOCK_LINE = re.compile(r"^You'll love (?:it|them)\.$")


def audience_after_features(text: str, brief: Brief) -> str:
    """Who the product is for, and "You'll love it.", said after the features: "It has a lid thermometer. A great
    pick for grillers. It also has ..." breaks the run of features that "also" continues, and "You'll love it. It
    has a 40 litre capacity." closes before the end (readers moved both)."""
    for pattern, follows in ((_AUDIENCE_LINE, r"^(?:It|They) also\b"), (_STOCK_LINE, r"")):
        sentences = split_sentences(text)
        body = [s for s in sentences if not find_cta(s, brief.cta_goal)]
        lines = [s for s in body if pattern.match(s)]
        if len(lines) != 1 or body[-1] == lines[0] or not re.match(follows, body[body.index(lines[0]) + 1]):
            continue
        moved = [s for s in sentences if s != lines[0]]
        at = max(i for i, s in enumerate(moved) if s in body) + 1
        text = " ".join([*moved[:at], lines[0], *moved[at:]])
    return text


def lengthened(text: str, brief: Brief) -> str:
    """Copy too short for its channel with facts it does not say yet added as plain sentences ("It is smooth and
    low in acidity."), until it is long enough: a sentence the brief states is a surer fix than another draft."""
    need = channel_spec(brief.channel).min_chars - cta_room(brief)
    for sentence in unsaid_fact_sentences(text, brief):
        if len(text) >= need:
            break
        text = f"{text.rstrip()} {sentence}".strip()
    return text


def facts_said(text: str, brief: Brief) -> frozenset[str]:
    """The brief's facts the text says, each by all its content words (an attribute by its value); not those the
    product's name says ("hardcover" in "Atomic Habits (Hardcover)"), which every sibling says by naming it."""
    said = content_tokens(text)
    named = content_tokens(brief.product_name)
    return frozenset(f.text for f in brief_facts(brief)
                     if (words := content_tokens(f.value or f.text)) and words <= said and not words <= named)


def repeats_siblings(said: frozenset[str], siblings: list[frozenset[str]]) -> bool:
    """Whether a text that says the facts `said` repeats its siblings (each given by the facts it says): every fact
    it says a sibling already said, or two facts that one sibling says too. Readers judged sets whose texts shared
    a pair of facts ("1 and 4 repeat each other: two-speed transmission + 1/2 in. chuck") as alike; a text that
    says no fact of the brief repeats nothing."""
    if not said or not siblings:
        return False
    return said <= frozenset().union(*siblings) or any(len(said & other) >= 2 for other in siblings)


def unsaid_fact_sentences(text: str, brief: Brief) -> list[str]:
    """A plain sentence for each fact of the brief the text does not say yet, in the brief's order."""
    said = content_tokens(text)
    subject, plural = ("They", True) if is_plural_name(brief.product_name) else ("It", False)
    sentences = []
    for fact in brief_facts(brief):
        words = content_tokens(fact.value or fact.text)  # an attribute is said by its value ("S, M, L")
        if not words <= said:
            sentences.append(fact.sentence(subject, plural=plural))
            said |= words
    return sentences


_FILLER = re.compile(r"(?:^|(?<=[.!?]))\s*Enjoy[.!](?=\s+\S)", re.IGNORECASE)


def drop_filler(text: str) -> str:
    """Without a bare "Enjoy." between sentences: readers took it for filler in every text that had one."""
    return _FILLER.sub("", text).strip()


def needs_mid_sentence_cut(text: str, brief: Brief) -> bool:
    """Whether the copy is too long for its channel unless a sentence is cut in the middle (a cut headline or a
    sentence that stops half way reads broken, so such copy goes back rather than out)."""
    spec = channel_spec(brief.channel)
    body = without_cta(text, brief.cta_goal).strip()
    room = spec.max_chars - cta_room(brief)
    if len(body) <= room:
        return False
    if spec.sentences == 1:
        return True
    kept = ""
    for sentence in split_sentences(body):
        if len(f"{kept} {sentence}".strip()) > room:
            break
        kept = f"{kept} {sentence}".strip()
    return len(kept) < max(spec.min_chars, room * 0.5)


def copy_sentiment(text: str, brief: Brief) -> float:
    """The tone of the copy's own words: the product's name is read as "it" ("Hard Cover" in a name is no mood)."""
    for name in name_forms(brief):
        text = re.sub(rf"(?<!\w){phrase_regex(name)}(?!\w)", "it", text)
    return sentiment_score(text)


def form_problems(text: str, brief: Brief) -> list[str]:
    """Tone outside the band, length outside the channel's limits, no call to action: one line each."""
    spec = channel_spec(brief.channel)
    problems = []
    score = copy_sentiment(text, brief)
    low, high = brief.sentiment_band
    if band_distance(score, brief.sentiment_band) > 0.0:
        problems.append(f"tone {score:+.2f} outside the target band {low:+.2f}..{high:+.2f}")
    if not length_ok(text, brief.channel):
        problems.append(f"length {len(text)} outside the {spec.label} limits {spec.min_chars}..{spec.max_chars}")
    if not cta_as_channel_wants(text, brief):
        problems.append("no call to action" if takes_cta(brief) else f"a call to action in a {spec.label}")
    if says_nothing(text, brief):
        problems.append(f"a {spec.label} that says no fact of the brief")
    return problems


def says_nothing(text: str, brief: Brief) -> bool:
    """Copy of several sentences that says none of the brief's facts nor its price, though the brief has facts its
    name does not already say: "Treat yourself to the KONG Classic Dog Toy. Order now." and "Say hello to the YETI
    Rambler … You'll love it." shipped in round 18 and read as filler (a one-line headline may be the name alone)."""
    if channel_spec(brief.channel).sentences == 1 or (brief.price is not None and price_text(brief) in text):
        return False
    named, said = content_tokens(brief.product_name), content_tokens(text)
    facts = [words - named for f in brief_facts(brief) if (words := content_tokens(f.value or f.text)) - named]
    return bool(facts) and not any(_says(words, said) for words in facts)


def _says(fact: set[str], said: set[str]) -> bool:
    """Whether copy with the content words `said` says a fact: all its words, or two or more that are at least half
    ("long rounded hemline" says the shop's "Longer rounded hemline"; "Treat yourself" does not say "treat
    dispenser")."""
    shared = len(fact & said)
    return shared == len(fact) or (shared >= 2 and shared * 2 >= len(fact))


def shipping_problems(text: str, brief: Brief) -> list[str]:
    """Why finished copy may not ship: blocking compliance or sense findings, then its form problems."""
    findings = [f for f in check_compliance(text, brief) + sense_findings(text, brief) if f.severity == "block"]
    return [f"{f.rule_id} '{f.matched}'" if f.matched else f.rule_id for f in findings] + form_problems(text, brief)
