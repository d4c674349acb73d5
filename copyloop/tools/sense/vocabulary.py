"""Non-words and off-product nouns: the words of copy must be English or the brief's, and about its product.

A garbled word ("insolements", "charbroon", "#BeckerBok") is not English and not in the brief. A product-type
noun the brief never uses ("mascara" in copy for a quilt) means the copy is about another product; true synonyms
in rules/product_types.yaml ("trainer" for "sneaker") are fine.
"""

from __future__ import annotations

import re
from itertools import pairwise

from copyloop.brief import Channel
from copyloop.result import Finding
from copyloop.tools.grounding import content_tokens
from copyloop.tools.rulebook import load_rules, rule_cache
from copyloop.tools.sense.context import BriefContext, name_spans
from copyloop.tools.sense.lexicons import product_types
from copyloop.tools.words import bare, lemmas, word_spans, words, zipf

COPY_WORDS_FILE = "copy_words.yaml"
COMPOSER_FILE = "composer.yaml"
STOCK_FILE = "stock_sentences.yaml"
CTA_FILE = "ctas.yaml"
NON_WORD_ZIPF = 1.5  # rarer than about once in 30 million words: not a word a copywriter would use
_COMPOUND = re.compile(r"[^\W_]+(?:-[^\W_]+)+")
_NUMBER_WITH_UNIT = re.compile(r"^\d+(?:[a-z]{1,4})?$", re.IGNORECASE)


def non_word_findings(text: str, ctx: BriefContext) -> list[Finding]:
    """Tokens that are neither English words nor the brief's own."""
    findings = []
    for match in word_spans(text):
        word = match.group(0)
        if _NUMBER_WITH_UNIT.match(word) or len(word) <= 2 or bare(word) in ctx.words:
            continue
        if zipf(word) < NON_WORD_ZIPF:
            findings.append(Finding(rule_id="sense.non_word", severity="block", span=match.span(), matched=word,
                                    message=f"{word!r} is not an English word and not in the brief."))
    return findings


def _stems(copy_words: dict | None, texts: list[str], templates: list) -> frozenset[str]:
    """The stems of `texts` and of `templates` (slots blanked), with rules/copy_words.yaml's function words."""
    texts = [*texts, *(re.sub(r"\{[^}]*\}", " ", str(t)) for t in templates)]
    function_words = {str(w).lower() for w in (copy_words or {}).get("function_words") or []}
    return frozenset(content_tokens(" ".join(texts)) | function_words)


@rule_cache
def house_vocabulary() -> frozenset[str]:
    """Stems copy may use without the brief: rules/copy_words.yaml, the composer's structures and sentence frames,
    the stock sentences and the CTA library (the words copyloop itself writes)."""
    copy_words, composer, stock, ctas = (load_rules(f) for f in (COPY_WORDS_FILE, COMPOSER_FILE, STOCK_FILE, CTA_FILE))
    texts = [" ".join(map(str, (copy_words or {}).get(key) or [])) for key in ("function_words", "house_words")]
    templates = [t for ts in ((composer or {}).get("templates") or {}).values() for t in ts]
    templates += [form for forms in ((composer or {}).get("attributes") or {}).values() for form in forms.values()]
    templates += [form for forms in (composer or {}).get("sentence_frames") or [] for form in forms]
    texts += [str(s) for s in stock or []]
    texts += [str(p) for goal in (ctas or {}).values() for key in ("phrases", "short") for p in goal.get(key) or []]
    return _stems(copy_words, texts, templates)


@rule_cache
def title_vocabulary() -> frozenset[str]:
    """Stems a catalogue title may use without the brief: the function words and the words of the composer's
    title structures. Not the house words of selling copy ("Your New Choice", "Treats" cut from "Treatise")."""
    copy_words, composer = load_rules(COPY_WORDS_FILE), load_rules(COMPOSER_FILE)
    titles = [t for key in ("templates", "fallbacks")
              for t in ((composer or {}).get(key) or {}).get(Channel.PRODUCT_TITLE.value) or []]
    return _stems(copy_words, [], titles)


def invented_word_findings(text: str, ctx: BriefContext, judged: list[tuple[int, int]] = ()) -> list[Finding]:
    """Content words neither the brief nor copyloop's house vocabulary says: what a model adds to true facts
    ("for dogs and cats", "three batteries", "a blue buddy"); a title gets only the title vocabulary. Numbers are
    judged by the grounding check."""
    house = title_vocabulary() if ctx.brief.channel == Channel.PRODUCT_TITLE else house_vocabulary()
    findings = []
    previous = ""
    for match in word_spans(text):
        word, after_number, previous = match.group(0), previous[:1].isdigit(), match.group(0)
        if word[:1].isdigit() or after_number or any(s <= match.start() and match.end() <= e for s, e in judged):
            continue  # a number and its unit are the grounding check's to judge
        stems = content_tokens(word)
        if stems and not stems & (ctx.content | house) and bare(word) not in ctx.words \
                and not _shares_lemma(word, ctx.words):
            findings.append(Finding(rule_id="sense.invented_word", severity="block", span=match.span(), matched=word,
                                    message=f"{word!r} says something the brief does not; copy may only use the "
                                            f"brief's words and the house vocabulary (rules/{COPY_WORDS_FILE})."))
    return findings


def altered_compound_findings(text: str, ctx: BriefContext) -> list[Finding]:
    """A hyphenated compound of the brief's with one part swapped ("carry-out" for the brief's "carry-on
    travellers"): every part is English, so only the brief's own compound shows the copy changed what it says."""
    own = {w.lower() for w in _COMPOUND.findall(ctx.fact_text)}
    findings = []
    for match in _COMPOUND.finditer(text):
        word = match.group(0).lower()
        if word in own:
            continue
        head, _, tail = word.partition("-")
        for other in own:
            other_head, _, other_tail = other.partition("-")
            if (head == other_head) == (tail == other_tail):
                continue  # the same compound, or an unrelated one
            changed, was = (tail, other_tail) if head == other_head else (head, other_head)
            if lemmas(changed) & lemmas(was):
                continue  # another form of the same part ("double-walled" for "double-wall")
            findings.append(Finding(rule_id="sense.invented_word", severity="block", span=match.span(),
                                    matched=match.group(0),
                                    message=f"{match.group(0)!r} alters the brief's {other!r}."))
            break
    return findings


def altered_fact_findings(text: str, ctx: BriefContext) -> list[Finding]:
    """A fact of the brief repeated with some of its words bent into another form ("a one-touching clean system"
    for "One-Touch cleaning system"): the words are all the brief's, so only the fact itself shows the change.
    Only a word gaining or losing "-ing" counts: "keep drinks cold" for a plural name is agreement, and "Palm-Size"
    for "palm-sized" or "double-walled" for "double-wall" reads the same."""
    findings = []
    titled = ctx.brief.channel == Channel.PRODUCT_TITLE  # no subject: "Sits at the Waist", never "Sit at the Waist"
    spans = [(m.group(0).lower(), m.span()) for m in word_spans(text)]
    for fact in ctx.brief.features:
        wanted = [w.lower() for w in words(fact)]
        size = len(wanted)
        if size < 3:
            continue
        for start in range(len(spans) - size + 1):
            window = [w for w, _ in spans[start:start + size]]
            same = sum(a == b for a, b in zip(window, wanted, strict=True))
            bent = [(a, b) for a, b in zip(window, wanted, strict=True) if a != b]
            if same >= 2 and bent and all(lemmas(a) & lemmas(b) and (a.endswith("ing") != b.endswith("ing")
                                                                      or (titled and b in (a + "s", a + "es")))
                                          for a, b in bent):
                span = (spans[start][1][0], spans[start + size - 1][1][1])
                findings.append(Finding(rule_id="sense.invented_word", severity="block", span=span,
                                        matched=text[span[0]:span[1]],
                                        message=f"{text[span[0]:span[1]]!r} bends the brief's {fact!r}; say it "
                                                "as the brief does."))
        findings += _bent_pairs(text, spans, wanted, fact) + _mixed_facts(text, spans, wanted, fact, ctx)
    return findings


def _mixed_facts(text: str, spans: list[tuple[str, tuple[int, int]]], wanted: list[str], fact: str,
                 ctx: BriefContext) -> list[Finding]:
    """A fact's head with another fact's modifier in front: "built-in lid and bowl" from the brief's "built-in lid
    thermometer" and "porcelain-enameled lid and bowl" says something neither fact says."""
    others = {w.lower() for other in ctx.brief.features if other != fact for w in words(other)}
    named = name_spans(text, ctx.names)  # "Atomic Habits by James Clear" is the name, not a mix of facts
    findings = []
    for lead in (1, 2):  # "built-in" is two words to the tokeniser
        tail = wanted[lead:]
        if len(tail) < 2:
            continue
        for start in range(len(spans) - len(wanted) + 1):
            window = [w for w, _ in spans[start:start + len(wanted)]]
            head = window[:lead]
            span = (spans[start][1][0], spans[start + len(wanted) - 1][1][1])
            if window[lead:] == tail and all(w in others and w not in wanted for w in head) \
                    and not any(s < span[1] and span[0] < e for s, e in named):
                findings.append(Finding(rule_id="sense.invented_word", severity="block", span=span,
                                        matched=text[span[0]:span[1]],
                                        message=f"{text[span[0]:span[1]]!r} mixes two of the brief's facts into "
                                                f"one it does not state ({fact!r})."))
    return findings


def _bent_pairs(text: str, spans: list[tuple[str, tuple[int, int]]], wanted: list[str], fact: str) -> list[Finding]:
    """The brief's "PartyBoost pairing" said as "PartyBoost pair": a word of the fact, then its next word with the
    "-ing" cut off (which turns what the product does into a thing it has)."""
    findings = []
    for first, second in pairwise(wanted):
        if not second.endswith("ing"):
            continue
        for (a, (start, _)), (b, (_, end)) in pairwise(spans):
            if a == first and b != second and not b.endswith("ing") and lemmas(b) & lemmas(second):
                findings.append(Finding(rule_id="sense.invented_word", severity="block", span=(start, end),
                                        matched=text[start:end],
                                        message=f"{text[start:end]!r} bends the brief's {fact!r}; say it as the "
                                                "brief does."))
    return findings


def pluralised_fact_findings(text: str, ctx: BriefContext) -> list[Finding]:
    """A noun of the brief made plural after the word the brief puts before it: "removable seat pads" for one
    "removable seat pad", "practical frameworks" for "a practical framework" — the count is a fact too; and the
    other way round ("a larger loop handle" for "larger loop handles"). Pairs of
    the features and attributes only: a name's compound ("Ice Cube Tray", "Short Sleeve Shirt") is said in the
    plural as a matter of course ("makes ice cubes"), and a number's noun is the grounding check's."""
    lines = [*ctx.brief.features, *ctx.brief.attributes.values()]
    counted = {(a, b.lower()) for line in lines for a, b in pairwise(words(line)) if a[:1].isdigit() and a != "1"}
    pairs = {(a.lower(), b.lower()) for line in lines for a, b in pairwise(words(line))
             if not a[:1].isdigit()}
    spans = list(word_spans(text))
    findings = []
    for first, second in pairwise(spans):
        before, noun = first.group(0).lower(), second.group(0).lower()
        if (before, noun + "s") in counted and text[first.end():second.start()] == " ":  # "15 set" for "15 sets"
            findings.append(Finding(rule_id="sense.invented_word", severity="block", span=(first.start(), second.end()),
                                    matched=text[first.start():second.end()],
                                    message=f"{before} {noun}: the brief says {before} {noun}s."))
            continue
        if (before, noun + "s") in pairs and (before, noun) not in pairs and bare(noun) not in ctx.words \
                and text[first.end():second.start()] == " " and not before[:1].isdigit():  # "a loop handle"
            findings.append(Finding(rule_id="sense.invented_word", severity="block", span=(first.start(), second.end()),
                                    matched=text[first.start():second.end()],
                                    message=f"{before} {noun}: the brief has several ({before} {noun}s)."))
            continue
        if not noun.endswith("s") or noun.endswith("ss") or (before, noun) in pairs or bare(noun) in ctx.words \
                or text[first.end():second.start()] != " ":
            continue
        singular = noun[:-2] if noun.endswith("es") and (before, noun[:-2]) in pairs else noun[:-1]
        if (before, singular) in pairs and singular in lemmas(noun):
            span = (first.start(), second.end())
            findings.append(Finding(rule_id="sense.invented_word", severity="block", span=span,
                                    matched=text[span[0]:span[1]],
                                    message=f"{text[span[0]:span[1]]!r}: the brief has one ({before} {singular})."))
    return findings


_COUNTED_PLURAL = re.compile(r"\b(\d+)\s+((?:[a-z-]+\s+){0,3})([a-z]{3,})s\b")


def singular_count_findings(text: str, ctx: BriefContext) -> list[Finding]:
    """A counted plural of the brief said with "a" and the noun made singular ("a 3 heat and speed setting" for
    "3 heat and speed settings"): one thing where the brief has several, in a phrase English does not allow."""
    findings = []
    for match in _COUNTED_PLURAL.finditer(ctx.fact_text.lower()):
        number, middle, noun = match.groups()
        if number == "1":
            continue
        said = re.compile(rf"\b(?:a|an)\s+{number}\s+{re.escape(middle)}{re.escape(noun)}\b(?!s)", re.IGNORECASE)
        findings += [Finding(rule_id="sense.disfluent_singular_count", severity="block", span=m.span(),
                             matched=m.group(0), message=f"{m.group(0)!r}: the brief has {match.group(0)}.")
                     for m in said.finditer(text)]
    return findings


def _shares_lemma(word: str, brief_words: frozenset[str]) -> bool:
    """Whether the word is another form of one the brief uses ("making" for "makes"), by the lexicon, not by
    stripping letters (which would make "kind" of "kindle")."""
    own = lemmas(word)
    return any(own & lemmas(other) for other in brief_words)


def off_product_findings(text: str, ctx: BriefContext) -> list[Finding]:
    """Product types the copy names that are not the brief's product (nor a synonym of one it names)."""
    types = product_types()
    findings = []
    for match in types.scan.finditer(text):
        key = types.key(match.group(0))
        if key in types.group_of and types.group_of[key] not in ctx.product_groups:
            findings.append(Finding(rule_id="sense.off_product", severity="block", span=match.span(),
                                    matched=match.group(0),
                                    message=f"{match.group(0)!r} is another product; the brief is about "
                                            f"{ctx.brief.product_name!r}."))
    return findings
