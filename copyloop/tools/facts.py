"""A brief's facts as words copy can use: each feature, attribute, price and audience in the forms a sentence,
a list or a title needs ("keeps drinks cold" -> "It keeps drinks cold.", "Keeps Drinks Cold").

The composer builds copy from these forms, and the drafter asks the model about one fact at a time, so both say
only what the brief says. Word lists live in rules/composer.yaml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from copyloop.brief import Brief, format_price
from copyloop.tools.rulebook import load_rules
from copyloop.tools.words import (
    article_for,
    can_be_adjective,
    can_be_noun,
    can_be_verb,
    lemmas,
    split_sentences,
    words,
    zipf,
)

COMPOSER_FILE = "composer.yaml"
Kind = Literal["verb", "clause", "state", "imperative", "thing", "spec"]
_SMALL_WORDS = frozenset({"a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "of", "on", "or",
                          "the", "to", "via", "vs", "with"})
_QUANTIFIERS = frozenset({"a", "an", "the", "each", "every", "all", "both", "one", "two", "three", "four", "five",
                          "six", "seven", "eight", "nine", "ten", "twelve", "up", "over", "under", "more", "its",
                          "their", "your", "our", "no", "any", "some", "many", "several"})
_WHERE_ON_IT = frozenset({"interior", "exterior", "inner", "outer", "inside", "outside", "lining", "coating", "trim"})
_NUMBERS = frozenset({"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                      "twelve", "twenty", "thirty", "fifty", "hundred"})
_POSTPOSED = frozenset(["included", "required", "needed", "optional", "sold separately", "not included"])
_PREPOSITIONS = frozenset(["with", "in", "for", "to", "from", "by", "on", "at", "and", "or", "as", "into", "of"])
_UNCOUNTABLE_ENDINGS = ("tion", "sion", "ing", "ness", "ology", "ware")  # "vacuum insulation", "charging technology"
_HEAD_STOP = frozenset(["with", "made", "for", "in", "that", "from", "of", "to", "which", "on", "including"])


def composer_rules() -> dict[str, Any]:
    return load_rules(COMPOSER_FILE)


def _word_set(name: str) -> frozenset[str]:
    return frozenset(str(w).lower() for w in composer_rules().get(name) or [])


def object_imperatives() -> frozenset[str]:
    """Instructions whose object is the product ("leave on", "massage into"): never said as what it does."""
    return _word_set("object_imperatives")


def fact_verbs() -> frozenset[str]:
    """Words that open a feature written as a verb phrase ("keeps", "works", "expands")."""
    return _word_set("verbs")


def clause_verbs() -> frozenset[str]:
    """Verbs that, after a noun, make a feature a whole clause ("brake button stops the basket")."""
    return _word_set("clause_verbs")


@dataclass(frozen=True)
class Fact:
    """One fact of the brief and the words that carry it."""

    text: str  # as a phrase: "keeps drinks cold for 24 hours"
    kind: Kind
    sentence_text: str | None = None  # attributes bring their own sentence
    value: str | None = None  # an attribute's value alone

    def predicate(self, plural: bool = False, verb: str = "has") -> str | None:
        """What the product does or is, after its subject: "keeps drinks cold", "is made in the USA"."""
        if self.kind == "verb":
            return agree(self.text, plural)
        if self.kind == "state":  # "made in France since 1961": "has been made"; "developed with ...": "was"
            if re.search(r"\bsince\b", self.text):
                return f"{'have' if plural else 'has'} been {self.text}"
            once = self.text.split()[0].lower() in _word_set("past_states")
            return f"{('were' if plural else 'was') if once else ('are' if plural else 'is')} {self.text}"
        if self.kind == "thing":
            if verb == "has" and self.is_material:
                return f"{'are' if plural else 'is'} made of {self.text}"
            if self.is_packaging:
                return f"{agree('comes', plural)} in {self.text}"
            return f"{agree(verb, plural)} {with_article(self.text)}"
        return None

    @property
    def is_material(self) -> bool:
        """A thing that is what the product is made of ("100% cotton muslin", "natural rubber"); not a part of it
    ("light sand-colored interior enamel": a Dutch oven is not made of its inside's enamel)."""
        tokens = self.text.lower().split()
        return self.kind == "thing" and tokens[-1] in _word_set("materials") and not set(tokens) & _WHERE_ON_IT

    @property
    def is_packaging(self) -> bool:
        """A count of containers, which the product comes in ("four 0.15 oz tubes": a lip balm does not "have"
        four tubes, which both readers edited)."""
        tokens = self.text.lower().split()
        return self.kind == "thing" and len(tokens) > 1 and (tokens[0][:1].isdigit() or tokens[0] in _NUMBERS) \
            and bool(lemmas(tokens[-1]) & _word_set("containers")) and not re.search(r",|\band\b", self.text)

    def sentence(self, subject: str = "It", also: bool = False, plural: bool = False, verb: str = "has") -> str:
        """A whole sentence stating the fact, with `subject` doing or being it."""
        if self.sentence_text:  # an attribute's own sentence, said of "They" for a plural product
            said = self.sentence_text
            return f"They {agree(said[3:], True)}" if plural and said.startswith("It ") else said
        if self.kind in ("clause", "imperative"):
            opener = self.text if self.kind == "imperative" or self.text.split()[0].lower() in _QUANTIFIERS \
                else f"the {self.text}"
            return _sentence(opener)
        predicate = self.predicate(plural, verb) or self.text
        if also:
            first, _, rest = predicate.partition(" ")
            predicate = f"{first} also {rest}" if first in ("is", "are", "was", "were") or rest.startswith("been ") \
                else f"also {predicate}"
        return _sentence(f"{subject} {predicate}")

    @property
    def phrase(self) -> str | None:
        """The fact as a phrase after a colon; clauses, instructions and attribute specs do not read as one."""
        return None if self.kind in ("clause", "imperative", "spec") else self.text

    @property
    def title(self) -> str | None:
        """The fact in Title Case, for titles and headlines (an attribute by its value: "Cast Iron", "Queen")."""
        if self.kind in ("clause", "imperative"):
            return None
        if self.kind == "verb" and re.match(r"is an?\s", self.text):  # what the product is: "Treatise on Comets"
            return title_case(self.text.split(" ", 2)[2])
        return title_case(self.value if self.kind == "spec" and self.value else self.text)


def agree(verb_phrase: str, plural: bool) -> str:
    """The verb phrase with its first verb agreeing with a plural subject: "keeps drinks cold" -> "keep drinks cold"."""
    if not plural:
        return verb_phrase
    verb, _, rest = verb_phrase.partition(" ")
    if verb == "has":
        verb = "have"
    elif verb == "is":
        verb = "are"
    elif verb.endswith("ies"):
        verb = verb[:-3] + "y"
    elif verb.endswith(("sses", "shes", "ches", "xes", "zes")):
        verb = verb[:-2]
    elif verb.endswith("s") and not verb.endswith("ss"):
        verb = verb[:-1]
    return f"{verb} {rest}".strip()


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".;,")
    return text[:1].upper() + text[1:] + "."


_UNITS = frozenset(["cm", "mm", "m", "ml", "l", "oz", "fl", "lb", "lbs", "kg", "g", "in", "ft", "qt", "x", "mah", "w",
                    "v", "gb", "tb", "hz", "mph"])


def title_case(text: str) -> str:
    """Capitalise each word but small words and units; words already holding capitals stay as written."""
    out = []
    for i, word in enumerate(text.split(" ")):
        core = word.lower().strip(".,")
        if any(c.isupper() for c in word) or (i and core in _SMALL_WORDS | _UNITS):
            out.append(word)
        else:  # each part of a compound: "Double-Breasted", "16th-Century"
            out.append("-".join(part if re.match(r"^\d", part) else part[:1].upper() + part[1:]
                                for part in word.split("-")))
    return " ".join(out)


def with_article(phrase: str) -> str:
    """The phrase with "a"/"an" where English wants one ("a non-slip base", but "soft merino wool", "240 pages")."""
    tokens = phrase.split()
    if not tokens or tokens[0].lower() in _QUANTIFIERS:
        return phrase
    head = next((tokens[i - 1] for i, t in enumerate(tokens) if i and t.lower() in _HEAD_STOP), tokens[-1])
    head = head.lower().strip(",.")
    mass = _word_set("mass_nouns") | _word_set("materials")
    if (head.endswith("s") and not head.endswith("ss")) or head in mass or head.split("-")[-1] in mass \
            or _uncountable(head):
        return phrase
    return f"{article_for(tokens[0])} {phrase}"


_PLURAL_RARITY = 1.0  # Zipf gap between a noun and its plural above which English uses the noun as a mass


def _uncountable(head: str) -> bool:
    """Whether a noun ending like a mass noun is one: "vacuum insulation", "charging technology", but "a two-speed
    transmission" and "a quilted lining", whose plurals English uses (measured by word frequency)."""
    return head.endswith(_UNCOUNTABLE_ENDINGS) and zipf(head) - zipf(head + "s") >= _PLURAL_RARITY


def is_plural_name(name: str) -> bool:
    """Whether a product name reads as plural ("Sea Salt Flakes", "Swaddle Blankets, 4 Pack" -> the flakes are)."""
    head = re.split(r"[,(]", name)[0].split()
    last = head[-1].lower() if head else ""
    return last.endswith("s") and not last.endswith(("ss", "us", "is", "'s", "’s")) and last.isalpha()


def lower_first(text: str) -> str:
    """Lower-case the first letter unless the phrase looks like a name ("ThermoJet", "Quiet and Aware modes") or
    starts with a word English does not have in lower case ("Croslite foam": a maker's material)."""
    found = words(text)
    if not found or any(c.isupper() for w in found[1:] for c in w) or any(c.isupper() for c in found[0][1:]) \
            or (found[0][:1].isupper() and zipf(found[0].lower()) == 0):
        return text
    return text[:1].lower() + text[1:]


def and_list(items: list[str]) -> str:
    """Items as a sentence lists them, the last joined by "and": "S, M and L"."""
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


def lower_items(value: str) -> str:
    """A list value as a sentence says it: each item lower-cased where English writes it so, the last joined by
    "and" ("Fleece, LumaTech™, Spandex, Wool" -> "fleece, LumaTech™, spandex and wool")."""
    items = [lower_first(item.strip()) for item in value.split(", ") if item.strip()]
    return and_list(items) if items else value


def sentence_value(key: str, value: str) -> str | None:
    """How a sentence says an attribute's value where its key's wording lower-cases it (materials), else None."""
    forms = composer_rules().get("attributes") or {}
    form = forms.get(key.strip().lower())
    return lower_items(value.strip()) if form and "{value_lower}" in form["sentence"] else None


def classify(feature: str) -> Kind:
    """What kind of phrase a feature is, from its first words."""
    tokens = [w.lower().strip(",.") for w in feature.split()]
    first = tokens[0]
    endings = _word_set("state_endings")
    after = tokens[1] if len(tokens) > 1 else None
    if first in fact_verbs() or (first == "is" and after in ("a", "an")):
        return "verb"  # "keeps drinks cold", "is a 16th-century treatise on comets"
    if first in _word_set("imperatives"):
        return "imperative"
    if tokens[-1] in _POSTPOSED or first in ("no", "zero"):
        return "spec"  # "assembly required", "batteries included": a label, said as it is
    if first in _word_set("states") or (len(tokens) == 1 and not first.endswith("s")):
        return "state"  # "made in the USA", "retractable"
    adjective = any(first.endswith(e) for e in endings) \
        or (first.endswith(("able", "ible")) and (can_be_adjective(first) or not can_be_noun(first)))
    if first.islower() and adjective and (after is None or after in _PREPOSITIONS):
        return "state"  # "pre-seasoned with vegetable oil", "fragrance-free", "customizable with Jibbitz charms";
        # not "hinged cooking grate"
    if len(tokens) >= 2 and any(tokens[-1].endswith(e.lstrip("-")) for e in endings if e != "ed"):
        return "state"  # "water resistant", "machine washable", "IP67 waterproof and dustproof"
    if _adjectives_only(tokens):
        return "state"  # "soft and breathable", "smooth and low in acidity", "rich in antioxidants"
    if any(t in clause_verbs() for t in tokens[1:4]):
        return "clause"
    return "thing"


def _adjectives_only(tokens: list[str]) -> bool:
    """Whether a feature is adjectives joined by "and" ("soft and breathable", "smooth and low in acidity") or
    one adjective with its complement ("rich in antioxidants"): then the product *is* that, it does not *have* it.
    Not "medium roast" or "reflective trim": most nouns can be adjectives too, so a lone pair says nothing."""
    head: list[str] = []
    for token in tokens:
        if token in _PREPOSITIONS - {"and", "or"}:
            break
        head.append(token)
    adjectives = [t for t in head if t not in ("and", "or")]
    joined = len(adjectives) == 2 and len(head) == 3 and head[1] in ("and", "or")
    complemented = len(head) == 1 and len(tokens) > 1 and tokens[1] not in ("of", "to")
    return (joined or complemented) and all(can_be_adjective(t) for t in adjectives)


def feature_fact(feature: str) -> Fact:
    """A feature as a Fact; a labelled one ("assembly required") is said as it stands."""
    text = lower_first(feature.strip().rstrip(".;"))
    kind = classify(text)
    return Fact(text=text, kind=kind, sentence_text=_sentence(text) if kind == "spec" else None)


def attribute_fact(key: str, value: str) -> Fact:
    """An attribute ("color: Slate") as a Fact, worded by its key (rules/composer.yaml `attributes`)."""
    forms = composer_rules().get("attributes") or {}
    form = forms.get(key.strip().lower()) or forms.get("default") or {"phrase": "{key} {value}",
                                                                      "sentence": "{Key}: {value}."}
    items = [item.strip() for item in value.split(",") if item.strip()]
    values = {"value": value.strip(), "value_lower": lower_items(value.strip()), "key": key.strip().lower(),
              "Key": key.strip()[:1].upper() + key.strip()[1:],
              "value_list": and_list(items) if len(items) > 1 else value.strip()}
    if len(items) > 1 and "sentence_many" in form:  # "It comes in sizes S, M and L", not "Size: S, M, L."
        form = {"phrase": form.get("phrase_many", form["phrase"]), "sentence": form["sentence_many"]}
    phrase = form["phrase"].format(**values)
    if key.strip().lower() not in forms and len(key.split()) > 1:
        phrase = f"{values['key']} {value.strip()}"
    return Fact(text=phrase, kind="spec", sentence_text=form["sentence"].format(**values), value=value.strip())


_BULLET = re.compile(r"\s*[•·▪●]\s*|\n+")
_NOT_A_FACT = re.compile(r"\b(?:you|your|yours|we|our|us|i|my|me)\b|[?!:™®]|\b(?:perfect|best|ideal|must|amazing|"
                         r"special|offer|free|new|love|dream|magic)\b", re.IGNORECASE)
REFERENCE_FACT_WORDS = (2, 8)  # a fact from the shop's copy is a short phrase, not a sentence of prose
_PRONOUN_STARTS = frozenset(["it", "it's", "its", "they", "these", "this", "that", "there", "the", "what", "when",
                             "whether", "so", "and", "but", "or", "if", "with"])


def reference_facts(brief: Brief) -> list[str]:
    """Plain facts from the shop's own description: its bullet points and short, sober sentences
    ("Dark gray shorts with red accents", "Machine wash/dry"), never its jokes, questions or offers."""
    if not brief.reference_copy:
        return []
    from copyloop.tools.grounding import vocabulary
    from copyloop.tools.sense.lexicons import product_types

    low, high = REFERENCE_FACT_WORDS
    bulleted = bool(re.search(r"[•·▪●]", brief.reference_copy))
    found: list[str] = _what_it_is(brief.reference_copy)
    for index, part in enumerate(_BULLET.split(brief.reference_copy)):
        for sentence in split_sentences(part):
            phrase = sentence.strip(" -–—*").rstrip(".;")
            found += [p for p in _said_of_the_product(phrase) if p not in found]
            if not low <= len(phrase.split()) <= high or _NOT_A_FACT.search(phrase) or phrase in found \
                    or phrase.split()[0].lower() in _PRONOUN_STARTS:
                continue
            concrete = re.search(r"\d", phrase) or product_types().scan.search(phrase) or \
                (vocabulary().scan is not None and vocabulary().scan.search(phrase))
            if (bulleted and index > 0) or concrete:
                found.append(lower_first(phrase))
    return found


_OPENING_IDENTITY = re.compile(r"^\s*(An?)\s+([^,.;:()!?\n]+?)\s*(?=[,.;:(!?\n]|$)")


def _what_it_is(reference: str) -> list[str]:
    """What the shop's copy says the product is, when it opens by saying so: "A 16th-century treatise on comets,
    created ..." -> "is a 16th-century treatise on comets" (a brief with no other fact can still be titled)."""
    found = _OPENING_IDENTITY.match(reference)
    if not found:
        return []
    phrase = f"{found.group(1).lower()} {found.group(2)}"
    low, high = REFERENCE_FACT_WORDS
    if not low + 1 <= len(phrase.split()) <= high or _NOT_A_FACT.search(phrase):
        return []
    return [f"is {phrase}"]


_THIS_PRODUCT = re.compile(r"^(?:this|these|the|our)\s+(?:[\w-]+\s+){0,4}?(?=(?:has|have|can|is|are)\s)", re.IGNORECASE)


def _said_of_the_product(sentence: str) -> list[str]:
    """Plain facts from a sentence about the product itself: "This bamboo glass jar can hold 57 oz (1.7 l) and is
    perfect for any kitchen" -> "can hold 57 oz (1.7 l)"; "This hairdryer has 3 heat and speed settings" ->
    "3 heat and speed settings". Clauses with praise or offers are left out."""
    subject = _THIS_PRODUCT.match(sentence)
    if not subject:
        return []
    low, high = REFERENCE_FACT_WORDS
    found = []
    for clause in re.split(r",\s*|\s+and\s+(?=(?:has|have|can|is|are)\s)", sentence[subject.end():]):
        clause = re.sub(r"^(?:has|have)\s+", "", clause.strip())
        if low <= len(clause.split()) <= high and not _NOT_A_FACT.search(clause) \
                and not re.match(r"(?:is|are)\s", clause):
            found.append(clause)
    return found


def brief_facts(brief: Brief) -> list[Fact]:
    """Every fact of the brief: features, then plain facts from the shop's own copy, then attributes."""
    features = [*brief.features, *(f for f in reference_facts(brief) if f not in brief.features)]
    facts = [feature_fact(_as_identity(f, brief)) for f in features if f.strip()]
    facts += [attribute_fact(k, v) for k, v in brief.attributes.items() if v.strip() and _readable_key(k, v)]
    return facts


def _as_identity(feature: str, brief: Brief) -> str:
    """A feature that names the product's own kind says what the product is, not what it has: "full-zip gray and
    black hoodie" for the Hero Hoodie -> "is a full-zip gray and black hoodie" (never "It has a ... hoodie")."""
    from copyloop.tools.sense.lexicons import product_types

    tokens = feature.strip().rstrip(".;").split()
    if len(tokens) < 2 or classify(lower_first(feature)) != "thing":
        return feature
    kind = re.split(r"\s+with\s+|[,(]", brief.product_name)[0]  # "Barbour Jacket with ... System": a jacket
    typed = [w for m in product_types().scan.finditer(kind) for w in m.group(0).split()] or kind.split()[-1:]
    leaf = brief.category.split(">")[-1].split() if brief.category else []  # "Hair Care > Treatments"
    own = {lemma for w in typed + leaf[-1:] for lemma in lemmas(w.lower())} | _word_set("identity_nouns")
    phrase = lower_first(feature.strip().rstrip(".;"))
    articled = with_article(phrase)
    at = next((i - 1 for i, t in enumerate(tokens) if i and t.lower() in _HEAD_STOP), len(tokens) - 1)
    if articled == phrase and is_plural_name(brief.product_name):
        return _plural_identity(phrase, brief) or feature
    if articled == phrase or not lemmas(tokens[at].strip(",")) & own:
        return feature  # a plural or uncountable head ("straight leg pants") would not agree with "It is"
    if any(t.lower().endswith("s") and can_be_verb(t) for t in tokens[1:at]):
        return feature  # "modular board changes every game" is a clause, not a name for the product
    return f"is {articled}"


def _plural_identity(phrase: str, brief: Brief) -> str | None:
    """What a plural product is, from a feature ending in its own name ("pyramid-shaped salt flakes" for the Sea Salt
    Flakes -> "pyramid-shaped": "They are pyramid-shaped"; both readers cut "the Salt Flakes have ... salt flakes").
    Only a single describing word; None otherwise."""
    named = {lemma for word in words(brief.product_name.lower()) for lemma in lemmas(word)}
    tokens = phrase.split()
    head = len(tokens)
    while head > 0 and lemmas(tokens[head - 1].lower()) & named:
        head -= 1
    return tokens[0] if head == 1 and head < len(tokens) else None


def _readable_key(key: str, value: str) -> bool:
    """Attributes a shopper can read: not a system key ("style_bottom") and not a spec dump ("W 15" x H 15" ...")."""
    return "_" not in key and key.strip().lower() not in ("dimensions", "sku", "id") and len(value) <= 60


def price_text(brief: Brief) -> str | None:
    """The brief's price as shoppers read it, if it has one."""
    return format_price(brief.price, brief.currency) if brief.price is not None else None
