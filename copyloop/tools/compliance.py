"""Compliance rules engine: checks copy against the rule packs in rules/compliance/*.yaml and fixes what it can.

Rules are data (schema at the top of rules/compliance/claims.yaml) so users can copy and extend them through
a user rules folder (tools/rulebook.py). Everything here is pure and regex-based: the active rulebook's packs
compile once, so the checks are cheap enough to run inside trl reward functions.

Finding.fix carries a machine-readable instruction that `fix_findings` applies:
    "replace:<text>"  replace the matched span (text may be empty)
    "drop_sentence"   remove the sentence holding the match (only the match when it is the only sentence)
    "append:<text>"   append a sentence (disclaimers)
    "titlecase"       SHOUTING -> Shouting
    None              not fixable
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from copyloop.brief import Brief, Channel
from copyloop.errors import CopyloopError
from copyloop.result import Finding, Severity
from copyloop.tools.grounding import DROP_SENTENCE, invented_facts, phrase_in, phrase_regex
from copyloop.tools.reward_inputs import completion_text, reward_briefs
from copyloop.tools.rulebook import load_rule_packs, rule_cache
from copyloop.tools.text_cleanup import tidy
from copyloop.tools.words import SENTENCE_END, article_for

REPLACE = "replace:"
APPEND = "append:"
TITLECASE = "titlecase"
DEFAULT_SEVERITY_WEIGHTS: dict[str, float] = {"block": 1.0, "warn": 0.3, "info": 0.0}
# compliance_reward = max(REWARD_FLOOR, 1 - penalty): it keeps going down past one block so RL can tell one
# blocking claim from three, but is bounded so a single spammy completion cannot dominate a batch.
REWARD_FLOOR = -1.0
_SEVERITIES = ("block", "warn", "info")
_CHANNELS = frozenset(c.value for c in Channel)


@dataclass(frozen=True)
class Rule:
    """One compiled compliance rule (see the schema in claims.yaml)."""

    id: str
    pack: str
    pattern: re.Pattern[str]
    severity: Severity
    message: str
    fix: str | None = None
    channels: frozenset[str] | None = None
    categories: tuple[re.Pattern[str], ...] = ()
    unless: re.Pattern[str] | None = None
    require: bool = False
    allow_if_in_brief: bool = False
    case_sensitive: bool = False
    severity_by_channel: tuple[tuple[str, Severity], ...] = ()

    def applies_to(self, brief: Brief) -> bool:
        """Whether the brief's channel and category are in this rule's scope."""
        if self.channels is not None and Channel(brief.channel).value not in self.channels:
            return False
        return not self.categories or any(c.search(brief.category) for c in self.categories)

    def severity_for(self, channel: Channel | str) -> Severity:
        """The rule's severity on this channel (spam-like rules block only where deliverability suffers)."""
        return dict(self.severity_by_channel).get(Channel(channel).value, self.severity)


# ---------------------------------------------------------------------------------------------------- loading


def _regex(source: Any, where: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    try:
        return re.compile(str(source), flags)
    except re.error as exc:
        raise CopyloopError(f"{where}: invalid regular expression {source!r}: {exc}") from None


def _severity(value: Any, where: str) -> Severity:
    if value not in _SEVERITIES:
        raise CopyloopError(f"{where}: severity must be one of {list(_SEVERITIES)}, got {value!r}")
    return value


def _channels(value: Any, where: str) -> frozenset[str] | None:
    if value is None:
        return None
    names = [value] if isinstance(value, str) else list(value)
    unknown = sorted(set(map(str, names)) - _CHANNELS)
    if unknown:
        raise CopyloopError(f"{where}: unknown channels {unknown}; use {sorted(_CHANNELS)}")
    return frozenset(map(str, names))


def _fix(value: Any, where: str) -> str | None:
    """Encode a YAML fix mapping as the Finding.fix instruction string."""
    if value is None:
        return None
    if not isinstance(value, dict) or len(value) != 1:
        raise CopyloopError(f"{where}: fix must be one of {{replace: ...}}, {{drop_sentence: true}}, "
                            f"{{append: ...}}, {{titlecase: true}}; got {value!r}")
    ((kind, arg),) = value.items()
    if kind == "replace":
        return REPLACE + ("" if arg is None else str(arg))
    if kind == "append":
        if not str(arg or "").strip():
            raise CopyloopError(f"{where}: fix append needs the sentence to append")
        return APPEND + str(arg).strip()
    if kind == "drop_sentence":
        return DROP_SENTENCE if arg else None
    if kind == "titlecase":
        return TITLECASE if arg else None
    raise CopyloopError(f"{where}: unknown fix {kind!r}")


def _parse_rule(raw: Any, pack: str) -> Rule:
    """Validate one YAML rule into a Rule, naming pack and id in every error."""
    if not isinstance(raw, dict) or not raw.get("id") or "pattern" not in raw:
        raise CopyloopError(f"compliance pack {pack!r}: each rule needs at least `id` and `pattern`, got {raw!r}")
    where = f"compliance pack {pack!r}, rule {raw['id']!r}"
    case_sensitive = bool(raw.get("case_sensitive", False))
    flags = 0 if case_sensitive else re.IGNORECASE
    by_channel = raw.get("severity_by_channel") or {}
    _channels(list(by_channel), where)
    return Rule(
        id=str(raw["id"]),
        pack=pack,
        pattern=_regex(raw["pattern"], where, flags),
        severity=_severity(raw.get("severity", "block"), where),
        message=str(raw.get("message") or raw["id"]),
        fix=_fix(raw.get("fix"), where),
        channels=_channels(raw.get("channels"), where),
        categories=tuple(_regex(c, where) for c in raw.get("categories") or []),
        unless=_regex(raw["unless"], where) if raw.get("unless") else None,
        require=bool(raw.get("require", False)),
        allow_if_in_brief=bool(raw.get("allow_if_in_brief", False)),
        case_sensitive=case_sensitive,
        severity_by_channel=tuple((str(c), _severity(s, where)) for c, s in by_channel.items()),
    )


def _pack_items(pack: str, data: Any) -> tuple[list[Any], dict[str, float] | None]:
    """A pack is a mapping with `rules` (and optional `severity_weights`) or a bare list of rules."""
    if data is None:
        return [], None
    if isinstance(data, list):
        return data, None
    if not isinstance(data, dict):
        raise CopyloopError(f"compliance pack {pack!r}: expected a mapping with `rules`, got {type(data).__name__}")
    weights = data.get("severity_weights")
    if weights is not None:
        try:
            weights = {_severity(k, f"compliance pack {pack!r}"): float(v) for k, v in dict(weights).items()}
        except (TypeError, ValueError):
            raise CopyloopError(f"compliance pack {pack!r}: severity_weights must map severities to numbers") from None
    return list(data.get("rules") or []), weights


def _compile_packs(packs: Iterable[tuple[str, Any]]) -> tuple[tuple[Rule, ...], dict[str, float]]:
    """All enabled rules (a later rule with the same id replaces an earlier one) and the severity weights."""
    by_id: dict[str, Rule | None] = {}
    weights = dict(DEFAULT_SEVERITY_WEIGHTS)
    for pack, data in packs:
        items, pack_weights = _pack_items(pack, data)
        weights.update(pack_weights or {})
        for raw in items:
            if isinstance(raw, dict) and raw.get("enabled") is False:
                by_id[str(raw.get("id"))] = None
                continue
            rule = _parse_rule(raw, pack)
            by_id.pop(rule.id, None)
            by_id[rule.id] = rule
    return tuple(r for r in by_id.values() if r is not None), weights


@rule_cache
def _compiled(folder: str) -> tuple[tuple[Rule, ...], dict[str, float]]:
    """A folder's packs in the active rulebook, compiled once per rulebook."""
    return _compile_packs(load_rule_packs(folder))


def rules(folder: str = "compliance") -> tuple[Rule, ...]:
    """Every enabled rule of a folder of rule packs (built-in and user packs): compliance, or sense."""
    return _compiled(folder)[0]


def severity_weights() -> dict[str, float]:
    """Penalty per finding by severity (claims.yaml `severity_weights`; a later pack overrides)."""
    return _compiled("compliance")[1]


# ---------------------------------------------------------------------------------------------------- checking


def _in_brief(rule: Rule, match: re.Match[str], facts: str) -> bool:
    key = match.group("key") if "key" in rule.pattern.groupindex and match.group("key") else match.group(0)
    return phrase_in(key, facts, case_sensitive=rule.case_sensitive)


def rule_findings(rule: Rule, text: str, brief: Brief, facts: str) -> list[Finding]:
    """Findings of one rule on the text (a missing disclaimer is a zero-width finding at the end)."""
    severity = rule.severity_for(brief.channel)
    if rule.require:
        if rule.pattern.search(text):
            return []
        end = len(text)
        return [Finding(rule_id=rule.id, severity=severity, span=(end, end), matched="", message=rule.message,
                        fix=rule.fix)]
    if rule.unless is not None and rule.unless.search(text):
        return []
    return [
        Finding(rule_id=rule.id, severity=severity, span=m.span(), matched=m.group(0), message=rule.message,
                fix=rule.fix)
        for m in rule.pattern.finditer(text)
        if m.end() > m.start() and not (rule.allow_if_in_brief and _in_brief(rule, m, facts))
    ]


def banned_word_findings(text: str, brief: Brief) -> list[Finding]:
    """Each whole-word occurrence of a brief banned word/phrase (spacing- and hyphen-tolerant)."""
    findings = []
    for word in brief.banned_words:
        source = phrase_regex(word)
        if not source:
            continue
        for m in re.finditer(rf"(?<!\w){source}(?!\w)", text, re.IGNORECASE):
            findings.append(Finding(rule_id="brand.banned_word", severity="block", span=m.span(), matched=m.group(0),
                                    message=f"{word!r} is on the brief's banned-word list.", fix=REPLACE))
    return findings


def _protected_spans(text: str, all_rules: Sequence[Rule]) -> list[tuple[int, int]]:
    """Where required disclaimers sit: their wording ("treat, cure, or prevent") is never a violation."""
    return [m.span() for r in all_rules if r.require for m in r.pattern.finditer(text) if m.end() > m.start()]


def check_compliance(text: str, brief: Brief) -> list[Finding]:
    """Every compliance finding for the text, in text order: rule packs, banned words, disclaimers, invented facts."""
    text = text if isinstance(text, str) else ("" if text is None else str(text))
    all_rules = rules()
    facts = brief.fact_text()
    findings: list[Finding] = []
    for rule in all_rules:
        if rule.applies_to(brief):
            findings += rule_findings(rule, text, brief, facts)
    findings += banned_word_findings(text, brief)
    findings += invented_facts(text, brief)
    protected = _protected_spans(text, all_rules)
    findings = [f for f in findings if f.matched == "" or not any(s <= f.span[0] and f.span[1] <= e
                                                                    for s, e in protected)]
    return sorted(findings, key=lambda f: (f.span, f.rule_id))


def is_blocking(findings: Iterable[Finding]) -> bool:
    """Whether any unfixed finding blocks the variant from shipping."""
    return any(f.severity == "block" and not f.fixed for f in findings)


def compliance_penalty(findings: Iterable[Finding]) -> float:
    """Sum of severity weights over unfixed findings (block 1.0, warn 0.3, info 0.0 by default)."""
    weights = severity_weights()
    return float(sum(weights.get(f.severity, 0.0) for f in findings if not f.fixed))


def compliance_reward(prompts: list[Any], completions: list[Any], briefs: list[Any] | None = None,
                      **kw: Any) -> list[float]:
    """trl reward: 1 - compliance_penalty, floored at REWARD_FLOOR (-1); blank completions get 0, not a free 1."""
    del prompts
    rewards = []
    for completion, brief in zip(completions, reward_briefs(completions, briefs, kw), strict=True):
        text = completion_text(completion)
        if not text.strip():
            rewards.append(0.0)
            continue
        rewards.append(max(REWARD_FLOOR, 1.0 - compliance_penalty(check_compliance(text, brief))))
    return rewards


# ---------------------------------------------------------------------------------------------------- fixing

_SENTENCE_END = re.compile(f"{SENTENCE_END.pattern}|\n")  # a line break ends one too


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    replacement: str
    finding: Finding


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence(s) holding [start, end): from after the previous terminator through the next one."""
    begin, stop = 0, len(text)
    for m in _SENTENCE_END.finditer(text):
        if m.end() <= start:
            begin = m.end()
        elif m.end() >= end:
            stop = m.end()
            break
    while begin < stop and text[begin].isspace():
        begin += 1
    return begin, stop


# Words that only make sense with the match, removed with it: "cold in just 7 days" -> "cold".
_LEADING_PREPOSITIONS = re.compile(
    r"(?<!\w)(?:(?:(?:made|crafted|built)\s+(?:of|from|with|in)|in|for|of|with|up\s+to|over|under|above|just|only|at"
    r"|from|by|within|after|nearly|almost|about)\s+)+$",
    re.IGNORECASE,
)

# ... and after a removed number: "20% off" -> "".
_TRAILING_COMPARATIVES = re.compile(r"\s+(?:off|more|less|longer|faster|lighter|cheaper|extra)\b", re.IGNORECASE)


def _drop_edit(text: str, finding: Finding, brief: Brief) -> _Edit:
    """Drop the sentence, unless it is all the text or holds a required word: then drop only the match."""
    start, end = finding.span
    begin, stop = _sentence_bounds(text, start, end)
    sentence = text[begin:stop]
    only_sentence = not text[:begin].strip() and not text[stop:].strip()
    outside = sentence[: start - begin] + " " + sentence[end - begin:]
    keeps_required = any(phrase_in(w, outside) for w in brief.required_words)
    if only_sentence or keeps_required:
        return _token_edit(text, finding, begin)
    return _Edit(begin, stop, "", finding)


def guts_copy(text: str, finding: Finding) -> bool:
    """Whether fixing the finding would cut words out of the copy's only sentence ("The Trail Bottle cures back
    pain" -> "The Trail Bottle back pain"): such copy is rewritten or replaced, never patched."""
    if finding.fix != DROP_SENTENCE:
        return False
    begin, stop = _sentence_bounds(text, *finding.span)
    return not text[:begin].strip() and not text[stop:].strip()


def _token_edit(text: str, finding: Finding, begin: int) -> _Edit:
    """Remove just the match plus the words that only made sense with it ("in just 7 days", "20% off")."""
    start, end = finding.span
    lead = _LEADING_PREPOSITIONS.search(text, begin, start)
    numeric = finding.matched[-1:].isdigit() or finding.matched.endswith("%")
    trail = _TRAILING_COMPARATIVES.match(text, end) if numeric else None
    return _Edit(lead.start() if lead else start, trail.end() if trail else end, "", finding)


def _edit_for(text: str, finding: Finding, brief: Brief) -> _Edit | None:
    fix = finding.fix or ""
    start, end = finding.span
    if fix.startswith(REPLACE):
        return _Edit(start, end, fix[len(REPLACE):], finding)
    if fix == DROP_SENTENCE:
        return _drop_edit(text, finding, brief)
    if fix == TITLECASE:
        return _Edit(start, end, finding.matched[:1].upper() + finding.matched[1:].lower(), finding)
    return None


def _valid_span(text: str, finding: Finding) -> bool:
    start, end = finding.span
    return 0 <= start <= end <= len(text) and text[start:end] == finding.matched


def _choose(edits: list[_Edit]) -> list[_Edit]:
    """Non-overlapping edits, widest first (a dropped sentence beats a word fixed inside it), then removals."""
    chosen: list[_Edit] = []
    for edit in sorted(edits, key=lambda e: (e.start - e.end, len(e.replacement), e.start)):
        if all(edit.end <= c.start or c.end <= edit.start for c in chosen):
            chosen.append(edit)
    return chosen


def _at_sentence_start(before: str) -> bool:
    return not before.strip() or bool(re.search(r"[.!?][\"'”’)\]]*\s+$|\n\s*$", before))


def _capitalise_first_letter(text: str) -> str:
    """Uppercase the first alphanumeric character if it is a letter (after leading punctuation or spaces)."""
    for i, ch in enumerate(text):
        if ch.isalnum():
            return text[:i] + ch.upper() + text[i + 1:] if ch.isalpha() else text
    return text


_ARTICLE_BEFORE = re.compile(r"(?<!\w)([Aa])(n?)(\s+)$")
_NEXT_WORD = re.compile(r"\s*([A-Za-z]+)")
def _fix_article(before: str, tail: str) -> str:
    """Re-agree an article an edit left before a new word: "a titanium, insulated" -> "an insulated"."""
    m = _ARTICLE_BEFORE.search(before)
    word = _NEXT_WORD.match(tail)
    if not m or not word:
        return before
    article = article_for(word.group(1))
    article = article[0].upper() + article[1:] if m.group(1) == "A" else article
    return before[: m.start()] + article + m.group(3)


def _apply(text: str, edit: _Edit) -> str:
    """Apply one edit, keeping sentence-initial capitals ("Guaranteed comfort" -> "Comfort") and a/an agreement."""
    before, after = text[: edit.start], text[edit.end:]
    replacement = edit.replacement
    original = text[edit.start:edit.end]
    if replacement and original[:1].isupper():
        replacement = replacement[:1].upper() + replacement[1:]
    tail = replacement + after
    if _at_sentence_start(before) and original[:1].isupper():
        tail = _capitalise_first_letter(tail)
    return _fix_article(before, tail) + tail


def _append(text: str, sentence: str) -> str:
    if phrase_in(sentence, text):
        return text
    base = text.rstrip()
    if base and base[-1].isalnum():
        base += "."
    return f"{base} {sentence}" if base else sentence


def fix_findings(text: str, findings: Sequence[Finding], brief: Brief) -> str:
    """Apply every fixable finding (right to left so spans stay valid), tidy, then append disclaimers.

    Findings whose span no longer matches the text are skipped. Applied findings, and findings inside a region
    an applied edit rewrote, get `fixed = True`. The caller should re-check the result.
    """
    text = text if isinstance(text, str) else ""
    edits, appends = [], []
    for finding in findings:
        if finding.fixed or not finding.fix:
            continue
        if finding.fix.startswith(APPEND):
            appends.append(finding)
        elif _valid_span(text, finding) and (edit := _edit_for(text, finding, brief)) is not None:
            edits.append(edit)
    chosen = _choose(edits)
    out = text
    for edit in sorted(chosen, key=lambda e: e.start, reverse=True):
        out = _apply(out, edit)
    if chosen:
        out = tidy(out)
    for finding in appends:
        out = _append(out, finding.fix[len(APPEND):])
        finding.fixed = True
    for finding in findings:
        inside = any(c.start <= finding.span[0] and finding.span[1] <= c.end for c in chosen)
        if inside and finding.matched and _valid_span(text, finding):
            finding.fixed = True
    return out
