"""The batched sampler on the real SmolLM2 weights: same tokens as transformers, rows independent of their batch,
rows joining and leaving a running batch without changing anyone's tokens."""

from __future__ import annotations

import threading

import pytest
import torch

from copyloop.config import Settings
from copyloop.llm import sampling
from copyloop.llm.prefix_store import PrefixStore
from copyloop.llm.sampling import Batch, Row, row_seed, sample
from copyloop.llm.shared_batches import SharedBatches

pytestmark = pytest.mark.model
END = {2}


@pytest.fixture(scope="module")
def model_and_tokenizer(real_llm):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from copyloop.llm.smollm2 import converted_model_dir

    path = converted_model_dir(Settings().model_cache)
    return AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval(), AutoTokenizer.from_pretrained(path)


def prompt_ids(tokenizer, *turns: str) -> tuple[int, ...]:
    chat = [{"role": "system", "content": "You are a copywriter. Reply with the copy only."}]
    chat += [{"role": "user" if i % 2 == 0 else "assistant", "content": t} for i, t in enumerate(turns)]
    text = tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
    return tuple(tokenizer(text, add_special_tokens=False)["input_ids"])


def transformers_greedy(model, tokenizer, prompts, max_new_tokens: int) -> list[list[int]]:
    """What `model.generate` gives for each prompt alone (no padding at all), end token removed."""
    out = []
    for prompt in prompts:
        with torch.inference_mode():
            ids = model.generate(torch.tensor([prompt]), max_new_tokens=max_new_tokens, do_sample=False,
                                 repetition_penalty=1.1, pad_token_id=2)[0, len(prompt):].tolist()
        out.append([t for t in ids if t not in END])
    return out


def test_greedy_rows_match_transformers_with_shared_prefixes_duplicates_and_padding(model_and_tokenizer) -> None:
    model, tokenizer = model_and_tokenizer
    prompts = [
        prompt_ids(tokenizer, "Write an email subject line for a steel water bottle."),
        prompt_ids(tokenizer, "Write an email subject line for a steel water bottle that keeps drinks cold all day."),
        prompt_ids(tokenizer, "Write a product title for a wool scarf."),
    ]
    rows = [Row(p, temperature=0, repetition_penalty=1.1, max_new_tokens=16) for p in [*prompts, prompts[0]]]
    got = sample(model, rows, END)
    expected = transformers_greedy(model, tokenizer, prompts, 16)
    assert got == [*expected, expected[0]]
    assert all(got)


def test_a_sampled_row_does_not_depend_on_its_batch(model_and_tokenizer) -> None:
    model, tokenizer = model_and_tokenizer
    mine = Row(prompt_ids(tokenizer, "Write a push notification for trail running shoes."), seed=11,
               temperature=0.9, top_p=0.95, repetition_penalty=1.1, max_new_tokens=30)
    others = [Row(prompt_ids(tokenizer, f"Write a product title for a {thing}."), seed=row_seed(5, i),
                  temperature=0.7, max_new_tokens=12) for i, thing in enumerate(("lamp", "tent", "desk chair"))]
    alone = sample(model, [mine], END)[0]
    in_batch = sample(model, [others[0], mine, *others[1:]], END)
    assert in_batch[1] == alone
    assert len(alone) > 3
    assert all(len(tokens) <= 12 for tokens in in_batch[:1] + in_batch[2:])  # each row keeps its own budget
    reseeded = sample(model, [Row(mine.prompt, seed=12, temperature=0.9, top_p=0.95, repetition_penalty=1.1,
                                  max_new_tokens=30)], END)[0]
    assert reseeded != alone  # the seed, not the batch, decides the draw


def test_rows_joining_and_leaving_a_running_batch_keep_their_greedy_tokens(model_and_tokenizer) -> None:
    model, tokenizer = model_and_tokenizer
    long_prompt = prompt_ids(tokenizer, "Write a product description for a cast iron skillet, pre-seasoned, 26 cm.")
    short_prompt = prompt_ids(tokenizer, "Write a product title for a lamp.")
    longer_prompt = prompt_ids(tokenizer, "Write a push notification about our spring sale on linen bedding, "
                                          "duvet covers and pillowcases, this weekend only, free delivery.")
    batch, got = Batch(model, END), {}
    batch.add([Row(long_prompt, temperature=0, repetition_penalty=1.1, max_new_tokens=24)], ["long"])
    for _ in range(5):
        got.update(batch.step())
    # joins with a shorter prompt (twice: one cache row, two batch rows), a longer one (the running row is
    # shifted right) and ones that end early
    short = Row(short_prompt, temperature=0, repetition_penalty=1.1, max_new_tokens=4)
    batch.add([short, Row(longer_prompt, temperature=0, repetition_penalty=1.1, max_new_tokens=20), short],
              ["short", "longer", "short again"])
    widths = []
    while len(batch):
        got.update(batch.step())
        widths.append(batch.valid.shape[1])
    assert got["long"] == transformers_greedy(model, tokenizer, [long_prompt], 24)[0]
    assert got["short"] == transformers_greedy(model, tokenizer, [short_prompt], 4)[0]
    assert got["longer"] == transformers_greedy(model, tokenizer, [longer_prompt], 20)[0]
    assert got["short again"] == got["short"]
    assert len(got["short"]) == 4 and len(set(widths)) > 1  # the short rows left and the cache was repacked


def test_prefixes_kept_from_earlier_calls_give_the_same_tokens(model_and_tokenizer, monkeypatch) -> None:
    model, tokenizer = model_and_tokenizer
    first = [prompt_ids(tokenizer, f"Write a product title for a {thing}.") for thing in ("linen shirt", "wool hat")]
    redraft = prompt_ids(tokenizer, "Write a product title for a linen shirt.", "Linen Shirt",
                         "Revise: name the colour.")
    store = PrefixStore()
    computed: list[int] = []
    forward = sampling.last_logits

    def counting_forward(model, ids, *args):
        computed.append(ids.numel())
        return forward(model, ids, *args)

    monkeypatch.setattr(sampling, "last_logits", counting_forward)
    sample(model, [Row(p, temperature=0, repetition_penalty=1.1, max_new_tokens=3) for p in first], END, store)
    computed.clear()
    got = sample(model, [Row(redraft, temperature=0, repetition_penalty=1.1, max_new_tokens=10)], END, store)
    assert got == transformers_greedy(model, tokenizer, [redraft], 10)
    prefill = computed[0] + computed[1]  # the prefix pass, then the remainder pass
    assert prefill < len(redraft) - len(first[0]) // 2  # the first call's prompt start was not computed again
    assert len(store) == 1  # the redraft's prefix starts with the first call's shared start: kept once


def test_concurrent_callers_share_the_batch_and_get_their_own_rows(model_and_tokenizer) -> None:
    model, tokenizer = model_and_tokenizer
    joins: list[int] = []

    class CountingBatch(Batch):
        def add(self, rows, owners) -> None:
            joins.append(len(rows))
            super().add(rows, owners)

    shared = SharedBatches(lambda: CountingBatch(model, END))
    requests = [[Row(prompt_ids(tokenizer, f"Write a product title for a {thing}."), seed=row_seed(3, i),
                     temperature=0.8, max_new_tokens=12) for i in range(2)]
                for thing in ("lamp", "tent", "mug", "kettle")]
    solo = [sample(model, rows, END) for rows in requests]
    results: list = [None] * len(requests)

    def call(index: int) -> None:
        results[index] = shared.submit(requests[index])

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == solo
    assert len(joins) < len(requests) and sum(joins) == 2 * len(requests)
