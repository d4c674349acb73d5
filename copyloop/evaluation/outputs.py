"""What each configuration writes for a brief: the copy a report scores, with its latency and revise loops.

- `baseline`: a model with a plain one-line prompt, no few-shot examples, no agents, no clean-up;
- `raw_drafts`: the drafting node's first pass (best-of-n, cleaned) before any critic;
- `workflow_outputs`: the whole agent workflow, shipped variants only (approval off, so memory stays as it was),
  with the model's first drafts and which shipped variants the composer built;
- `human`: the product's own human-written description.

Model configurations run `BRIEFS_AT_ONCE` briefs side by side: their model calls share decoding batches, which
on a CPU costs little more than one brief alone. A brief's `seconds` is its own wall time with the others beside it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage

from copyloop.brief import Brief
from copyloop.config import Settings
from copyloop.drafting.drafts import draft_pass, new_variants
from copyloop.drafting.drafts import generate as generate_batch
from copyloop.generation import generate
from copyloop.memory import CopyMemory
from copyloop.tools.channels import channel_spec

Progress = Callable[[int, int], None]
BRIEFS_AT_ONCE = 32  # briefs in flight together: their drafts decode in one shared batch (see llm/shared_batches.py)


@dataclass(frozen=True)
class BriefOutput:
    """The variants one configuration produced for one brief, how long it took and how many loops it ran.

    `raw` holds the model's first drafts before any check (for the model configurations) and `origins` says, per
    shipped text, whether the model wrote it or the composer built it from the brief's facts.
    """

    brief: Brief
    texts: list[str]
    seconds: float
    loops: int = 0
    raw: tuple[str, ...] = ()
    origins: tuple[str, ...] = ()


def baseline_prompt(brief: Brief) -> str:
    """The one-line request a marketer would type into a chat box."""
    return f"Write {channel_spec(brief.channel).form} for {brief.product_name}."


def baseline(llm: BaseChatModel, briefs: Sequence[Brief], settings: Settings,
             progress: Progress | None = None) -> list[BriefOutput]:
    """n_variants samples of the plain prompt per brief, in one batched call each; the replies as they come."""
    def run(brief: Brief) -> BriefOutput:
        started = time.perf_counter()
        conversations = [[HumanMessage(baseline_prompt(brief))]] * brief.n_variants
        texts = [t.strip() for t in generate_batch(llm, conversations, brief.channel, temperature=settings.temperature,
                                                   seed=settings.seed)]
        return BriefOutput(brief, texts, time.perf_counter() - started, raw=tuple(texts),
                           origins=("model",) * len(texts))
    return _per_brief(briefs, run, progress)


def raw_drafts(llm: BaseChatModel, briefs: Sequence[Brief], settings: Settings, memory: CopyMemory,
               progress: Progress | None = None) -> list[BriefOutput]:
    """The drafting node's first pass for each brief (every variant and spare), before any critic."""
    def run(brief: Brief) -> BriefOutput:
        started = time.perf_counter()
        variants = new_variants(brief, settings)
        draft_pass(brief, variants, llm, memory, settings)
        texts = [v.text for v in variants]
        return BriefOutput(brief, texts, time.perf_counter() - started, raw=tuple(texts),
                           origins=("model",) * len(texts))
    return _per_brief(briefs, run, progress)


def workflow_outputs(llm: BaseChatModel, briefs: Sequence[Brief], settings: Settings, memory: CopyMemory,
                     progress: Progress | None = None) -> list[BriefOutput]:
    """The whole workflow per brief (approval off, so memory stays as it was); shipped variants only."""
    def run(brief: Brief) -> BriefOutput:
        first_drafts: list[str] = []

        def keep_first_drafts(node: str, update: dict) -> None:
            if node == "draft" and not first_drafts:
                first_drafts.extend(v.text for v in update.get("variants") or [])

        result = generate(brief, settings.with_(approval="off"), llm=llm, memory=memory, on_progress=keep_first_drafts)
        return BriefOutput(brief, [v.text for v in result.shippable], result.seconds,
                           loops=sum(result.rounds.values()), raw=tuple(first_drafts),
                           origins=tuple(v.origin for v in result.shippable))
    return _per_brief(briefs, run, progress)


def _per_brief(briefs: Sequence[Brief], run: Callable[[Brief], BriefOutput],
               progress: Progress | None) -> list[BriefOutput]:
    """`run` on every brief, BRIEFS_AT_ONCE at a time (their model calls share batches); outputs in brief order."""
    done, lock = 0, threading.Lock()

    def run_one(brief: Brief) -> BriefOutput:
        nonlocal done
        output = run(brief)
        with lock:
            done += 1
            if progress:
                progress(done, len(briefs))
        return output

    with ThreadPoolExecutor(max_workers=BRIEFS_AT_ONCE, thread_name_prefix="copyloop-eval") as pool:
        return list(pool.map(run_one, briefs))


def human(briefs: Sequence[Brief]) -> list[BriefOutput]:
    """Each product's own human-written description (empty where the brief has none)."""
    return [BriefOutput(b, [b.reference_copy] if b.reference_copy else [], 0.0) for b in briefs]
