"""Everything the sampler relies on in transformers beyond `from_pretrained` and `generate`, in one place.

The sampler (`sampling.py`) preallocates a `StaticCache`, writes keys and values into it itself (prefixes kept
across calls, rows repacked between steps) and runs the model one step at a time with its own positions and 4-D
masks. That leans on details of transformers' cache layers and forward signature which a release may change
without a deprecation warning, and a broken one shows up as wrong tokens, not an error. So each detail is used
here only, each function says what it relies on, and `tests/unit/test_transformers_contract.py` checks every one
against the installed transformers on a tiny random Llama.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch
from transformers import StaticCache

KVCache = StaticCache  # the cache type the sampler holds; only this module touches its insides


class KeyValues(NamedTuple):
    """One layer's cached keys and values, each (rows, key/value heads, slots, head dim); writes reach the cache."""

    keys: torch.Tensor
    values: torch.Tensor


def new_cache(model: Any, rows: int, slots: int) -> KVCache:
    """A cache of `rows` rows by `slots` zeroed slots per layer, allocated now, with nothing filled yet.

    Relies on `StaticCache(config=, max_cache_len=)` and `Cache.early_initialization(batch_size, num_heads,
    head_dim, dtype, device)` allocating each layer's `keys` and `values` at once (they are otherwise allocated
    on the first forward pass), and on the config's `num_key_value_heads` / `head_dim` (with the usual
    fallbacks) being the shape the attention layers write.
    """
    config = model.config
    heads = getattr(config, "num_key_value_heads", None) or config.num_attention_heads
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    cache = StaticCache(config=config, max_cache_len=slots)
    cache.early_initialization(rows, heads, head_dim, model.dtype, model.device)
    return cache


def layer_key_values(cache: KVCache) -> list[KeyValues]:
    """Every layer's key and value tensors, to read or write in place (slot order is cache order).

    Relies on `cache.layers` holding one layer per decoder layer, each with `keys` and `values` tensors that the
    forward pass writes into and attends over (the tensors themselves, not copies).
    """
    return [KeyValues(layer.keys, layer.values) for layer in cache.layers]


def set_filled(cache: KVCache, slots: int) -> None:
    """Mark the first `slots` slots of every row as written: the next forward pass writes from slot `slots` on.

    Relies on each static layer writing at, and then advancing in place, its `cumulative_length` tensor (one
    count for all rows).
    """
    for layer in cache.layers:
        layer.cumulative_length.fill_(slots)


def keep_rows(cache: KVCache, index: torch.Tensor) -> None:
    """Keep only the batch rows at `index`, in that order (a row may be taken more than once).

    Relies on a layer's `keys` and `values` being plain attributes that may be replaced by tensors with another
    row count, and on `batch_size` being the layer's record of that count (`Cache.batch_size` reads it).
    """
    for layer in cache.layers:
        layer.keys, layer.values = layer.keys.index_select(0, index), layer.values.index_select(0, index)
        layer.batch_size = len(index)


def attention_mask(valid: torch.Tensor, offset: int, width: int | None = None) -> torch.Tensor:
    """The mask for queries in slots `offset`.. over `width` cache slots: causal, real tokens (`valid`) only.

    Built in the form `last_logits` hands the model as is: 4-D boolean (rows, 1, queries, slots), True where a
    query may attend. Every query may see its own slot, so a padding query never has an empty row (NaN logits).
    """
    rows, filled = valid.shape
    width = width or filled
    queries = filled - offset
    slots = torch.arange(width)
    query_slots = torch.arange(offset, filled)
    keys = torch.zeros(rows, width, dtype=torch.bool)
    keys[:, :filled] = valid
    allowed = keys[:, None, :] & (slots[None, None, :] <= query_slots[None, :, None])
    allowed |= slots[None, None, :] == query_slots[None, :, None]
    return allowed.view(rows, 1, queries, width)


def last_logits(model: Any, ids: torch.Tensor, positions: torch.Tensor, mask: torch.Tensor,
                cache: KVCache) -> torch.Tensor:
    """One forward pass of `ids` (rows, tokens) through `cache`; each row's next-token logits.

    Relies on the forward taking the cache as `cache=` (`past_key_values` until 5.40; an unknown keyword is
    swallowed by `**kwargs` and a fresh cache used instead, silently), taking explicit `position_ids`, using a
    4-D boolean `attention_mask` over all the cache's slots (`attention_mask` above) as given, and on
    `logits_to_keep=1`.
    """
    output = model(input_ids=ids, position_ids=positions, attention_mask=mask, cache=cache, use_cache=True,
                   logits_to_keep=1)
    return output.logits[:, -1]
