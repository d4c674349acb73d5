"""What `copyloop/llm/transformers_compat.py` relies on in transformers, checked against the installed version.

The sampler writes the model's key/value cache itself; a transformers release that changes how a cache layer
stores or advances its slots, or what the forward pass takes, would otherwise show up as wrong tokens, not an
error. Each test here exercises one adapter function on a tiny random Llama (no weights to fetch, seconds in all)
and fails with the name of what is gone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import torch
import transformers
from transformers import LlamaConfig, LlamaForCausalLM

from copyloop.llm.row_linear import RowLinear, with_row_linears
from copyloop.llm.sampling import Batch, Row, sample
from copyloop.llm.transformers_compat import (
    attention_mask,
    keep_rows,
    last_logits,
    layer_key_values,
    new_cache,
    set_filled,
)

LAYERS, KV_HEADS, HEAD_DIM, VOCAB = 2, 2, 8, 96
ADAPTER = "copyloop/llm/transformers_compat.py"


def relied_on(ok: bool, what: str) -> None:
    """Fail loudly, naming the transformers behaviour the sampler relies on."""
    if not ok:
        pytest.fail(f"transformers {transformers.__version__}: {what}. The sampler relies on this; "
                    f"update {ADAPTER} for this version.", pytrace=False)


@contextmanager
def offers(what: str) -> Iterator[None]:
    """Turn an error from transformers into a failure naming what it no longer offers."""
    try:
        yield
    except Exception as exc:  # an AttributeError or TypeError from transformers means an API moved
        pytest.fail(f"transformers {transformers.__version__} no longer offers {what} ({type(exc).__name__}: "
                    f"{exc}). The sampler relies on it; update {ADAPTER} for this version.", pytrace=False)


@pytest.fixture(scope="module")
def model() -> LlamaForCausalLM:
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=LAYERS,
                         num_attention_heads=4, num_key_value_heads=KV_HEADS, head_dim=HEAD_DIM,
                         max_position_embeddings=128, bos_token_id=1, eos_token_id=2, pad_token_id=0)
    return LlamaForCausalLM(config).eval()


def reference(model: LlamaForCausalLM, prompt: list[int]) -> torch.Tensor:
    """Next-token logits of a whole prompt from a plain forward pass (no cache, no mask): the documented path."""
    with torch.inference_mode():
        return model(input_ids=torch.tensor([prompt])).logits[0, -1]


def prefill(model: LlamaForCausalLM, prompts: list[list[int]], slots: int) -> tuple[object, torch.Tensor]:
    """Equal-length prompts run through a fresh cache from slot 0; the cache and their last logits."""
    cache = new_cache(model, len(prompts), slots)
    length = len(prompts[0])
    with torch.inference_mode():
        logits = last_logits(model, torch.tensor(prompts), torch.arange(length).expand(len(prompts), -1),
                             attention_mask(torch.ones(len(prompts), length, dtype=torch.bool), 0, slots), cache)
    return cache, logits


def filled_slots(cache: object) -> list[int]:
    """Which slots of the first layer's first row hold something."""
    keys = layer_key_values(cache)[0].keys[0]
    return torch.nonzero(keys.abs().sum(dim=(0, 2))).squeeze(1).tolist()


PROMPT = [5, 17, 33, 8, 60, 41]


def test_new_cache_allocates_every_layer_at_once(model) -> None:
    with offers("StaticCache(config=, max_cache_len=) with Cache.early_initialization(...)"):
        cache = new_cache(model, 3, 10)
    with offers("Cache.layers with keys and values tensors on each layer"):
        layers = layer_key_values(cache)
    relied_on(len(layers) == LAYERS, f"a cache has one layer per decoder layer ({len(layers)} for {LAYERS})")
    for layer in layers:
        for tensor in layer:
            relied_on(tuple(tensor.shape) == (3, KV_HEADS, 10, HEAD_DIM),
                      f"early_initialization allocates (rows, kv heads, slots, head dim), not {tuple(tensor.shape)}")
            relied_on(tensor.dtype == model.dtype and not tensor.any(), "a new cache's keys and values are zeros")
    relied_on(int(cache.get_seq_length()) == 0, "a new cache holds no tokens")


def test_a_forward_pass_writes_into_the_given_cache_and_advances_it(model) -> None:
    cache, logits = prefill(model, [PROMPT], 10)
    relied_on(filled_slots(cache) == list(range(len(PROMPT))),
              "the forward pass takes the cache as `cache=` and writes a prompt's keys into its first slots "
              f"(slots written: {filled_slots(cache)})")
    relied_on(int(cache.get_seq_length()) == len(PROMPT), "a cache layer advances by the tokens written")
    relied_on(torch.allclose(logits[0], reference(model, PROMPT), atol=1e-5),
              "logits through the cache, with explicit positions and a 4-D boolean mask, equal a plain forward pass")
    with torch.inference_mode():
        step = last_logits(model, torch.tensor([[77]]), torch.tensor([[len(PROMPT)]]),
                           attention_mask(torch.ones(1, len(PROMPT) + 1, dtype=torch.bool), len(PROMPT), 10), cache)
    relied_on(filled_slots(cache) == list(range(len(PROMPT) + 1)), "a decoding step writes the next slot")
    relied_on(torch.allclose(step[0], reference(model, [*PROMPT, 77]), atol=1e-5),
              "a decoding step through the cache equals a plain forward pass of the longer prompt")


def test_keys_written_into_the_layers_and_set_filled_resume_a_prefix(model) -> None:
    known = 4
    source, _ = prefill(model, [PROMPT[:known]], known)
    target = new_cache(model, 1, 10)
    for source_layer, target_layer in zip(layer_key_values(source), layer_key_values(target), strict=True):
        target_layer.keys[:, :, :known] = source_layer.keys
        target_layer.values[:, :, :known] = source_layer.values
    relied_on(filled_slots(target) == list(range(known)), "writes into a layer's keys reach the cache itself")
    with offers("a `cumulative_length` tensor on each static cache layer"):
        set_filled(target, known)
    with torch.inference_mode():
        logits = last_logits(model, torch.tensor([PROMPT[known:]]), torch.arange(known, len(PROMPT))[None],
                             attention_mask(torch.ones(1, len(PROMPT), dtype=torch.bool), known, 10), target)
    relied_on(filled_slots(target) == list(range(len(PROMPT))),
              "a layer writes from its `cumulative_length` on (set_filled moves where the next pass writes)")
    relied_on(torch.allclose(logits[0], reference(model, PROMPT), atol=1e-5),
              "a prompt resumed after a copied prefix gives the logits of the whole prompt")


def test_keep_rows_reorders_and_repeats_rows(model) -> None:
    prompts = [PROMPT, [9, 9, 14, 70, 3, 12]]
    cache, _ = prefill(model, prompts, 10)
    with offers("replaceable keys/values and a `batch_size` on each cache layer"):
        keep_rows(cache, torch.tensor([1, 0, 1]))
    relied_on(cache.batch_size == 3, "Cache.batch_size reads the layers' `batch_size`")
    relied_on(all(tensor.shape[0] == 3 for layer in layer_key_values(cache) for tensor in layer),
              "replaced keys and values are the ones the cache keeps")
    length = len(PROMPT)
    with torch.inference_mode():
        step = last_logits(model, torch.tensor([[40], [41], [42]]), torch.full((3, 1), length),
                           attention_mask(torch.ones(3, length + 1, dtype=torch.bool), length, 10), cache)
    for row, (prompt, token) in enumerate(zip([prompts[1], prompts[0], prompts[1]], [40, 41, 42], strict=True)):
        relied_on(torch.allclose(step[row], reference(model, [*prompt, token]), atol=1e-5),
                  "after keep_rows, each row decodes from the cache row it was given")


def test_padding_slots_are_masked_out(model) -> None:
    short = [7, 30, 52]
    cache = new_cache(model, 2, 8)
    valid = torch.tensor([[True] * 6, [False] * 3 + [True] * 3])
    ids = torch.tensor([PROMPT, [0, 0, 0, *short]])
    positions = torch.tensor([list(range(6)), [0, 0, 0, 0, 1, 2]])
    with torch.inference_mode():
        logits = last_logits(model, ids, positions, attention_mask(valid, 0, 8), cache)
    relied_on(torch.allclose(logits[1], reference(model, short), atol=1e-5),
              "the 4-D boolean attention_mask is used as given: a left-padded row ignores its padding")
    relied_on(torch.allclose(logits[0], reference(model, PROMPT), atol=1e-5), "an unpadded row is unaffected")


def test_the_sampler_matches_generate_greedy_on_the_tiny_model(model) -> None:
    """All the adapter functions together: shared prefixes, a repeated prompt, rows joining a running batch."""
    prompts = [(5, 17, 33, 8, 60), (5, 17, 33, 8, 61, 62, 63), (40, 41)]
    with torch.inference_mode():
        expected = [model.generate(torch.tensor([p]), max_new_tokens=6, do_sample=False, eos_token_id=None,
                                   pad_token_id=0)[0, len(p):].tolist() for p in prompts]
    relied_on(sample(model, [Row(p, temperature=0, max_new_tokens=6) for p in [*prompts, prompts[0]]], set()) ==
              [*expected, expected[0]], "the sampler's greedy tokens equal model.generate's")
    batch, got = Batch(model, set()), {}
    batch.add([Row(prompts[0], temperature=0, max_new_tokens=6)], ["first"])
    for _ in range(2):
        got.update(batch.step())
    batch.add([Row(p, temperature=0, max_new_tokens=6) for p in prompts[1:]], ["second", "third"])
    while len(batch):
        got.update(batch.step())
    relied_on([got["first"], got["second"], got["third"]] == expected,
              "rows joining a running batch (a repacked cache) keep generate's greedy tokens")


def test_every_llama_projection_becomes_a_row_linear(model) -> None:
    before = reference(model, PROMPT)
    fast = with_row_linears(LlamaForCausalLM(model.config).eval())
    fast.load_state_dict(model.state_dict())
    swapped = sum(type(m) is RowLinear for m in fast.modules())
    relied_on(swapped == 7 * LAYERS + 1, f"Llama's projections and head are plain nn.Linear ({swapped} swapped)")
    relied_on(torch.allclose(reference(fast, PROMPT), before, atol=1e-5), "row linears give the same logits")
