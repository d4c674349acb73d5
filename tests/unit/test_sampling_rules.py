"""The sampler's token choice (penalty, temperature, nucleus) and the shared-batch queue, without a model."""

from __future__ import annotations

import threading
import time

import pytest
import torch

from copyloop.llm.sampling import SHORTLISTS, Row, pick, prefix_groups, row_seed, sample
from copyloop.llm.shared_batches import SharedBatches


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


def test_row_seeds_differ_per_row_and_repeat_per_call() -> None:
    assert row_seed(7, 0) != row_seed(7, 1)
    assert row_seed(7, 1) == row_seed(7, 1)
    assert row_seed(None, 3) is None


def test_a_failed_run_reaches_every_caller_in_it_and_the_queue_keeps_working() -> None:
    release = threading.Event()
    calls: list[int] = []

    def run(rows: list[Row]) -> list[list[int]]:
        calls.append(len(rows))
        if len(calls) == 1:
            release.wait(5)
            return [[1] for _ in rows]
        if any(r.prompt == (666,) for r in rows):
            raise ValueError("bad row")
        return [[r.prompt[0]] for r in rows]

    shared = SharedBatches(run)
    outcomes: dict[str, object] = {}

    def submit(name: str, prompt: tuple[int, ...]) -> None:
        try:
            outcomes[name] = shared.submit([Row(prompt)])
        except ValueError as exc:
            outcomes[name] = exc

    first = threading.Thread(target=submit, args=("first", (1,)))
    first.start()
    while not calls:
        time.sleep(0.01)
    waiting = [threading.Thread(target=submit, args=(n, p)) for n, p in (("good", (5,)), ("bad", (666,)))]
    for t in waiting:
        t.start()
    while len(shared._queue) < 2:  # both queued behind the running batch, so the next run takes them together
        time.sleep(0.01)
    release.set()
    for t in [first, *waiting]:
        t.join(5)
    assert outcomes["first"] == [[1]]
    assert isinstance(outcomes["good"], ValueError) and isinstance(outcomes["bad"], ValueError)
    assert shared.submit([Row((9,))]) == [[9]]


def test_requests_are_never_split_and_runs_respect_max_rows() -> None:
    sizes: list[int] = []
    shared = SharedBatches(lambda rows: sizes.append(len(rows)) or [[0] for _ in rows], max_rows=3)
    assert shared.submit([Row((1,))] * 5) == [[0]] * 5  # larger than max_rows alone: still one run
    assert sizes == [5]


def test_empty_prompts_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one prompt token"):
        sample(None, [Row(())], {2})


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
