"""Benchmark: one real draft call through copyloop's sampler vs transformers' `generate`, and briefs side by side.

Run: `.venv/bin/python bench/sampling_bench.py [--repeats 3]`.
First, decode steps per second at 1, 4 and 8 rows with the model's linear layers as plain nn.Linear and as
copyloop's RowLinear (llm/row_linear.py), interleaved so both see the same machine load.
The draft call is what the drafting node sends for an eval brief (every variant and spare, each candidate); both
paths get the same prompts, sampling settings and token budget. Then 8 briefs' draft calls are made one after
another and from 8 threads at once (they share one batch through `SharedBatches`). Every timed run starts
with an empty prefix store. Prints medians over the repeats.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import torch

from copyloop.brief import brief_from_dict
from copyloop.config import Settings
from copyloop.drafting.drafts import angle_of, find_exemplars, new_variants
from copyloop.drafting.prompts import draft_messages, focus_fact
from copyloop.evaluation.past_copy import eval_memory
from copyloop.llm.local import LocalChatModel, as_chat
from copyloop.llm.row_linear import RowLinear
from copyloop.llm.smollm2 import converted_model_dir
from copyloop.tools.channels import channel_spec

ROOT = Path(__file__).resolve().parents[1]
BRIEFS = ROOT / "copyloop" / "data" / "eval" / "briefs.jsonl"


def draft_call(brief, settings: Settings, memory) -> list:
    """The conversations of the drafting node's first pass for a brief."""
    exemplars = find_exemplars(brief, memory)
    k = channel_spec(brief.channel).candidates
    return [draft_messages(brief, angle_of(v), exemplars, focus=focus_fact(brief, v.id - 1))
            for v in new_variants(brief, settings) for _ in range(k)]


def with_generate(model: LocalChatModel, conversations: list, budget: int, seed: int) -> tuple[float, int]:
    """The former path: one left-padded `model.generate` call, one global seed."""
    tokenizer, net = model._tokenizer, model._model
    tokenizer.padding_side = "left"
    prompts = [tokenizer.apply_chat_template(as_chat(c), tokenize=False, add_generation_prompt=True)
               for c in conversations]
    encoded = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
    started = time.perf_counter()
    torch.manual_seed(seed)
    with torch.inference_mode():
        out = net.generate(**encoded, max_new_tokens=budget, do_sample=True, temperature=model.temperature,
                           top_p=model.top_p, repetition_penalty=model.repetition_penalty, pad_token_id=2)
    seconds = time.perf_counter() - started
    new = out[:, encoded["input_ids"].shape[1]:]
    return seconds, int((new != 2).sum())


def with_sampler(model: LocalChatModel, conversations: list, budget: int, seed: int) -> tuple[float, int]:
    model._prefixes.clear()  # every repeat starts cold: no prompt prefix kept from the one before
    started = time.perf_counter()
    texts = model.generate_texts(conversations, max_new_tokens=budget, seed=seed)
    return time.perf_counter() - started, sum(model.count_tokens(t) for t in texts)


def steps_per_second(net, rows: int, steps: int = 30) -> float:
    """Decode steps per second for `rows` rows after a 60-token prompt (greedy: the sampling cost is not timed)."""
    ids = torch.randint(100, 1000, (rows, 60))
    with torch.inference_mode():
        out = net(ids, use_cache=True, logits_to_keep=1)
        cache, token = out.cache, out.logits[:, -1:].argmax(-1)
        started = time.perf_counter()
        for _ in range(steps):
            out = net(token, cache=cache, use_cache=True, logits_to_keep=1)
            cache, token = out.cache, out.logits[:, -1:].argmax(-1)
    return steps / (time.perf_counter() - started)


def linear_layers(net, kind: type) -> None:
    """Make every linear layer compute as `kind` (nn.Linear or RowLinear): same weights, same results."""
    for module in net.modules():
        if isinstance(module, torch.nn.Linear):
            module.__class__ = kind


def compare_linear_layers(net, repeats: int) -> None:
    for rows in (1, 4, 8):
        rates: dict[str, list[float]] = {"nn.Linear": [], "RowLinear": []}
        for _ in range(repeats):
            for name, kind in (("nn.Linear", torch.nn.Linear), ("RowLinear", RowLinear)):
                linear_layers(net, kind)
                rates[name].append(steps_per_second(net, rows))
        plain, row = (statistics.median(rates[n]) for n in ("nn.Linear", "RowLinear"))
        print(f"decode steps/s at {rows} rows: nn.Linear {plain:.1f}, RowLinear {row:.1f} ({row / plain:.2f}x)")
    linear_layers(net, RowLinear)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    settings = Settings.from_env()
    model = LocalChatModel(model_path=str(converted_model_dir(settings.model_cache)), seed=settings.seed)
    model.load()
    compare_linear_layers(model._model, args.repeats)
    briefs = [brief_from_dict(json.loads(line)) for line in BRIEFS.read_text().splitlines()[:8]]
    with eval_memory([]) as (_, memory):
        calls = [(draft_call(b, settings, memory), channel_spec(b.channel).max_new_tokens) for b in briefs]
    push = next(c for c, b in zip(calls, briefs, strict=True) if b.channel.value == "push_notification")
    for name, run in (("transformers generate", with_generate), ("copyloop sampler", with_sampler)):
        timings = [run(model, push[0], push[1], seed) for seed in range(args.repeats)]
        seconds = statistics.median(t for t, _ in timings)
        rate = statistics.median(n / t for t, n in timings)
        print(f"one draft call ({len(push[0])} prompts, {push[1]} new tokens max), {name}: "
              f"median {seconds:.2f} s, {rate:.1f} generated tokens/s")

    def one_after_another() -> float:
        model._prefixes.clear()
        started = time.perf_counter()
        for conversations, budget in calls:
            model.generate_texts(conversations, max_new_tokens=budget)
        return time.perf_counter() - started

    def side_by_side() -> float:
        threads = [threading.Thread(target=model.generate_texts, args=(c,), kwargs={"max_new_tokens": b})
                   for c, b in calls]
        model._prefixes.clear()
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.perf_counter() - started

    serial = statistics.median(one_after_another() for _ in range(args.repeats))
    shared = statistics.median(side_by_side() for _ in range(args.repeats))
    print(f"8 briefs' first drafts ({sum(len(c) for c, _ in calls)} prompts): one after another {serial:.1f} s, "
          f"from 8 threads sharing the batch {shared:.1f} s ({serial / shared:.2f}x)")


if __name__ == "__main__":
    main()
