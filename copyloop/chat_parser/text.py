"""Small text helpers the chat parser shares: words, filler, tidying clauses, numbers written as words."""

from __future__ import annotations

import re
from collections.abc import Iterable

from copyloop.chat_parser.lexicon import _norm

# ---------------------------------------------------------------------------------------------------------------
# Small text helpers

_WORD = re.compile(r"[\w'’+#&-]+")
_ROLE_TURN = re.compile(
    r"(?:<\|[^|>\n]{0,40}\|>|\[/?INST\]|<</?SYS>>|</?s>)\s*(?:(?:system|assistant|developer)\b[^\n<\[]*)?"
    r"|^[ \t]*(?:system|assistant|developer)[ \t]*:[^\n]*",
    re.IGNORECASE | re.MULTILINE,
)
_INJECTION_NOTE = "instruction-like text was ignored; only product details are used"
_CLAUSE_SPLIT = re.compile(r"\n|;|(?<!\d),|,(?!\d)|[.!?]+(?=\s|$)|\s+[-–—]+\s+|\s*[|•]\s*")
_QUOTED = re.compile(r"[\"“”]([^\"“”\n]{1,80})[\"“”]|(?<!\w)['‘]([^'‘’\n]{1,80}?)['’](?!\w)")
_FILLER = frozenset(
    ["a", "an", "the", "and", "or", "but", "for", "about", "of", "to", "in", "on", "at", "as", "with", "by", "from",
     "it", "its", "it's", "this", "that", "these", "those", "is", "are", "be", "write", "create", "draft", "generate",
     "make", "give", "me", "us", "some", "copy", "copies", "please", "pls", "thanks", "thank", "you", "hi", "hello",
     "hey", "ok", "okay", "need", "want", "i", "we", "i'm", "we're", "can", "could", "would", "like", "help",
     "variant", "variants", "option", "options", "version", "versions", "idea", "ideas", "line", "lines", "cta",
     "goal", "tone", "voice", "style", "now", "today", "also", "plus", "just", "only", "quick", "let's", "lets", "do",
     "get", "go", "got", "here", "here's", "one", "ones", "few", "couple", "new", "our", "my", "your", "default",
     "whatever", "idk", "skip", "none", "n/a", "na", "any", "matter", "doesn't", "dunno", "sure", "yes", "no", "yep",
     "nope", "fine", "choose", "decide", "up", "will", "should", "something", "catchy", "use"]
)
_LEADING_FILLER = re.compile(r"^(?:(?:it'?s|its|it|they'?re|they|also|and|plus|that|which|with|but|so|&)\s+)+",
                             re.IGNORECASE)
_DETERMINERS = re.compile(
    r"^(?:(?:a|an|the|our|my|this|these|their|your|its|some|new|brand[\s-]new|all[\s-]new|latest)\s+)+", re.IGNORECASE
)
_NAME_INTRO = re.compile(
    r"^(?:(?:hi|hey|hello)\b[\s!,]*)?(?:(?:please|pls|kindly)\s+)?(?:(?:can|could|would)\s+you\s+)?"
    r"(?:(?:(?:write|create|draft|generate|make|produce|give\s+me|come\s+up\s+with|i\s+need|we\s+need|need"
    r"|i\s+want|we\s+want|help\s+me(?:\s+(?:write|sell|market))?)\b(?:[^\n]{0,60}?\s)?(?:for|about|on|selling"
    r"|promoting)\s+)"
    r"|(?:(?:i'?m|we'?re|we\s+are|i\s+am)\s+)?(?:selling|launching|introducing|promoting|listing|releasing)\s+"
    r"|(?:meet|presenting)\s+"
    r"|(?:it'?s|it\s+is|this\s+is|that'?s|we\s+(?:have|sell|make)|we'?ve\s+got|i\s+(?:have|sell|make)"
    r"|product\s+is|the\s+product\s+is)\s+"
    r"|(?:for|about|on)\s+(?=(?:our|my|the|a|an|this|these|their|your)\b))*",
    re.IGNORECASE,
)
_NEW_PRODUCT = re.compile(r"^\s*(?:new|next|another|different)\s+(?:product|brief|item)\b\s*[:\-–—]?\s*",
                          re.IGNORECASE)
_SIZE = re.compile(
    r"(?<![\w.])\d+(?:[.,]\d+)?\s?-?\s?(?:fl\.?\s?oz|ml|l|litres?|liters?|oz|ounces?|g|grams?|kg|lbs?|mah|wh|w"
    r"|watts?|v|gb|tb|mb|mm|cm|m|in|inch(?:es)?|ft|qt|quarts?|gal(?:lons?)?|hours?|hrs?|h|%)(?![\w-])",
    re.IGNORECASE,
)
_TAIL_STARTERS = frozenset(
    ["with", "that", "which", "featuring", "for", "from", "in", "made", "crafted", "designed", "built", "handcrafted",
     "to", "so", "using", "without", "who", "where", "when", "plus"]
)
_NP_START = frozenset(["a", "an", "the", "our", "my", "this", "these", "their", "your", "its"])
_SMALL_WORDS = frozenset(["a", "an", "and", "or", "of", "for", "with", "in", "on", "the", "to", "by", "at", "from"])
_NAME_CHARS_RE = re.compile(r"[^\w\s&'’+.#/-]")
_PEOPLE_SUFFIX = re.compile(r"(?:ers|ists|ians|ents|ees|ors|ites)$")
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a couple of": 2, "a couple": 2, "a few": 3}
_NUM = r"\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a\s+couple(?:\s+of)?|a\s+few"
_NUM_RE = re.compile(rf"\b(?:{_NUM})\b", re.IGNORECASE)
_VALUE_END = re.compile(r",\s|[.!?](?=\s|$)")
_LIST_SPLIT = re.compile(r"\s*[,/]\s*")
_NOT_TONE_CHARS = re.compile(r"[^\w\s,&'-]")
_SKU_VALUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
_WHO = re.compile(r"\s+who\b", re.IGNORECASE)
_PARTICIPLE = re.compile(r"(?:ed|ing)$", re.IGNORECASE)
_TAIL_GLUE = re.compile(r"^(?:with|featuring|that|which|who|plus)\s+", re.IGNORECASE)
_ROLE_WORD = re.compile(r"system|assistant|developer", re.IGNORECASE)
_ONLY_REFS = re.compile(r"(?:#?\s*\d{1,2}\s*)+")


def _words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


def _is_filler(text: str, extra: Iterable[str] = ()) -> bool:
    """Whether a clause carries no information (chat glue like 'write me some', 'thanks', 'use default')."""
    allowed = _FILLER | set(extra)
    return all(w in allowed or (w.isdigit() and len(w) <= 2) for w in _words(text))


def _tidy(clause: str) -> str:
    """Trim quotes, brackets, punctuation and leading glue words ('it', 'also', 'with') off a clause."""
    clause = clause.strip(" \t\"'“”‘’()[]{}:,.-–—*_")
    clause = _LEADING_FILLER.sub("", clause)
    return clause.strip(" \t\"'“”‘’()[]{}:,.-–—*_")


def _number(text: str) -> int | None:
    """A small count from digits or words ('5', 'three', 'a couple')."""
    text = _norm(text)
    if text.isdigit():
        return int(text)
    return _NUMBER_WORDS.get(text)


def _dedupe(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        key = _norm(item)
        if key and key not in seen:
            seen.add(key)
            out.append(item)
    return out
