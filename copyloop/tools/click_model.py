"""Predicted performance: a click model that says which of several texts should draw more clicks.

A linear head on MiniLM sentence embeddings, trained pairwise (Bradley–Terry) on real headline A/B tests from
the Upworthy Research Archive (see copyloop/training/click_training.py). A text's score only means something
next to its competitors': score differences give the probability that one text out-clicks another and, through
a slope fitted on measured log CTR ratios, a predicted relative CTR. It is a proxy learned from news headlines,
not a measured e-commerce CTR; its validation accuracy travels with it in `card.json`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from copyloop.errors import CopyloopError
from copyloop.memory.embeddings import EMBEDDING_DIM, embed

SHIPPED = Path(str(resources.files("copyloop") / "models" / "click-model"))


@dataclass(frozen=True)
class ClickModel:
    """Weights of the linear head, the log-CTR slope per score unit, and the card describing both."""

    weights: np.ndarray
    ctr_slope: float
    card: dict[str, Any] = field(default_factory=dict)

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """One latent click score per text (comparable only within a set of competitors)."""
        if not texts:
            return np.zeros(0)
        return embed(list(texts)) @ self.weights

    def ctr_multiple(self, scores: np.ndarray | float, base: float) -> np.ndarray:
        """Predicted CTR as a multiple of the CTR of a text scoring `base`: 1.10 means about 10% more clicks."""
        return np.exp(self.ctr_slope * (np.asarray(scores, dtype=float) - base))

    @staticmethod
    def win_probability(scores: np.ndarray | float, base: float) -> np.ndarray:
        """Probability that a text out-clicks one scoring `base` (the Bradley–Terry link)."""
        return 1.0 / (1.0 + np.exp(base - np.asarray(scores, dtype=float)))

    def save(self, folder: Path) -> None:
        """Write weights.npy and card.json (a few kilobytes) to `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "weights.npy", self.weights.astype(np.float32))
        (folder / "card.json").write_text(json.dumps({**self.card, "ctr_slope": self.ctr_slope}, indent=2) + "\n")


def load_click_model(folder: Path | None = None) -> ClickModel:
    """The click model in `folder` (the shipped one by default), with a clear error for a broken folder."""
    folder = Path(folder or SHIPPED)
    try:
        weights = np.load(folder / "weights.npy").astype(np.float64)
        card = json.loads((folder / "card.json").read_text())
    except (OSError, ValueError) as exc:
        raise CopyloopError(f"click model in {folder} is missing or unreadable ({exc}); "
                            "retrain it with `copyloop train-click-model`") from exc
    if weights.shape != (EMBEDDING_DIM,):
        raise CopyloopError(f"click model in {folder}: weights have shape {weights.shape}, need ({EMBEDDING_DIM},)")
    return ClickModel(weights=weights, ctr_slope=float(card.get("ctr_slope", 1.0)), card=card)


@cache
def shipped_click_model() -> ClickModel:
    """The bundled model, loaded once per process."""
    return load_click_model()
