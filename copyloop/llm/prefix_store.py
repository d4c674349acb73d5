"""Key/value caches of recently computed prompt prefixes, kept across model calls.

A brief's redrafts repeat its first call's prompt up to the variant's own request (system rules, few-shot
examples, facts), and every brief starts with the same system rules. Keeping the keys and values of those prefixes
lets a later call compute only what is new: in an evaluation run that is about four prompt tokens in five. Keys
and values at a position depend only on the tokens up to it, so any stored sequence that starts the same way
serves, whatever followed it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from copyloop.llm.transformers_compat import KeyValues

MAX_TOKENS = 8192  # about 46 KB a token for SmolLM2-135M in fp32: ~380 MB at most


class PrefixStore:
    """Least-recently-used prefixes, at most `max_tokens` tokens in all."""

    def __init__(self, max_tokens: int = MAX_TOKENS):
        self.max_tokens = max_tokens
        self._entries: OrderedDict[tuple[int, ...], list[KeyValues]] = OrderedDict()  # each layer's, per prefix
        self._tokens = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        """Forget every prefix (benchmarks start cold with it)."""
        with self._lock:
            self._entries.clear()
            self._tokens = 0

    def fill(self, tokens: tuple[int, ...], layers: list[KeyValues]) -> int:
        """Copy the longest stored match for `tokens` into the first slots of a batch-1 cache's layers; how many it
        filled (the caller marks them filled in its cache)."""
        with self._lock:
            best, known = None, 0
            for stored in self._entries:
                common = common_length(stored, tokens)
                if common > known:
                    best, known = stored, common
            if best is None:
                return 0
            self._entries.move_to_end(best)
            for layer, stored_layer in zip(layers, self._entries[best], strict=True):
                layer.keys[0, :, :known] = stored_layer.keys[:, :known]
                layer.values[0, :, :known] = stored_layer.values[:, :known]
            return known

    def put(self, tokens: tuple[int, ...], layers: list[KeyValues]) -> None:
        """Keep the keys and values of `tokens` (slots 0.. of a batch-1 cache), evicting the oldest to fit."""
        if not tokens or len(tokens) > self.max_tokens:
            return
        with self._lock:
            longer = next((stored for stored in self._entries if stored[:len(tokens)] == tokens), None)
            if longer is not None:  # already known as the start of a longer sequence
                self._entries.move_to_end(longer)
                return
            for shorter in [stored for stored in self._entries if tokens[:len(stored)] == stored]:
                del self._entries[shorter]  # the new entry holds it too
                self._tokens -= len(shorter)
            self._entries[tokens] = [KeyValues(layer.keys[0, :, :len(tokens)], layer.values[0, :, :len(tokens)])
                                     for layer in layers]
            self._tokens += len(tokens)
            while self._tokens > self.max_tokens:
                evicted, _ = self._entries.popitem(last=False)
                self._tokens -= len(evicted)


def common_length(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    """How many leading tokens two sequences share."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
