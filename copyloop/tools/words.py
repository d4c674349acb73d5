"""Words and sentences of copy: the one tokeniser and sentence splitter the text tools share, and how common a
word is in English.

Word frequencies come from `wordfreq` (installed with its data, no download): a Zipf value of 3 is a word seen
about once per million words, 0 a string English text never uses. The sense checks use them to tell real words
from garbled ones and ordinary words from names. Parts of speech come from `lemminflect`'s lexicon (the NIH
SPECIALIST lexicon, shipped in the package): a small model writes "It has a soft and breathable" when a feature
made of adjectives is treated as a thing.
"""

from __future__ import annotations

import re
from functools import lru_cache

from lemminflect import getAllLemmas
from wordfreq import zipf_frequency

# A word: letters and digits in any script ("Kånken", "L'Oréal"), with inner apostrophes ("don't", "Levi's").
WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# A sentence's end: its punctuation and any closing quote or bracket, before a space or the end ("$29.99" is none),
# and not before a lower-case word ("a 1/2 in. keyless chuck": an abbreviation, which a cut must not end on).
SENTENCE_END = re.compile(r"(?:[.!?…]*[!?…][.!?…]*|\.+(?![\"'”’)\]]*\s+[a-z]))[\"'”’)\]]*(?=\s|$)")
TERMINAL_END = re.compile(r"[.!?…][\"'”’)\]]*$")  # text that ends as a sentence does
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)
_CAMEL = re.compile(r"[a-z][A-Z]")


def words(text: str) -> list[str]:
    """The words of a text, in order."""
    return WORD.findall(text)


def word_spans(text: str) -> list[re.Match[str]]:
    """The words of a text with where each sits."""
    return list(WORD.finditer(text))


def split_sentences(text: str) -> list[str]:
    """Sentences with their end punctuation; a price like '$29.99' does not end one."""
    return [text[start:end] for start, end in sentence_spans(text)]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Where each sentence sits, without the spaces around it (the splitter above, with offsets)."""
    spans, start = [], 0
    for end in [m.end() for m in SENTENCE_END.finditer(text)] + [len(text)]:
        piece = text[start:end]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            spans.append((start + lead, start + len(piece.rstrip())))
        start = end
    return spans


def bare(word: str) -> str:
    """A word without a possessive ending, lower-cased: "Mirai's" -> "mirai"."""
    return _POSSESSIVE.sub("", word).replace("’", "'").lower()


@lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    """How common a word is in English (Zipf scale: 7 'the', 3 once per million words, 0 never seen)."""
    return zipf_frequency(bare(word), "en")


@lru_cache(maxsize=65536)
def can_be_adjective(word: str) -> bool:
    """Whether the lexicon lists the word as an adjective ("soft", "breathable", "low"), whatever else it may be."""
    return "ADJ" in getAllLemmas(bare(word))


@lru_cache(maxsize=65536)
def lemmas(word: str) -> frozenset[str]:
    """The word's dictionary forms as a verb or a noun ("making" -> make, "beans" -> bean), itself included: a
    fact's "makes 8 cups" grounds copy that says "making 8 cups". Not adjectives: "better" is not "good"."""
    lower = bare(word)
    found = getAllLemmas(lower)
    return frozenset({lower, *(lemma.lower() for pos in ("VERB", "NOUN") for lemma in found.get(pos, ()))})


@lru_cache(maxsize=65536)
def can_be_noun(word: str) -> bool:
    """Whether the lexicon lists the word as a noun ("table", "cable"); not a coined adjective ("customizable")."""
    return "NOUN" in getAllLemmas(bare(word))


@lru_cache(maxsize=65536)
def can_be_verb(word: str) -> bool:
    """Whether the lexicon lists the word as a verb form ("changes", "keeps"), whatever else it may be."""
    return "VERB" in getAllLemmas(bare(word))


def is_camel_case(word: str) -> bool:
    """A coined name written with an inner capital ("TrailCool", "iPhone"): never a plain dictionary word."""
    return bool(_CAMEL.search(word))


_AN_EXCEPTIONS = ("hour", "honest", "honou", "heir", "8", "11", "18")
_A_EXCEPTIONS = ("uni", "use", "usu", "uti", "eu", "one", "once", "ur")


# Initialisms said letter by letter although they could be read as words ("an LED", "a USB", "an HDMI").
_INITIALISMS = frozenset({"ABS", "EVA", "HD", "HDMI", "LCD", "LED", "MP3", "NFC", "OLED", "RGB", "SSD", "SUV", "UHD",
                          "USB", "UV", "XL"})


def _is_initialism(word: str) -> bool:
    """A word said letter by letter: a listed initialism, or capitals without a vowel ("SPF", "FM")."""
    return word in _INITIALISMS or (len(word) > 1 and word.isupper() and word.isalpha()
                                    and not re.search(r"[AEIOUY]", word))


def article_for(word: str) -> str:
    """"a" or "an" before a word, by how it sounds ("an hour", "a unique", "an 18-piece", "an LED": an initialism
    is said letter by letter)."""
    if _is_initialism(word):
        return "an" if word[0] in "AEFHILMNORSX" else "a"
    lower = word.lower()
    if lower.startswith(_AN_EXCEPTIONS):
        return "an"
    return "an" if lower[:1] in "aeiou" and not lower.startswith(_A_EXCEPTIONS) else "a"


# An article and the word after it. "A"/"An" count only where a sentence or a separated part starts: mid-sentence
# a capital A is a letter ("Vitamin A and E", "Grade A cotton").
_ARTICLE_BEFORE = re.compile(r"(?:(?<=^)|(?<=[.!?:|–—-]\s)|(?<=\s-\s))(A|An)\s+(?=([\w][\w/'’.-]*))"
                             r"|\b(a|an)\s+(?=([\w][\w/'’.-]*))")
# Sounds an article can be sure of; words that begin with "u", "eu", "o" or "h" sound either way ("a union",
# "an urn", "a one-off", "an hour"), so those are left as written unless listed here.
_SURE_AN = re.compile(r"(?:[aei](?!u)|o(?!ne|nce)|un(?!i)|up|ul|um|ug|ud|8|11(?!\d)|18(?!\d))", re.IGNORECASE)
_SURE_A = re.compile(r"(?:[bcdfgjklmnpqrstvwxyz]|h(?!our|onest|onou|eir)|[1-79]|1(?!1(?!\d)|8(?!\d)))",
                     re.IGNORECASE)
# Words no article precedes: after one of these, "A" is a letter ("Plan: A or B").
_NOT_AFTER_ARTICLE = frozenset({"and", "or", "to", "in", "of", "for", "with", "is", "are", "at", "on", "by", "as"})


def agree_articles(text: str) -> str:
    """ "a" and "an" made to agree with the sound of the next word where it is certain ("a unpredictable" → "an
    unpredictable", "a 18/8 steel" → "an 18/8 steel", "an sturdy" → "a sturdy", "a LED" → "an LED"). Other letters and
    acronyms ("a NASA", "Grade A") and words that sound either way are left as written."""
    def agree(match: re.Match[str]) -> str:
        article = match.group(1) or match.group(3)
        word = match.group(2) or match.group(4)
        letters = word.isupper() or (len(word) == 1 and word.isalpha())  # "an LED", "a USB", "Grade A"
        if (letters and not _is_initialism(word)) or word.lower() in _NOT_AFTER_ARTICLE:
            return match.group(0)
        wanted = article_for(word) if letters else "an" if _SURE_AN.match(word) else "a" if _SURE_A.match(word) \
            else article.lower()
        if wanted == article.lower():
            return match.group(0)
        return (wanted.capitalize() if article[0].isupper() else wanted) + match.group(0)[len(article):]
    return _ARTICLE_BEFORE.sub(agree, text)
