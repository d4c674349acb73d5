"""Candidate drafts for fine-tuning: the drafting node's own prompts, sampled several times per brief.

Samples are written to a JSONL file brief by brief, so an interrupted run picks up where it stopped. With
`polish`, each sample is also kept as the workflow would finish it (tone, CTA, length). Only samples that pass
every check once finished become fine-tuning targets (`clean_targets.passing_samples`); the λ sweep ranks them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from langchain_core.messages import BaseMessage

from copyloop.brief import Brief
from copyloop.drafting.drafts import clean_draft, generate
from copyloop.drafting.prompts import angles, draft_messages, focus_fact
from copyloop.llm.local import LocalChatModel, as_chat
from copyloop.tools.finishing import finish

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Candidate:
    """One sampled (or polished) draft for one training brief, with the prompt that produced it."""

    brief_index: int
    prompt: list[dict[str, str]]
    text: str
    source: str  # "sample" | "polished"
    slot: int = 0  # which of the brief's samples (a polished candidate shares its sample's slot)
    focus: str | None = None  # the fact its prompt asked about

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


@dataclass(frozen=True)
class SlotPrompt:
    """The drafting node's prompt for one variant slot, and the fact it asks about."""

    messages: list[BaseMessage]
    focus: str | None


def prompt_messages(brief: Brief, slot: int) -> SlotPrompt:
    """The drafting node's first-pass prompt for variant `slot` (angles and focus facts rotate as the drafter's)."""
    pool = angles()
    focus = focus_fact(brief, slot)
    return SlotPrompt(draft_messages(brief, pool[slot % len(pool)], [], focus=focus), focus)


def prompt_for(brief: Brief, slot: int) -> list[dict[str, str]]:
    """The drafting node's first-pass prompt for variant `slot`, as chat dicts."""
    return as_chat(prompt_messages(brief, slot).messages)


def sample_candidates(llm: LocalChatModel, briefs: Sequence[Brief], path: Path, *, per_brief: int,
                      temperature: float, seed: int, batch: int, polish: bool,
                      progress: Progress | None = None) -> list[Candidate]:
    """`per_brief` samples for every brief, appended to `path`; briefs already there are not sampled again."""
    done = {c.brief_index for c in read_candidates(path, len(briefs))}
    todo = sorted((i for i in range(len(briefs)) if i not in done), key=lambda i: (briefs[i].channel.value, i))
    per_call = max(1, batch // per_brief)
    path.parent.mkdir(parents=True, exist_ok=True)
    finished = len(done)
    for chunk in _same_channel_chunks(todo, briefs, per_call):
        channel = briefs[chunk[0]].channel
        jobs = [(i, slot) for i in chunk for slot in range(per_brief)]
        asked = [prompt_messages(briefs[i], seed + i + slot) for i, slot in jobs]  # every angle gets trained
        prompts = [as_chat(a.messages) for a in asked]
        texts = generate(llm, prompts, channel, temperature=temperature, seed=seed + 7919 * chunk[0])
        found = [c for (i, slot), prompt, a, raw in zip(jobs, prompts, asked, texts, strict=True)
                 for c in candidates_of(raw, briefs[i], i, slot, prompt, a.focus, polish=polish, seed=seed)]
        with path.open("a", encoding="utf-8") as out:
            out.writelines(c.to_json() + "\n" for c in found)
        finished += len(chunk)
        if progress:
            progress(finished, len(briefs))
    return read_candidates(path, len(briefs))


def candidates_of(raw: str, brief: Brief, index: int, slot: int, prompt: list[dict[str, str]], focus: str | None,
                  *, polish: bool, seed: int) -> list[Candidate]:
    """One raw sample as candidates: cleaned as the drafting node cleans it, and polished when asked."""
    text = clean_draft(raw, brief)
    found = [Candidate(index, prompt, text, "sample", slot, focus)]
    if polish and text:  # polished with the CTA its prompt asked for, so targets follow their prompts
        found.append(Candidate(index, prompt, finish(text, brief, seed + index + slot), "polished", slot, focus))
    return found


def _same_channel_chunks(todo: list[int], briefs: Sequence[Brief], size: int) -> list[list[int]]:
    """Consecutive runs of at most `size` briefs sharing a channel: one generate call each, one token budget."""
    chunks: list[list[int]] = []
    for i in todo:
        if chunks and len(chunks[-1]) < size and briefs[chunks[-1][0]].channel == briefs[i].channel:
            chunks[-1].append(i)
        else:
            chunks.append([i])
    return chunks


def read_candidates(path: Path, briefs: int | None = None) -> list[Candidate]:
    """Candidates saved so far (of the first `briefs` briefs); a line torn by an interruption is skipped."""
    found = []
    for line in path.read_text(encoding="utf-8").splitlines() if path.is_file() else []:
        try:
            candidate = Candidate(**json.loads(line))
        except (json.JSONDecodeError, TypeError):
            continue
        if briefs is None or candidate.brief_index < briefs:
            found.append(candidate)
    return found
