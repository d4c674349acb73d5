"""Batched sampling for a local causal LM, shaped for a small CPU.

`model.generate` computes every prompt from its first token and grows its cache by concatenation, which copies the
whole cache at every step. On two cores with few-shot prompts that is most of a draft call: the candidates of one
variant share their whole prompt, the variants of one brief share everything up to their own request. Here
each distinct prompt is computed once, a prefix that prompts share once (or not at all when a `PrefixStore` holds
it from an earlier call), the cache is preallocated, rows join and leave a running batch between steps (`Batch`),
and every row samples from its own seeded generator, so a row's text does not depend on the other rows in its
batch. That last property is what lets concurrent callers share one batch (`shared_batches.py`). What this asks
of transformers' cache and forward pass beyond their documented use is in `transformers_compat.py`.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any, NamedTuple

import torch

from copyloop.llm.prefix_store import PrefixStore, common_length
from copyloop.llm.transformers_compat import (
    KVCache,
    attention_mask,
    keep_rows,
    last_logits,
    layer_key_values,
    new_cache,
    set_filled,
)

SHORTLISTS = (256, 4096)  # top-p is exact from the first of these candidate lists that holds the nucleus, else all


def end_tokens(model: Any, tokenizer: Any) -> set[int]:
    """Every token that ends a reply: the generation config's end tokens and the tokenizer's."""
    ends = model.generation_config.eos_token_id
    ends = ends if isinstance(ends, list) else [ends]
    return {e for e in [*ends, tokenizer.eos_token_id] if e is not None}

@dataclass(frozen=True)
class Row:
    """One completion to sample: its prompt tokens and sampling settings.

    `temperature` 0 means greedy. `seed` seeds this row's own generator (None: a random one).
    """

    prompt: tuple[int, ...]
    seed: int | None = None
    temperature: float = 0.7
    top_p: float = 0.95
    max_new_tokens: int = 96
    repetition_penalty: float = 1.0


def row_seed(seed: int | None, index: int) -> int | None:
    """The seed of a call's `index`-th row: distinct per row, fixed by the call's seed."""
    return None if seed is None else (seed * 1_000_003 + index) % (2**63)


@dataclass
class _Prefill:
    cache: KVCache  # one row per distinct prompt
    valid: torch.Tensor  # (rows, cache length) bool: which cache slots hold real tokens
    length: int  # slots filled so far (the same for every row: padding evens them out)
    logits: torch.Tensor  # (rows, vocab) next-token logits
    prompt_of_row: torch.Tensor | None = None  # the cache row of each row, where prompts repeat (None: the same)


def _prefill(model: Any, rows: Sequence[Row], prefixes: PrefixStore | None = None) -> _Prefill:
    """Run each group's shared prefix once (what `prefixes` holds of it not at all), then each distinct prompt's
    remainder once; expand to the rows."""
    prompts = list(dict.fromkeys(r.prompt for r in rows))
    prefix_len = [0] * len(prompts)
    groups = prefix_groups(prompts)
    for group in groups:
        for m in group.members:
            prefix_len[m] = group.shared
    longest_prefix = max(prefix_len)
    suffixes = [p[n:] for p, n in zip(prompts, prefix_len, strict=True)]
    longest_suffix = max(len(s) for s in suffixes)
    total = longest_prefix + longest_suffix + max(r.max_new_tokens for r in rows)

    cache = new_cache(model, len(prompts), total)
    valid = torch.zeros(len(prompts), total, dtype=torch.bool)
    for shared, members in groups:  # one pass per group: no padding, and prefill is efficient at batch 1
        if not shared:
            continue
        group_cache = new_cache(model, 1, shared)
        tokens = prompts[members[0]][:shared]
        known = prefixes.fill(tokens, layer_key_values(group_cache)) if prefixes is not None else 0
        if known < shared:
            set_filled(group_cache, known)
            last_logits(model, torch.tensor([tokens[known:]]), torch.arange(known, shared)[None],
                        attention_mask(torch.ones(1, shared, dtype=torch.bool), known), group_cache)
        if prefixes is not None:
            prefixes.put(tokens, layer_key_values(group_cache))
        index, slots = torch.tensor(members), slice(longest_prefix - shared, longest_prefix)
        for source, target in zip(layer_key_values(group_cache), layer_key_values(cache), strict=True):
            target.keys[index, :, slots] = source.keys[0]
            target.values[index, :, slots] = source.values[0]
        valid[index, slots] = True
    set_filled(cache, longest_prefix)
    padded = _left_pad(suffixes, longest_suffix, start=prefix_len)
    end = longest_prefix + longest_suffix
    valid[:, longest_prefix:end] = padded.valid
    mask = attention_mask(valid[:, :end], longest_prefix, total)
    logits = last_logits(model, padded.ids, padded.positions, mask, cache)

    if len(rows) == len(prompts):
        return _Prefill(cache, valid, end, logits)
    index = {p: i for i, p in enumerate(prompts)}  # duplicate prompts: rows share their prompt's cache row
    row_prompt = torch.tensor([index[r.prompt] for r in rows])
    return _Prefill(cache, valid.index_select(0, row_prompt), end, logits.index_select(0, row_prompt), row_prompt)


def check_rows(rows: Sequence[Row]) -> None:
    """Refuse rows the sampler cannot run, before they reach a shared batch."""
    if any(not r.prompt for r in rows):
        raise ValueError("every row needs at least one prompt token")
    if any(r.max_new_tokens < 1 for r in rows):
        raise ValueError("every row needs max_new_tokens >= 1")


def sample(model: Any, rows: Sequence[Row], eos_ids: set[int],
           prefixes: PrefixStore | None = None) -> list[list[int]]:
    """New token ids for every row (without the end-of-sequence token), in the rows' order."""
    if not rows:
        return []
    out: list[list[int]] = [[] for _ in rows]
    batch = Batch(model, eos_ids, prefixes)
    batch.add(rows, list(range(len(rows))))
    while len(batch):
        for index, tokens in batch.step():
            out[index] = tokens
    return out


class Ended(NamedTuple):
    """A row that has ended: its owner's tag and its new tokens."""

    owner: Any
    tokens: list[int]


@dataclass
class RowState:
    """What a running batch keeps per row, every field in the batch's row order (tensors by their first axis).

    One structure, so that rows leaving (`select`) and joining (`joined`) keep every field in step.
    """

    owners: list[Any]  # the caller's tag of each row
    outputs: list[list[int]]  # tokens sampled so far
    generators: list[torch.Generator]  # each row's own seeded generator
    budgets: list[int]  # most new tokens
    temperature: torch.Tensor  # (rows,) 0: greedy
    top_p: torch.Tensor  # (rows,)
    penalty: torch.Tensor  # (rows,) repetition penalty
    positions: torch.Tensor  # (rows,) each row's next position
    seen: torch.Tensor  # (rows, vocab) bool: tokens the repetition penalty applies to
    logits: torch.Tensor  # (rows, vocab) each row's next-token logits
    done: torch.Tensor  # (rows,) bool: ended rows, dropped at the next repack

    @classmethod
    def of(cls, rows: Sequence[Row], owners: Sequence[Any], logits: torch.Tensor) -> RowState:
        """The state of freshly prefilled rows: nothing sampled, their prompt tokens seen."""
        seen = torch.zeros(len(rows), logits.shape[-1], dtype=torch.bool)
        for i, r in enumerate(rows):
            seen[i, torch.tensor(r.prompt, dtype=torch.long)] = True
        return cls(owners=list(owners), outputs=[[] for _ in rows], generators=[_generator(r.seed) for r in rows],
                   budgets=[r.max_new_tokens for r in rows],
                   temperature=torch.tensor([r.temperature for r in rows], dtype=torch.float32),
                   top_p=torch.tensor([r.top_p for r in rows], dtype=torch.float32),
                   penalty=torch.tensor([r.repetition_penalty for r in rows], dtype=torch.float32),
                   positions=torch.tensor([len(r.prompt) for r in rows], dtype=torch.long),
                   seen=seen, logits=logits, done=torch.zeros(len(rows), dtype=torch.bool))

    def select(self, keep: torch.Tensor) -> RowState:
        """The rows at `keep`, in that order."""
        at = keep.tolist()
        return RowState(**{f.name: value.index_select(0, keep) if isinstance(value, torch.Tensor)
                           else [value[i] for i in at] for f in fields(self) for value in [getattr(self, f.name)]})

    def joined(self, other: RowState) -> RowState:
        """These rows, then `other`'s."""
        return RowState(**{f.name: torch.cat([mine, theirs]) if isinstance(mine, torch.Tensor) else mine + theirs
                           for f in fields(self) for mine, theirs in [(getattr(self, f.name), getattr(other, f.name))]})


class _Move(NamedTuple):
    """A block of one cache's rows and slots, copied into a repacked cache."""

    source: KVCache
    rows: torch.Tensor | None  # the source rows to take, in order (None: all of them)
    slots: slice  # the source slots to take
    target_rows: slice  # where they go in the new cache
    target_slots: slice
    valid: torch.Tensor  # (rows, slots) bool: which of the moved slots hold real tokens


class Batch:
    """Rows decoding together, one token per step; rows join (after their prefill) and leave between steps.

    A row leaves as soon as it ends, so a caller gets its rows back without waiting for longer ones, and rows
    that arrive while others decode join them instead of waiting for the whole batch (continuous batching).
    Every row's key/value slots end at the same cache slot (`length`): joining rows are right-aligned to it and
    masked where they have no tokens, and each row keeps its own positions, so what a row samples does not
    depend on its neighbours. Owners tag each row for the caller; `prefixes` keeps prompt prefixes across calls.
    """

    def __init__(self, model: Any, eos_ids: set[int], prefixes: PrefixStore | None = None):
        self.model, self.eos, self.prefixes = model, torch.tensor(sorted(eos_ids)), prefixes
        self._clear()

    def _clear(self) -> None:
        self.rows = RowState.of([], [], torch.zeros(0, 0))
        self.cache: KVCache | None = None
        self.valid = torch.zeros(0, 0, dtype=torch.bool)  # (rows, cache slots): which slots hold real tokens
        self.length = 0  # slots filled so far, the same for every row

    @property
    def owners(self) -> list[Any]:
        """The owner tag of each row, ended or not."""
        return self.rows.owners

    def __len__(self) -> int:
        """Rows still decoding."""
        return int((~self.rows.done).sum())

    @torch.inference_mode()
    def add(self, rows: Sequence[Row], owners: Sequence[Any]) -> None:
        """Prefill `rows` and join them to the batch (if this fails, the batch is as it was)."""
        check_rows(rows)
        part = _prefill(self.model, rows, self.prefixes)
        joining = RowState.of(rows, owners, part.logits)
        keep = torch.nonzero(~self.rows.done).squeeze(1)
        if self.cache is None or not len(keep):
            if part.prompt_of_row is not None:  # each row gets its own copy of its prompt's cache row
                keep_rows(part.cache, part.prompt_of_row)
            self.cache, self.valid, self.length, self.rows = part.cache, part.valid, part.length, joining
        else:
            self._repack(keep, part)
            self.rows = self.rows.select(keep).joined(joining)

    @torch.inference_mode()
    def step(self) -> list[Ended]:
        """Sample one token for every row; return the rows that ended, advance the others."""
        state = self.rows
        live = ~state.done
        draws = torch.tensor([torch.rand(1, generator=g).item() if alive else 0.0
                              for g, alive in zip(state.generators, live.tolist(), strict=True)])
        tokens = pick(state.logits, state.seen, state.temperature, state.top_p, state.penalty, draws)
        ending = torch.isin(tokens, self.eos)
        finished = []
        for i in torch.nonzero(live).squeeze(1).tolist():
            if not ending[i]:
                state.outputs[i].append(int(tokens[i]))
            if ending[i] or len(state.outputs[i]) >= state.budgets[i]:
                state.done[i] = True
                finished.append(Ended(state.owners[i], state.outputs[i]))
        if not len(self):
            self._clear()
            return finished
        state.seen[torch.arange(len(tokens)), tokens] = True
        if int(state.done.sum()) * 4 >= len(state.done):  # a quarter of the batch has ended: drop those rows
            keep = torch.nonzero(~state.done).squeeze(1)
            self._repack(keep)
            self.rows = state = state.select(keep)
            tokens = tokens.index_select(0, keep)
        self.valid[:, self.length] = True
        state.logits = last_logits(self.model, tokens[:, None], state.positions[:, None],
                                   attention_mask(self.valid[:, :self.length + 1], self.length, self.valid.shape[1]),
                                   self.cache)
        state.positions += 1
        self.length += 1
        return finished

    def _repack(self, keep: torch.Tensor, part: _Prefill | None = None) -> None:
        """A new cache holding the rows at `keep`, then `part`'s rows, right-aligned and just wide enough.

        Slots that no kept row uses are trimmed from the left, so the cache is only as wide as its rows need.
        """
        assert self.cache is not None
        first = int(self.valid.index_select(0, keep).any(0).int().argmax())
        span = self.length - first
        length = max(span, part.length if part else 0)
        needed = max(self.rows.budgets[i] - len(self.rows.outputs[i]) for i in keep.tolist())
        if part:
            needed = max(needed, part.valid.shape[1] - part.length)
        moves = [_Move(self.cache, keep, slice(first, self.length), slice(0, len(keep)), slice(length - span, length),
                       self.valid.index_select(0, keep)[:, first:self.length])]
        if part:
            moves.append(_Move(part.cache, part.prompt_of_row, slice(0, part.length),
                               slice(len(keep), len(keep) + len(part.valid)), slice(length - part.length, length),
                               part.valid[:, :part.length]))
        rows = moves[-1].target_rows.stop
        cache = new_cache(self.model, rows, length + needed)
        valid = torch.zeros(rows, length + needed, dtype=torch.bool)
        targets = layer_key_values(cache)
        for move in moves:
            valid[move.target_rows, move.target_slots] = move.valid
            for source_layer, target_layer in zip(layer_key_values(move.source), targets, strict=True):
                for source, target in zip(source_layer, target_layer, strict=True):  # keys, then values
                    block = source[:, :, move.slots]
                    if move.rows is not None:
                        block = block.index_select(0, move.rows)
                    target[move.target_rows, :, move.target_slots] = block
        set_filled(cache, length)
        self.cache, self.valid, self.length = cache, valid, length


def pick(logits: torch.Tensor, seen: torch.Tensor, temperature: torch.Tensor, top_p: torch.Tensor,
         penalty: torch.Tensor, draws: torch.Tensor) -> torch.Tensor:
    """Next token per row: repetition penalty on seen tokens, then temperature and nucleus, then one draw each.

    Same order and rules as transformers' processors; `draws` are the rows' uniform numbers in [0, 1).
    """
    logits = logits.float()
    penalized = torch.where(logits < 0, logits * penalty[:, None], logits / penalty[:, None])
    logits = torch.where(seen, penalized, logits)
    greedy = logits.argmax(-1)
    probs = torch.softmax(logits / temperature.clamp_min(1e-6)[:, None], dim=-1)
    sampled = torch.zeros_like(greedy)
    pending = torch.arange(len(probs))
    for size in (*SHORTLISTS, probs.shape[-1]):  # the smallest candidate list that holds each row's nucleus
        top, order = probs[pending].topk(min(size, probs.shape[-1]), dim=-1)
        holds = (top.sum(-1) >= top_p[pending]) | (size >= probs.shape[-1])
        chosen = _nucleus_draw(top[holds], top_p[pending][holds], draws[pending][holds])
        sampled[pending[holds]] = order[holds].gather(1, chosen[:, None]).squeeze(1)
        pending = pending[~holds]
        if not len(pending):
            break
    return torch.where(temperature > 0, sampled, greedy)


def _nucleus_draw(sorted_probs: torch.Tensor, top_p: torch.Tensor, draws: torch.Tensor) -> torch.Tensor:
    """Index into descending probabilities: keep tokens while the mass before them is under top_p, draw one."""
    before = sorted_probs.cumsum(-1) - sorted_probs
    kept = torch.where(before < top_p[:, None], sorted_probs, torch.zeros_like(sorted_probs))
    cumulative = kept.cumsum(-1)
    target = draws * cumulative[:, -1]
    index = torch.searchsorted(cumulative, target[:, None], right=True).squeeze(1)
    return index.clamp(max=sorted_probs.shape[-1] - 1)


class PrefixGroup(NamedTuple):
    """Prompts whose first `shared` tokens are computed once for all of them."""

    shared: int  # length of the common prefix
    members: list[int]  # the prompts' indices


def prefix_groups(prompts: Sequence[tuple[int, ...]]) -> list[PrefixGroup]:
    """Prompts grouped so that each group's common prefix is computed once.

    Groups are runs of the prompts in sorted order, chosen by dynamic programming to skip the most tokens; a
    prefix always leaves each member at least one token to run (its logits start the reply).
    """
    order = sorted(range(len(prompts)), key=lambda i: prompts[i])
    common = [common_length(prompts[a], prompts[b]) for a, b in itertools.pairwise(order)]
    saved = [0] * (len(order) + 1)  # saved[k]: most tokens skipped by grouping the first k sorted prompts
    cut = [0] * (len(order) + 1)
    shared_of: dict[tuple[int, int], int] = {}
    for end in range(1, len(order) + 1):
        saved[end], cut[end] = -1, end - 1
        shared = len(prompts[order[end - 1]]) - 1
        for start in range(end - 1, -1, -1):
            if start < end - 1:
                shared = min(shared, common[start], len(prompts[order[start]]) - 1)
            shared_of[start, end] = shared
            gain = saved[start] + (end - start - 1) * shared
            if gain > saved[end]:
                saved[end], cut[end] = gain, start
    groups: list[PrefixGroup] = []
    end = len(order)
    while end:
        start = cut[end]
        groups.append(PrefixGroup(shared_of[start, end], [order[i] for i in range(start, end)]))
        end = start
    return groups[::-1]


class _Padded(NamedTuple):
    """Sequences right-aligned in a fixed number of slots, each tensor (sequences, slots)."""

    ids: torch.Tensor  # token ids, 0 where there is no token
    valid: torch.Tensor  # bool: which slots hold a token
    positions: torch.Tensor  # each token's position


def _left_pad(seqs: list[tuple[int, ...]], width: int, start: list[int]) -> _Padded:
    """Sequences right-aligned in `width` slots, their positions counted from `start`."""
    ids = torch.zeros(len(seqs), width, dtype=torch.long)
    valid = torch.zeros(len(seqs), width, dtype=torch.bool)
    positions = torch.zeros(len(seqs), width, dtype=torch.long)
    for i, (seq, first) in enumerate(zip(seqs, start, strict=True)):
        if seq:
            ids[i, width - len(seq):] = torch.tensor(seq)
            valid[i, width - len(seq):] = True
            positions[i, width - len(seq):] = torch.arange(first, first + len(seq))
    return _Padded(ids, valid, positions)


def _generator(seed: int | None) -> torch.Generator:
    generator = torch.Generator()
    generator.manual_seed(seed if seed is not None else int.from_bytes(os.urandom(8), "little") >> 1)
    return generator
