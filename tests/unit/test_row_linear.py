"""RowLinear computes what nn.Linear computes, for a few rows (weight-first) and for a whole prompt."""

from __future__ import annotations

import pytest
import torch

from copyloop.llm.row_linear import FEW_ROWS, RowLinear, with_row_linears


@pytest.mark.parametrize("shape", [(1, 1, 64), (4, 1, 64), (2, 3, 64), (1, FEW_ROWS + 5, 64), (64,)])
@pytest.mark.parametrize("bias", [True, False])
def test_row_linear_matches_nn_linear(shape: tuple[int, ...], bias: bool) -> None:
    torch.manual_seed(0)
    plain = torch.nn.Linear(64, 96, bias=bias)
    x = torch.randn(*shape)
    expected = plain(x)
    net = with_row_linears(torch.nn.Sequential(plain))
    assert type(net[0]) is RowLinear
    got = net(x)
    assert got.shape == expected.shape
    assert torch.allclose(got, expected, atol=1e-5)


def test_only_plain_linear_layers_are_swapped() -> None:
    class Custom(torch.nn.Linear):
        pass

    net = with_row_linears(torch.nn.Sequential(torch.nn.Linear(4, 4), Custom(4, 4), torch.nn.ReLU()))
    assert [type(m) for m in net] == [RowLinear, Custom, torch.nn.ReLU]
