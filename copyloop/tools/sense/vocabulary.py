"""Non-words and off-product nouns: the words of copy must be English or the brief's, and about its product.

A garbled word ("insolements", "charbroon", "#BeckerBok") is not English and not in the brief. A product-type
noun the brief never uses ("mascara" in copy for a quilt) means the copy is about another product; true synonyms
in rules/product_types.yaml ("trainer" for "sneaker") are fine.
"""

from __future__ import annotations

import re

from copyloop.result import Finding
from copyloop.tools.sense.context import BriefContext
from copyloop.tools.sense.lexicons import product_types
from copyloop.tools.words import bare, word_spans, zipf

NON_WORD_ZIPF = 1.5  # rarer than about once in 30 million words: not a word a copywriter would use
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
