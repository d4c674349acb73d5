"""Chat-template tokens, the markup a model's turns are wrapped in: stripped from briefs (where an attacker may
smuggle a turn) and from model output (where a small model may echo one). One definition for both."""

from __future__ import annotations

import re

# A whole smuggled system, assistant or developer turn, up to its end token (or the end of the text).
TEMPLATE_TURN = re.compile(
    r"<\|im_start\|>\s*(system|assistant|developer)\b.*?(<\|im_end\|>|$)", re.IGNORECASE | re.DOTALL
)
# Any single template token (ChatML, Llama, Mistral), with the role word after a turn's start.
TEMPLATE_TOKENS = re.compile(
    r"<\|im_start\|>\s*(?:system|user|assistant)?|<\|[^|>]{0,40}\|>|</?s>|\[/?INST\]|<<\/?SYS>>", re.IGNORECASE
)
# The tokens that end a turn.
END_OF_TURN = re.compile(r"<\|im_end\|>|<\|endoftext\|>|</s>", re.IGNORECASE)
