"""Turn a small model's raw output into clean copy, and hold copy to a channel's length and style limits.

SmolLM2-135M wraps its answer in chat preambles, lists several options, loops and stops mid-sentence. Every
function here is pure and deterministic, so agents, fine-tuning rewards and evaluation clean and measure
text the same way.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from copyloop.brief import Channel
from copyloop.tools.channels import ChannelSpec, channel_spec
from copyloop.tools.chat_template import END_OF_TURN, TEMPLATE_TOKENS
from copyloop.tools.reward_inputs import completion_text, sample_values
from copyloop.tools.words import SENTENCE_END, TERMINAL_END, agree_articles, split_sentences
from copyloop.tools.words import WORD as _WORD

# --- shared vocabulary -------------------------------------------------------------------------------------

# Words a sentence or headline cannot end on: seeing one last means the model was cut off mid-thought.
# Words that legitimately end copy ('Sign in', 'Learn more', 'Try this', 'Our best yet') are left out.
# fmt: off
DANGLING_WORDS = frozenset(
    {
        "a", "an", "the", "and", "or", "but", "nor", "so", "for", "with", "without", "to", "of", "at", "by", "from",
        "into", "onto", "about", "as", "than", "then", "which", "who", "whose", "whom", "your", "our", "my", "its",
        "their", "is", "was", "were", "be", "been", "being", "will", "would", "could", "should", "may", "might", "must",
        "just", "very", "also", "such", "including", "featuring", "while", "when", "where", "if", "because", "via",
        "per", "vs", "on", "over", "under", "through", "across", "like", "are", "has", "have", "not", "no",
        "both", "either", "neither", "each", "every", "some", "any",
    }
)
# fmt: on

_EMOJI_BASE = "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\u3030\u303d\u3297\u3299]"
_EMOJI_MOD = "[\ufe0f\U0001f3fb-\U0001f3ff]*"
EMOJI = re.compile(f"(?:[\U0001f1e6-\U0001f1ff]{{2}}|{_EMOJI_BASE}{_EMOJI_MOD}(?:\u200d{_EMOJI_BASE}{_EMOJI_MOD})*)")

_TRAILING_EMOJI = re.compile(f"(?:\\s*(?:{EMOJI.pattern}))+$")

# --- extract_copy: preambles, labels, options, chatter -----------------------------------------------------

_COPY_NOUNS = (
    r"subject|headline|title|description|post|copy|options?|versions?|notification|tagline|caption|ad|line|"
    r"text|variants?|slogan|message|tweet|ideas?|examples?|blurb|pitch"
)
_COURTESY = re.compile(
    r"^(?:sure|certainly|of course|okay|ok|alright|no problem)(?![-\w])[^\n.!:]{0,80}[.!:]+\s*", re.I
)
_EXCLAIM_COURTESY = re.compile(
    r"^(?:absolutely|great|perfect|happy to help|great question)[!.,]+\s*(?=here\b|here['’]s|below\b|i\b|i['’])", re.I
)
_HERE_IS = re.compile(
    r"^(?:here(?:['’]s| is| are)|below (?:is|are)|i(?:['’]ve| have) (?:written|created|come up with|crafted)|"
    rf"i(?:['’]d| would) suggest)\b[^\n:]{{0,120}}?\b(?:{_COPY_NOUNS})(?![-\w])[^\n:]{{0,80}}(?::|\n)\s*",
    re.I,
)
_LABELS = (
    r"(?:email\s+)?(?:subject(?:\s+line)?|headline|title|product\s+(?:title|description|name)|description|"
    r"tagline|caption|(?:social(?:\s+media)?\s+)?post|copy|push(?:\s+notification)?|notification|"
    r"(?:search\s+)?ad(?:\s+(?:headline|copy))?|slogan|tweet|option|variant|version|answer|output|response)"
)
_LEADING_LABEL = re.compile(rf"^[*_#\s]*{_LABELS}(?:\s*#?\d+)?\s*[*_]*\s*:\s*[*_]*\s*", re.I)
_LATER_LABEL = re.compile(
    rf"\n[*_#\s]*(?:{_LABELS}|body|preheader|preview(?:\s+text)?|explanation|notes?|hashtags|why it works|"
    r"character count|word count)(?:\s*#?\d+)?\s*[*_]*\s*:",
    re.I,
)
_CHATTER = re.compile(
    r"(?:^|(?<=[.!?…\n]))\s*(?:I hope (?:this|these|that|you)|Hope (?:this|these|it) helps|Let me know|"
    r"Feel free to (?:adjust|modify|tweak|change|edit|ask|use|reach out|let me)|Would you like (?:me to|more|another)|"
    r"Do you want me to|If you(?:['’]d| would) like (?:me to|more|another|a different|any)|Explanation:|"
    r"Note:\s*(?:this|these|that|the (?:above|subject|headline|title|copy|description|post)|I\b|you (?:can|may|could))|"
    r"Why (?:it|this) works|This (?:subject line|headline|title|description|post|copy|notification|tagline)\b|"
    r"These (?:options|subject lines|headlines|titles|descriptions|posts|versions)\b|Character count|Word count)",
    re.I,
)
_CHAR_COUNT = re.compile(r"\s*[(\[]\s*\d+\s*(?:characters?|chars?|words?)\s*[)\]]", re.I)
_BOLD = re.compile(r"(\*\*|__)(.+?)\1")
_ITALIC = re.compile(r"(?<![\w*])\*(?![\s*])(.+?)(?<![\s*])\*(?![\w*])")
_BACKTICK = re.compile(r"`+")
_HEADER = re.compile(r"^\s*#{1,6}\s+")
_NUMBERED = re.compile(r"^\s*\(?\d{1,2}[.)]\s+")
_BULLET = re.compile(r"^\s*[-*•·–]\s+")
_INLINE_SECOND = re.compile(r"\s\(?2[.)]\s+(?=\S)")
_TRAILING_HASHTAGS = re.compile(r"(?:\s*#\w+)+\s*$")
_OPEN_QUOTES = "\"“'‘«"
_CLOSE_QUOTES = "\"”'’»"


def extract_copy(raw: str, keep_hashtags: bool = False) -> str:
    """The copy inside a raw completion: no preamble, label, markdown, alternative options or sign-off chatter.

    Returns "" when the completion holds nothing but chatter, so callers can treat it as a failed draft.
    Idempotent: tidying can expose more scaffolding (a sign-off after a stray comma), so it runs to a fixed point.
    """
    text = _extract_once(raw, keep_hashtags)
    for _ in range(3):
        again = _extract_once(text, keep_hashtags)
        if again == text:
            break
        text = again
    return text


def _extract_once(raw: str, keep_hashtags: bool) -> str:
    text = TEMPLATE_TOKENS.sub(" ", _first_turn(raw)).replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = _strip_markdown_emphasis(text)
    text = _strip_preamble(text.strip())
    text = _cut_later_labels(text)
    text = _CHAR_COUNT.sub("", text)
    text = _cut_chatter(text)
    text = _strip_preamble(_first_option(_drop_headers(text)))
    text = _join_lines(text)
    text = _strip_wrapping_quotes(text)
    if not keep_hashtags:
        text = _TRAILING_HASHTAGS.sub("", text)
    return tidy(text)


def _first_turn(raw: str) -> str:
    """Anything after the model's end-of-turn token is a hallucinated next turn."""
    for match in END_OF_TURN.finditer(raw):
        if TEMPLATE_TOKENS.sub(" ", raw[: match.start()]).strip():
            return raw[: match.start()]
    return raw


def _strip_markdown_emphasis(text: str) -> str:
    text = _BOLD.sub(r"\2", text)
    text = _ITALIC.sub(r"\1", text)
    return _BACKTICK.sub("", text)


def _strip_preamble(text: str) -> str:
    """Peel courtesy openers, 'Here is ...:' and 'Subject:' labels until none is left."""
    for _ in range(6):
        before = text
        for pattern in (_COURTESY, _EXCLAIM_COURTESY, _HERE_IS, _LEADING_LABEL):
            text = pattern.sub("", text, count=1).lstrip()
        if text == before:
            break
    return text


def _cut_later_labels(text: str) -> str:
    """A second label line ('Body:', 'Headline 2:') starts another field or option: keep only the first."""
    match = _LATER_LABEL.search(text)
    return text[: match.start()] if match and text[: match.start()].strip() else text


def _cut_chatter(text: str) -> str:
    """Drop the model's sign-off ('I hope this helps!') and notes about its own copy."""
    match = _CHATTER.search(text)
    return text[: match.start()] if match and text[: match.start()].strip() else text


def _drop_headers(text: str) -> str:
    """Markdown headers are titles or labels: drop them when there is body text, else keep their words."""
    lines = text.split("\n")
    body = [ln for ln in lines if ln.strip() and not _HEADER.match(ln)]
    if body:
        return "\n".join(ln for ln in lines if not _HEADER.match(ln))
    return "\n".join(_HEADER.sub("", ln) for ln in lines)


def _first_option(text: str) -> str:
    """When the model lists alternatives ('1. ... 2. ...', or nothing but bullets), keep the first one."""
    lines = [ln for ln in text.split("\n") if ln.strip()]
    if not lines:
        return ""
    if _NUMBERED.match(lines[0]):
        first = _NUMBERED.sub("", lines[0], count=1)
        second = _INLINE_SECOND.search(first)
        return first[: second.start()] if second else first
    if len(lines) > 1 and all(_BULLET.match(ln) for ln in lines):
        return _BULLET.sub("", lines[0], count=1)
    return "\n".join(_BULLET.sub("", _NUMBERED.sub("", ln, count=1), count=1) for ln in lines)


def _join_lines(text: str) -> str:
    """One block of copy; a line without end punctuation becomes its own sentence."""
    parts = [ln.strip() for ln in text.split("\n") if ln.strip()]
    out = ""
    for part in parts:
        if out and not re.search(r"[.!?…:;,]$", out) and not _TRAILING_EMOJI.search(out):
            out += "."
        out = f"{out} {part}" if out else part
    return out


def _strip_wrapping_quotes(text: str) -> str:
    """'"Wake up to better coffee."' -> the words inside, when one pair of quotes wraps the whole text."""
    text = text.strip()
    while len(text) > 2 and text[0] in _OPEN_QUOTES:
        if text[-1] in _CLOSE_QUOTES:
            inner = text[1:-1]
        elif text[-2] in _CLOSE_QUOTES and text[-1] in ".!?":
            inner = text[1:-2] + text[-1]
        else:
            break
        if any(q in inner for q in '"“”'):
            break
        text = inner.strip()
    return text


# --- tidy --------------------------------------------------------------------------------------------------

_WHITESPACE = re.compile(r"\s+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.!?;:%)\]…])")
_SPACE_AFTER_OPEN = re.compile(r"([(\[])\s+")
_MARK_RUN = re.compile(r"([!?])[!?]+")
_DOUBLE_DOT = re.compile(r"(?<!\.)\.\.(?!\.)")
_MANY_DOTS = re.compile(r"\.{4,}")
_CLAUSE_RUN = re.compile(r"([,;:])(?:\s*[,;:])+")
_CLAUSE_BEFORE_END = re.compile(r"[,;:]+\s*([.!?])")
_END_THEN_CLAUSE = re.compile(r"([.!?])\s*[,;]")
_ARTICLE_BEFORE_THE = re.compile(r"\b[Tt]he\s+(?=The\s+[A-Z0-9])")  # "the The Comet Book": the name has its own
_MISSING_SPACE = re.compile(r"([,;!?])(?=[A-Za-z])|(?<=[a-z])\.(?=[A-Z][a-z])")
_EDGE_JUNK = " ,;:-–—/"
_LOOSE_SYMBOLS = re.compile(r"^[\s&+]+|(?<!\S)[&+]+\s*$")  # a stray "&" or "+", not the "+" of "Wave+" or "Disney+"


def tidy(text: str) -> str:
    """Fix the mechanical slips small models make: spacing, doubled punctuation, stray quotes, lowercase start.

    Idempotent: one fix can expose another (a dropped stray quote leaves ' , '), so it runs to a fixed point.
    """
    for _ in range(4):
        fixed = _tidy_once(text)
        if fixed == text:
            break
        text = fixed
    return text


_EMPTY_BRACKETS = re.compile(r"\(\s*\)|\[\s*\]")


def _tidy_once(text: str) -> str:
    text = _balance(_WHITESPACE.sub(" ", _EMPTY_BRACKETS.sub("", text))).strip()
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = _SPACE_AFTER_OPEN.sub(r"\1", text)
    text = _MARK_RUN.sub(r"\1", text)
    text = _MANY_DOTS.sub("...", _DOUBLE_DOT.sub(".", text))
    text = _CLAUSE_RUN.sub(r"\1", text)
    text = _CLAUSE_BEFORE_END.sub(r"\1", text)
    text = _END_THEN_CLAUSE.sub(r"\1", text)
    text = _MISSING_SPACE.sub(lambda m: (m.group(1) or ".") + " ", text)
    text = agree_articles(_ARTICLE_BEFORE_THE.sub("", text))
    return _capitalise_first(_LOOSE_SYMBOLS.sub("", text.strip(_EDGE_JUNK)).strip(_EDGE_JUNK))


def _balance(text: str) -> str:
    """Remove brackets and curly quotes that never close (or close without opening), and an odd straight quote
    (not an inch mark: "7\" inseam" said as "7 inseam" was shipped)."""
    drop: set[int] = set()
    for opener, closer in (("(", ")"), ("[", "]"), ("“", "”")):
        stack: list[int] = []
        for i, ch in enumerate(text):
            if ch == opener:
                stack.append(i)
            elif ch == closer:
                if stack:
                    stack.pop()
                else:
                    drop.add(i)
        drop.update(stack)
    straight = [i for i, ch in enumerate(text) if ch == '"' and not (i and text[i - 1].isdigit())]  # 7" is inches
    if len(straight) % 2:
        drop.add(straight[-1])
    if not drop:
        return text
    return _WHITESPACE.sub(" ", "".join(ch for i, ch in enumerate(text) if i not in drop))


def _capitalise_first(text: str) -> str:
    """Capitalise the opening word unless it is a styled name like 'iPhone' or 'eBay'."""
    match = re.match(r"^([\"“'‘(\[]*)([a-z])(\w*)", text)
    if not match or any(c.isupper() for c in match.group(3)):
        return text
    return match.group(1) + match.group(2).upper() + text[match.end(2) :]


# --- sentences, cut-off endings, loops ---------------------------------------------------------------------


def drop_cut_off_sentence(text: str, one_line: bool = False) -> str:
    """Remove the sentence the model was cut off in, so copy never trails off mid-thought.

    A trailing fragment is dropped when a complete sentence precedes it, unless it is a short tag such as
    'Shop now'. One-line channels (titles, headlines) often end without punctuation, so there only
    dangling words ('with', 'and', ',') are stripped.
    """
    text = text.rstrip()
    core = _TRAILING_HASHTAGS.sub("", text).rstrip()
    core = _TRAILING_EMOJI.sub("", core).rstrip()
    if not core or TERMINAL_END.search(core):
        return text
    if not one_line:
        ends = [m.end() for m in SENTENCE_END.finditer(core)]
        tail = core[ends[-1] :] if ends else ""
        if ends and not _looks_like_tag(tail):
            return core[: ends[-1]].rstrip()
    return strip_dangling(text)


def _looks_like_tag(fragment: str) -> bool:
    words = _WORD.findall(fragment)
    return 0 < len(words) <= 3 and words[-1].lower() not in DANGLING_WORDS and not fragment.rstrip().endswith(",")


def strip_dangling(text: str) -> str:
    """Strip trailing connectives and clause punctuation ('... with the', '... and,'); never empties the text."""
    current = text.rstrip()
    while True:
        stripped = _LOOSE_SYMBOLS.sub("", current.rstrip(_EDGE_JUNK + "(")).rstrip(_EDGE_JUNK + "(")
        last = re.search(r"(\S+)$", stripped)
        if last and _WORD.fullmatch(last.group(1)) and last.group(1).lower() in DANGLING_WORDS:
            stripped = stripped[: last.start()].rstrip()
        if stripped == current:
            return current
        if not _WORD.search(stripped):
            return text.rstrip(_EDGE_JUNK) or text
        current = stripped


def remove_repeated_phrases(text: str) -> str:
    """Collapse the loops small models fall into: back-to-back repeated phrases and repeated sentences."""
    text = _collapse_adjacent_repeats(text)
    return _drop_repeated_sentences(text)


def _collapse_adjacent_repeats(text: str, max_unit: int = 12) -> str:
    """'stay warm and cozy, stay warm and cozy all winter' -> 'stay warm and cozy all winter'."""
    while True:
        tokens = list(_WORD.finditer(text))
        words = [t.group().lower() for t in tokens]
        cut = _first_adjacent_repeat(text, tokens, words, max_unit)
        if cut is None:
            return text
        text = text[: cut[0]] + text[cut[1] :]


def _first_adjacent_repeat(
    text: str, tokens: list[re.Match[str]], words: list[str], max_unit: int
) -> tuple[int, int] | None:
    for i in range(len(words)):
        for k in range(min(max_unit, (len(words) - i) // 2), 0, -1):
            if words[i : i + k] != words[i + k : i + 2 * k]:
                continue
            joint = text[tokens[i + k - 1].end() : tokens[i + k].start()]
            if k <= 2 and (re.search(r"[.!?]", joint) or not words[i].isalpha()):
                continue  # 'Made with love. Love it!' is not a loop
            return tokens[i + k - 1].end(), tokens[i + 2 * k - 1].end()
    return None


def _drop_repeated_sentences(text: str, overlap: float = 0.6) -> str:
    """Drop a sentence that repeats an earlier one, or whose 3-word phrases mostly appeared already."""
    sentences = split_sentences(text)
    kept: list[str] = []
    seen_keys: set[tuple[str, ...]] = set()
    seen_grams: set[tuple[str, ...]] = set()
    for sentence in sentences:
        words = tuple(w.lower() for w in _WORD.findall(sentence))
        grams = {words[i : i + 3] for i in range(len(words) - 2)}
        repeated = words in seen_keys or (len(grams) >= 3 and len(grams & seen_grams) >= overlap * len(grams))
        if words and repeated:
            continue
        kept.append(sentence)
        seen_keys.add(words)
        seen_grams |= grams
    return text if len(kept) == len(sentences) else " ".join(kept)


# --- channel policy: emoji and exclamation marks -----------------------------------------------------------


def count_emoji(text: str) -> int:
    """Emoji as a reader sees them: a flag, a skin-toned or ZWJ-joined emoji counts once."""
    return len(EMOJI.findall(text))


def apply_channel_policy(text: str, channel: Channel | str | ChannelSpec) -> str:
    """Cap emoji and '!' at the channel's limits, keeping the earliest; an extra '!' becomes '.'."""
    spec = _spec(channel)
    text = _cap_emoji(text, spec.emoji_max)
    return tidy(_cap_exclamations(text, spec.exclamation_max))


def _cap_emoji(text: str, limit: int) -> str:
    matches = list(EMOJI.finditer(text))
    for match in reversed(matches[max(limit, 0) :]):
        text = text[: match.start()] + text[match.end() :]
    return text


def _cap_exclamations(text: str, limit: int) -> str:
    text = _MARK_RUN.sub(r"\1", text)
    marks = [i for i, ch in enumerate(text) if ch == "!"]
    chars = list(text)
    for i in marks[max(limit, 0) :]:
        chars[i] = "."
    return "".join(chars)


def _spec(channel: Channel | str | ChannelSpec) -> ChannelSpec:
    return channel if isinstance(channel, ChannelSpec) else channel_spec(channel)


# --- length ------------------------------------------------------------------------------------------------

_MIN_SENTENCE_SHARE = 0.5  # a sentence-boundary cut must keep at least this share of the budget
LENGTH_DECAY = 0.25  # length_fit falls to 1/e when the text is off by this share of the limit


def fit_length(text: str, max_chars: int, keep_suffix: str | None = None) -> str:
    """Shorten text to at most max_chars without breaking a word, preferring to end on a full sentence.

    keep_suffix (e.g. the CTA) stays intact at the end and the body before it is shortened; it is appended
    when the text does not already end with it.
    """
    text = text.strip()
    suffix = (keep_suffix or "").strip()
    if not suffix:
        return shorten(text, max_chars)
    if len(suffix) > max_chars:
        return shorten(suffix, max_chars)
    body = text[: -len(suffix)].rstrip() if text.endswith(suffix) else text
    if not body:
        return suffix
    if len(body) + 1 + len(suffix) <= max_chars:
        return text if text.endswith(suffix) and len(text) <= max_chars else f"{body} {suffix}"
    short = shorten(body, max_chars - len(suffix) - 1)
    return f"{short} {suffix}" if short else suffix


def shorten(text: str, limit: int) -> str:
    """Cut text to `limit` characters: at a sentence end if one is near, else a word boundary, no dangling words."""
    if len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    by_sentence = _sentence_cut(text, limit)
    if by_sentence and len(by_sentence) >= limit * _MIN_SENTENCE_SHARE:
        return by_sentence
    by_clause = _clause_cut(text, limit)
    if by_clause and len(by_clause) >= limit * _MIN_SENTENCE_SHARE:
        return by_clause
    prose = bool(TERMINAL_END.search(text))
    cut = _word_cut(text, limit - 1 if prose else limit)
    if cut:
        cut = strip_dangling(cut)
        if _WORD.fullmatch(cut.split()[-1]) and cut.split()[-1].lower() in DANGLING_WORDS:
            cut = ""  # nothing but connectives survived
    if prose and cut and not TERMINAL_END.search(cut):
        cut += "."
    return cut or by_sentence


_CLAUSE_END = re.compile(r"\s*(?:[,;:]|\s[-–—])\s")


def _clause_cut(text: str, limit: int) -> str:
    """Cut at the last clause boundary (comma, colon, dash) within limit: a phrase reads whole, a cut word not."""
    ends = [m.start() for m in _CLAUSE_END.finditer(text) if m.start() <= limit]
    return strip_dangling(text[: ends[-1]].rstrip()) if ends else ""


def _sentence_cut(text: str, limit: int) -> str:
    ends = [m.end() for m in SENTENCE_END.finditer(text) if m.end() <= limit]
    return text[: ends[-1]].rstrip() if ends else ""


def _word_cut(text: str, limit: int) -> str:
    """The longest prefix of whole words within limit."""
    if len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    head = text[: limit + 1]
    space = max(head.rfind(" "), head.rfind("\n"), head.rfind("\t"))
    return text[:space].rstrip() if space > 0 else ""


def length_fit(text: str, channel: Channel | str | ChannelSpec) -> float:
    """1.0 inside the channel's min..max characters, decaying smoothly with the relative miss outside it."""
    spec = _spec(channel)
    n = len(text)
    if n > spec.max_chars:
        return math.exp(-(n - spec.max_chars) / (spec.max_chars * LENGTH_DECAY))
    if n < spec.min_chars:
        return math.exp(-(spec.min_chars - n) / (spec.min_chars * LENGTH_DECAY))
    return 1.0


def length_reward(
    prompts: Sequence[Any] | None, completions: Sequence[Any], briefs: Sequence[Any] | None = None, **kw: Any
) -> list[float]:
    """trl reward: length_fit of each completion for its brief's channel (or a `channel` dataset column)."""
    channels = sample_values("channel", len(completions), briefs, kw)
    return [length_fit(completion_text(c).strip(), ch) for c, ch in zip(completions, channels, strict=True)]
