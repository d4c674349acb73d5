"""Linear layers that stay fast when a few rows decode together on a CPU.

For `x @ W.T` with a handful of rows, MKL's sgemm re-packs the whole weight matrix on every call, so decoding
four rows side by side ran at about half the steps per second of one row (2-core reference machine,
SmolLM2-135M: 5.9 against 10.3 steps/s). Computing the same product as `(W @ x.T).T` lets it stream the weights
as they lie: 9.7 steps/s at four rows (1.64x), 5.5 against 4.5 at eight, the same at one, identical logits to
float rounding (`bench/sampling_bench.py`). Prompts (hundreds of rows) keep the usual path, faster for them.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

FEW_ROWS = 16  # up to this many rows the weight-first product is the faster one


class RowLinear(nn.Linear):
    """nn.Linear whose product with a few rows is taken weight-first."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.numel() // x.shape[-1]
        if rows > FEW_ROWS:
            return nn.functional.linear(x, self.weight, self.bias)
        out = (self.weight @ x.reshape(rows, x.shape[-1]).T).T
        if self.bias is not None:
            out = out + self.bias
        return out.reshape(*x.shape[:-1], self.out_features)


def with_row_linears(model: Any) -> Any:
    """The model with every nn.Linear computing as a RowLinear (same weights, same results)."""
    for module in model.modules():
        if type(module) is nn.Linear:
            module.__class__ = RowLinear
    return model
