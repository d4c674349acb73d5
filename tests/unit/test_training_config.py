"""The fine-tuning recipe file: defaults, the quick preset, overrides, and errors that name the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from copyloop.errors import CopyloopError
from copyloop.training.config import CONFIG_DIR, DEFAULT_CONFIG, load_config


def test_shipped_recipes_load_and_quick_is_smaller() -> None:
    full, quick = load_config(), load_config(quick=True)
    assert full.method == "sft" and quick.method == "sft"
    assert full.data.train_briefs is None and quick.data.train_briefs == 12  # the full run learns from every brief
    assert quick.sft.composed_per_brief < full.sft.composed_per_brief
    assert quick.output_dir != full.output_dir
    assert quick.lora == full.lora and quick.balance == full.balance  # only size changes
    grpo = load_config(CONFIG_DIR / "grpo.yaml", quick=True)
    assert grpo.method == "grpo" and grpo.schedule.max_steps == 2
    assert DEFAULT_CONFIG.parent == CONFIG_DIR


def test_dotted_overrides_win(tmp_path: Path) -> None:
    cfg = load_config(overrides={"sft.rounds": 3, "balance": 0.8, "output_dir": str(tmp_path)})
    assert cfg.sft.rounds == 3 and cfg.balance == 0.8 and cfg.output_dir == tmp_path


def test_weights_fill_missing_components_with_zero_and_refuse_unknown(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("weights: {cta: 2.0}\n")
    assert load_config(path).weights["cta"] == 2.0 and load_config(path).weights["novelty"] == 0.0
    path.write_text("weights: {ctr: 2.0}\n")
    with pytest.raises(CopyloopError, match="unknown reward components"):
        load_config(path)


@pytest.mark.parametrize(("text", "needle"), [
    ("balance: 1.5\n", "balance"),
    ("sft: {candidates: -1}\n", "sft.candidates"),
    ("method: ppo\n", "method"),
    ("schedule: {scheduler: exotic}\n", "schedule.scheduler"),
    ("sft: {cadidates: 3}\n", "sft.cadidates"),
    ("sweep: {balances: [0.5, 2]}\n", "sweep.balances"),
    ("- a list\n", "mapping"),
    ("a: [unclosed\n", "not valid YAML"),
])
def test_bad_recipes_name_the_field(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(CopyloopError, match=needle.replace(".", r"\.").replace("[", r"\[")):
        load_config(path)


def test_missing_recipe_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CopyloopError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")
