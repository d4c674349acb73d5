"""Spots text in a brief that tries to instruct the model, so prompts carry it as inert data or not at all."""

from __future__ import annotations

import re

from copyloop.brief import Brief

_PATTERNS = [
    r"\b(ignore|disregard|forget|override)\b[^.!?\n]{0,40}\b(instruction|prompt|rule|direction|guideline)s?\b",
    r"\byou are (now|no longer)\b",
    r"\b(system|developer) (prompt|message|instruction)s?\b",
    r"\b(act|behave|pretend|roleplay) as\b",
    r"\b(instead|rather),? (write|say|output|print|reply|respond)\b",
    r"\b(reveal|print|show|repeat) (your|the) (prompt|instructions|system)\b",
    r"\bnew instructions?\b",
    r"\bdo not follow\b",
    r"\bjailbreak\b",
]
_INJECTION = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)
_SENTENCE = re.compile(r"[^.!?\n]*[.!?\n]?")


def looks_like_instruction(text: str) -> bool:
    """Whether a field's text reads like an instruction to the model rather than a product fact."""
    return bool(_INJECTION.search(text))


def neutralize(text: str) -> str:
    """Drop every sentence of the text that reads like an instruction; keep the rest as data, as written."""
    if not _INJECTION.search(text):
        return text.strip()
    kept = [s for s in _SENTENCE.findall(text) if s.strip() and not _INJECTION.search(s)]
    return " ".join(s.strip() for s in kept).strip()


def injection_warnings(brief: Brief) -> list[str]:
    """One line per brief field whose text was treated as an injection attempt."""
    warnings = []
    for name, value in _text_fields(brief):
        if looks_like_instruction(value):
            warnings.append(f"{name}: instruction-like text ignored ({value[:60]!r})")
    return warnings


def _text_fields(brief: Brief) -> list[tuple[str, str]]:
    pairs = [(n, getattr(brief, n)) for n in ("product_name", "category", "brand", "audience", "tone", "brand_voice")]
    pairs += [(f"features[{i}]", f) for i, f in enumerate(brief.features)]
    pairs += [(f"attributes.{k}", v) for k, v in brief.attributes.items()]
    pairs += [(f"required_words[{i}]", w) for i, w in enumerate(brief.required_words)]
    return [(n, v) for n, v in pairs if isinstance(v, str) and v]
