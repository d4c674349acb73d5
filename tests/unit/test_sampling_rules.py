"""The sampler's token choice (penalty, temperature, nucleus) and the shared batch's scheduling, without a model."""

from __future__ import annotations

import threading
import time

import pytest
import torch

from copyloop.llm import shared_batches
from copyloop.llm.prefix_store import PrefixStore
from copyloop.llm.sampling import SHORTLISTS, Row, pick, prefix_groups, row_seed, sample
from copyloop.llm.shared_batches import SharedBatches
from copyloop.llm.transformers_compat import KeyValues


def choose(logits: list[list[float]], draws: list[float], *, temperature: float = 1.0, top_p: float = 1.0,
           penalty: float = 1.0, seen: list[list[bool]] | None = None) -> list[int]:
    values = torch.tensor(logits)
    rows = len(logits)
    return pick(values, torch.tensor(seen) if seen else torch.zeros_like(values, dtype=torch.bool),
                torch.full((rows,), temperature), torch.full((rows,), top_p), torch.full((rows,), penalty),
                torch.tensor(draws)).tolist()


def test_nucleus_keeps_tokens_until_the_mass_before_them_reaches_top_p() -> None:
    logits = [torch.tensor([0.5, 0.3, 0.15, 0.05]).log().tolist()]
    assert choose(logits, [0.0], top_p=0.8) == [0]
    assert choose(logits, [0.99], top_p=0.8) == [1]  # token 2 has 0.8 before it: outside the nucleus
    assert choose(logits, [0.99], top_p=0.81) == [2]
    assert choose(logits, [0.6], top_p=1.0) == [1]  # 0.6 of the full mass falls in the second token


def test_temperature_zero_is_greedy_and_penalty_demotes_seen_tokens() -> None:
    logits = [[1.0, 3.0, 2.9, -1.0]]
    assert choose(logits, [0.99], temperature=0) == [1]
    assert choose(logits, [0.99], temperature=0, penalty=1.3, seen=[[False, True, False, False]]) == [2]


def test_flat_distributions_fall_back_to_the_full_vocabulary() -> None:
    vocab = SHORTLISTS[-1] * 2
    falling = (-torch.arange(vocab) * 1e-4).tolist()  # nearly flat: the nucleus needs ~95 % of the vocabulary
    peaked = [20.0] + [0.0] * (vocab - 1)
    picked = choose([falling, falling, peaked], [0.0, 0.999, 0.999], top_p=0.95)
    assert picked[0] == 0
    assert SHORTLISTS[-1] < picked[1] < vocab  # beyond every shortlist, inside the nucleus
    assert picked[2] == 0


def test_row_seeds_differ_per_row_and_per_call() -> None:
    seeds = {row_seed(call, row) for call in range(40) for row in range(40)}
    assert len(seeds) == 1600 and all(0 <= s < 2**63 for s in seeds)
    assert row_seed(None, 3) is None


class Admissions:
    """Counts the decoders' admissions (`add` calls, failed ones included), so a test starts its next request only
    once the previous one reached the batch: ordered by events, not by how long a thread takes to start."""

    def __init__(self) -> None:
        self.count = 0
        self._changed = threading.Condition()

    def note(self) -> None:
        with self._changed:
            self.count += 1
            self._changed.notify_all()

    def wait_for(self, count: int) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: self.count >= count, timeout=10), f"admission {count} never came"


class EchoDecoder:
    """Stands in for `sampling.Batch`: each row emits its prompt's tokens, one a step; 666 fails where told."""

    def __init__(self, log: list[str], fail_at: str = "add", step_seconds: float = 0.001,
                 admissions: Admissions | None = None):
        self.log, self.fail_at, self.step_seconds, self.admissions = log, fail_at, step_seconds, admissions
        self.owners: list = []
        self.left: list[list[int]] = []
        self.out: list[list[int]] = []

    def __len__(self) -> int:
        return len(self.owners)

    def add(self, rows, owners) -> None:
        if self.admissions:
            self.admissions.note()
        if self.fail_at == "add" and any(666 in r.prompt for r in rows):
            raise ValueError("bad row")
        self.log.append(f"add {len(rows)} to {len(self)}")
        self.owners += owners
        self.left += [list(r.prompt) for r in rows]
        self.out += [[] for _ in rows]

    def step(self) -> list:
        time.sleep(self.step_seconds)
        if self.fail_at == "step" and any(666 in left for left in self.left):
            raise ValueError("bad step")
        ended = []
        for i in range(len(self.owners)):
            self.out[i].append(self.left[i].pop(0))
        for i in reversed(range(len(self.owners))):
            if not self.left[i]:
                ended.append((self.owners.pop(i), self.out.pop(i)))
                self.left.pop(i)
        return ended


def submit_all(shared: SharedBatches, prompts: dict[str, list[tuple[int, ...]]], order: list[str],
               admissions: Admissions) -> dict:
    """Submit each request from its own thread, in order, each once the one before was admitted to a batch;
    outcomes (tokens or error) by name."""
    outcomes: dict = {}

    def submit(name: str) -> None:
        try:
            outcomes[name] = shared.submit([Row(p) for p in prompts[name]])
        except ValueError as exc:
            outcomes[name] = exc
        order.append(name)

    threads, before = [], admissions.count
    for number, name in enumerate(prompts, start=before + 1):
        threads.append(threading.Thread(target=submit, args=(name,)))
        threads[-1].start()
        if number < before + len(prompts):
            admissions.wait_for(number)
    for t in threads:
        t.join(10)
    return outcomes


def test_a_short_request_joins_a_running_batch_and_returns_before_the_long_one() -> None:
    log: list[str] = []
    admissions = Admissions()
    shared = SharedBatches(lambda: EchoDecoder(log, admissions=admissions), admit_every=4)
    finished: list[str] = []
    prompts = {"long": [tuple(range(1, 400))], "short": [(7, 8)], "pair": [(5,), (6, 6)]}
    outcomes = submit_all(shared, prompts, finished, admissions)
    assert outcomes == {"long": [list(range(1, 400))], "short": [[7, 8]], "pair": [[5], [6, 6]]}
    assert finished[-1] == "long"  # the others did not wait for the longest row
    assert log[0] == "add 1 to 0" and any(entry.endswith("to 1") for entry in log[1:])  # joined mid-run


def test_a_failed_join_fails_only_its_callers_and_a_failed_step_fails_the_batch() -> None:
    log: list[str] = []
    admissions = Admissions()
    shared = SharedBatches(lambda: EchoDecoder(log, admissions=admissions), admit_every=1)
    outcomes = submit_all(shared, {"running": [tuple(range(1, 200))], "bad": [(666,)]}, [], admissions)
    assert outcomes["running"] == [list(range(1, 200))]
    assert isinstance(outcomes["bad"], ValueError)

    admissions = Admissions()
    stepping = SharedBatches(lambda: EchoDecoder(log, fail_at="step", admissions=admissions), admit_every=1)
    outcomes = submit_all(stepping, {"running": [tuple(range(1, 200))], "bad": [(1, 666)]}, [], admissions)
    assert isinstance(outcomes["running"], ValueError) and isinstance(outcomes["bad"], ValueError)
    assert stepping.submit([Row((9, 10))]) == [[9, 10]]  # the worker carries on with a fresh batch


def test_requests_are_never_split_and_joins_respect_max_rows() -> None:
    log: list[str] = []
    admissions = Admissions()
    shared = SharedBatches(lambda: EchoDecoder(log, admissions=admissions), max_rows=3, admit_every=1)
    assert shared.submit([Row((1,))] * 5) == [[1]] * 5  # larger than max_rows alone: still one join
    assert log == ["add 5 to 0"]
    log.clear()
    outcomes = submit_all(shared, {"a": [tuple(range(1, 100))] * 2, "b": [(3, 4)] * 2}, [], admissions)
    assert outcomes == {"a": [list(range(1, 100))] * 2, "b": [[3, 4]] * 2}
    assert log == ["add 2 to 0", "add 2 to 0"]  # b (2 rows) never joined a (2 rows) under max_rows 3


def test_the_worker_ends_when_idle_and_a_new_call_starts_another(monkeypatch) -> None:
    monkeypatch.setattr(shared_batches, "IDLE_SECONDS", 0.05)
    shared = SharedBatches(lambda: EchoDecoder([]))
    assert shared.submit([Row((1, 2))]) == [[1, 2]]
    deadline = time.monotonic() + 5
    while shared._worker is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert shared._worker is None
    assert shared.submit([Row((3,))]) == [[3]]


def test_empty_prompts_and_budgets_are_refused_before_any_batch() -> None:
    with pytest.raises(ValueError, match="at least one prompt token"):
        sample(None, [Row(())], {2})
    with pytest.raises(ValueError, match="max_new_tokens >= 1"):
        SharedBatches(lambda: EchoDecoder([])).submit([Row((1,), max_new_tokens=0)])


def test_prefix_groups_compute_each_shared_prefix_once_and_leave_every_prompt_a_token() -> None:
    system = tuple(range(100, 140))
    brief_a, brief_b = system + tuple(range(200, 260)), system + tuple(range(300, 380))
    prompts = [(*brief_a, 1, 2), (*brief_b, 7), (*brief_a, 3), (*system, 9), (*brief_b, 8, 8), (*brief_a, 1, 2, 5)]
    groups = prefix_groups(prompts)
    assert sorted(i for _, members in groups for i in members) == list(range(len(prompts)))
    by_member = {i: shared for shared, members in groups for i in members}
    assert by_member[0] == by_member[2] == len(brief_a)  # a brief's variants share their whole few-shot part
    assert by_member[1] == by_member[4] == len(brief_b)
    for shared, members in groups:
        assert all(prompts[m][:shared] == prompts[members[0]][:shared] for m in members)
        assert all(len(prompts[m]) > shared for m in members)
    assert prefix_groups([(5,)]) == [(0, [0])]


def fake_layers(tokens: tuple[int, ...]) -> list[KeyValues]:
    """A batch-1 cache of two layers whose key at each slot is that slot's token (values: its negative)."""
    keys = torch.tensor(tokens, dtype=torch.float32).view(1, 1, -1, 1)
    return [KeyValues(keys.clone(), -keys.clone()) for _ in range(2)]


def test_the_prefix_store_fills_the_longest_match_keeps_each_start_once_and_evicts_the_oldest() -> None:
    store = PrefixStore(max_tokens=10)
    store.put((1, 2, 3), fake_layers((1, 2, 3)))
    store.put((1, 2, 3, 4, 5), fake_layers((1, 2, 3, 4, 5)))  # holds (1, 2, 3) too: that entry goes
    store.put((1, 2), fake_layers((1, 2)))  # already held as the start of a longer entry
    assert len(store) == 1
    target = fake_layers((0, 0, 0, 0, 0, 0))
    assert store.fill((1, 2, 3, 4, 9, 9), target) == 4
    assert target[1].keys.view(-1).tolist() == [1, 2, 3, 4, 0, 0] and target[1].values.view(-1)[:4].tolist() == [
        -1, -2, -3, -4]
    store.put((7, 8, 9, 10, 11), fake_layers((7, 8, 9, 10, 11)))
    store.put((20, 21), fake_layers((20, 21)))  # 12 tokens > 10: the least recently used entry goes
    assert store.fill((1, 2), fake_layers((0, 0))) == 0
    assert store.fill((7, 8), fake_layers((0, 0))) == 2
