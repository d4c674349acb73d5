"""Spots text in a brief that tries to instruct the model, so prompts carry it as inert data or not at all."""

from __future__ import annotations

import re

from copyloop.brief import Brief
from copyloop.tools.words import split_sentences

# Instruction-like text, wherever it comes from (a brief's fields, a chat message). Each match runs on to the
# end of its clause, so a parser that cuts it out takes the whole instruction with it.
INSTRUCTION = re.compile(
    r"(?:\b(?:ignore|disregard|forget|override|bypass)\s+(?:(?:all|any|the|your|my|of|these)\s+)*"
    r"(?:(?:previous|prior|above|earlier|preceding|system|original)\s+(?:instructions?|prompts?|rules?|messages?"
    r"|context|directions?|guidelines?)|instructions?|prompts?|guidelines?|(?:rules?|directions?)\b(?!\s+of\b))"
    r"|\b(?:system|developer)\s+(?:prompts?|messages?|instructions?)|\byou\s+are\s+(?:now|no\s+longer)\b"
    r"|\bpretend\s+(?:to\s+be|you)|\bjailbreak|\bdeveloper\s+mode"
    r"|\b(?:act|behave)\s+as\s+(?:if\b|(?:an?\s+)?(?:ai|assistant|chatbot|system|developer|admin|unrestricted|evil"
    r"|dan)\b)"
    r"|\bnew\s+instructions?\b|\breveal\s+your|\b(?:print|show|repeat)\s+(?:your|the)\s+(?:prompt|instructions"
    r"|system)\b|\bdo\s+anything\s+now\b|\bdo\s+not\s+follow\b|\bprompt\s+injection|\brole\s*play\b"
    r"|\b(?:instead|rather),?\s+(?:write|say|output|print|reply|respond)\b"
    r"|\b(?:execute|run)\s+(?:this|the\s+following)\s+(?:code|commands?|script))"
    r"[^\n.;!?]*",
    re.IGNORECASE,
)


def looks_like_instruction(text: str) -> bool:
    """Whether a field's text reads like an instruction to the model rather than a product fact."""
    return bool(INSTRUCTION.search(text))


def neutralize(text: str) -> str:
    """Drop every sentence of the text that reads like an instruction; keep the rest as data, as written."""
    if not INSTRUCTION.search(text):
        return text.strip()
    sentences = [s for line in text.splitlines() for s in split_sentences(line)]
    return " ".join(s for s in sentences if not INSTRUCTION.search(s)).strip()


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
