"""Fine-tuning pieces that need no model weights: sampling and resume, target selection, statistics, outputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from copyloop.brief import Brief
from copyloop.config import Settings
from copyloop.errors import CopyloopError
from copyloop.evaluation.metrics import compare, summarize
from copyloop.llm.factory import SHIPPED_ADAPTER, adapter_for, model_label
from copyloop.tools.channels import channel_spec
from copyloop.tools.cta import find_cta
from copyloop.training.config import load_config
from copyloop.training.model_card import acceptance, metric_table, write_model_card
from copyloop.training.sampling import read_candidates, sample_candidates
from tests.fakes import ScriptedChatModel

BRIEFS = [Brief(product_name=f"Trail Bottle {i}", channel=ch, category="Outdoor")
          for i, ch in enumerate(["email_subject", "product_title", "email_subject"])]


def test_sampling_batches_by_channel_polishes_and_resumes(tmp_path: Path) -> None:
    llm = ScriptedChatModel(script=lambda request, i: f"Here it is: Trail Bottle stays cold {i}")
    path = tmp_path / "candidates.jsonl"
    found = sample_candidates(llm, BRIEFS, path, per_brief=2, temperature=0.9, seed=7, batch=8, polish=True)
    assert len(llm.calls) == 2  # one call per channel, both email briefs together
    assert sorted(len(c) for c in llm.calls) == [2, 4]
    assert {c.source for c in found} == {"sample", "polished"}
    assert len([c for c in found if c.source == "sample"]) == 6
    polished = [c for c in found if c.source == "polished"]
    assert all(c.text != s.text for c, s in zip(polished, [c for c in found if c.source == "sample"], strict=True)
               if channel_spec(BRIEFS[c.brief_index].channel).cta)  # a product title gets no CTA added
    assert all(c.prompt[0]["role"] == "system" and c.prompt[-1]["role"] == "user" for c in found)
    for candidate in polished:  # finished as the workflow would ship it: one CTA at the end, within the limit
        brief = BRIEFS[candidate.brief_index]
        assert (find_cta(candidate.text, brief.cta_goal) is not None) == channel_spec(brief.channel).cta
        assert len(candidate.text) <= channel_spec(brief.channel).max_chars
    assert len({c.prompt[-1]["content"] for c in found if c.brief_index == 0}) == 2
    with path.open("a") as out:
        out.write('{"brief_index": 9, "prompt": [], "te')  # a line torn by a kill
    again = sample_candidates(llm, BRIEFS, path, per_brief=2, temperature=0.9, seed=7, batch=8, polish=True)
    assert len(llm.calls) == 2 and len(again) == len(found) == len(read_candidates(path))


def test_bootstrap_intervals_cover_the_mean_and_pair_by_brief() -> None:
    rng = np.random.default_rng(1)
    base = [{"combined": float(x)} for x in rng.normal(0.5, 0.05, 40)]
    tuned = [{"combined": r["combined"] + 0.1} for r in base]
    s = summarize(base)["combined"]
    assert s["low"] < s["mean"] < s["high"]
    d = compare(base, tuned)["combined"]
    assert d["mean"] == pytest.approx(0.1) and d["low"] == pytest.approx(0.1) and d["ratio"] > 1.1
    noisy = compare(base, [{"combined": float(x)} for x in rng.normal(0.5, 0.05, 40)])["combined"]
    assert noisy["low"] < 0 < noisy["high"]
    with pytest.raises(ValueError, match="same briefs"):
        compare(base, tuned[:3])


def _stage(base: float, tuned: float, sense: tuple[float, float] | None = None) -> dict:
    """Figures of one stage: every metric goes from `base` to `tuned`, the sense pass rate as `sense` says."""
    cell = lambda v: {"mean": v, "low": v - 0.01, "high": v + 0.01}  # noqa: E731
    pairs = {n: (base, tuned) for n in ("combined", "cta_rate", "distinct_2", "novelty")}
    pairs["raw_sense_pass"] = sense or (base, tuned)
    return {"base": {n: cell(b) for n, (b, _) in pairs.items()}, "tuned": {n: cell(t) for n, (_, t) in pairs.items()},
            "difference": {n: {**cell(t - b), "ratio": t / b} for n, (b, t) in pairs.items()}}


def test_acceptance_and_model_card(tmp_path: Path) -> None:
    good = {"raw": _stage(0.5, 0.6, sense=(0.2, 0.6)), "workflow": _stage(0.8, 0.8), "raw_briefs": 30,
            "workflow_briefs": 10}
    assert all(acceptance(good).values())
    assert not acceptance({**good, "raw": _stage(0.5, 0.6, sense=(0.4, 0.6))})[
        "raw-draft sense pass rate at least twice base"]
    worse = {**good, "raw": _stage(0.5, 0.4)}
    assert not any(acceptance(worse).values())
    assert "| combined reward | 0.500 [0.490, 0.510] | 0.600" in metric_table(good["raw"])
    cfg = load_config(quick=True)
    summary = {"train_briefs": 12, "data": {"rounds": []}, "weights": {"cta": 1.0},
               "training": {"steps": 3, "seconds": 10.0, "tokens": 900, "tokens_per_second": 90.0},
               "evaluation": good}
    card = tmp_path / "README.md"
    write_model_card(card, cfg, summary)
    text = card.read_text()
    assert text.startswith("---\nlibrary_name: peft") and "✅ raw-draft sense pass rate at least twice base" in text
    assert "λ (creativity 0 … conversion 1) = 0.5" in text and "## λ sweep" not in text
    point = {"novelty": 0.6, "sibling_diversity": 0.4, "cta": 0.5, "sentiment_fit": 0.9, "grounding": 0.4,
             "distinct_2": 0.9, "cta_rate": 0.5, "combined": 0.7}
    write_model_card(card, cfg, {**summary, "sweep": {"base": point, "0.2": point}})
    assert "| 0.2 | 0.500 | 0.600 | 0.600 | 0.900 | 0.500 | 0.700 |" in card.read_text()


def test_the_shipped_adapter_is_the_default_and_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (SHIPPED_ADAPTER / "adapter_config.json").is_file()
    assert (SHIPPED_ADAPTER / "README.md").is_file()
    assert adapter_for(Settings()) == str(SHIPPED_ADAPTER)
    assert model_label(Settings()).endswith("+copyloop-lora")
    assert adapter_for(Settings(tuned=False)) is None
    assert adapter_for(Settings(adapter_path="/x")) == "/x"
    assert adapter_for(Settings(backend="transformers", model_path="/m")) is None
    monkeypatch.setenv("COPYLOOP_TUNED", "0")
    assert Settings.from_env().tuned is False
    monkeypatch.setenv("COPYLOOP_TUNED", "maybe")
    with pytest.raises(CopyloopError, match="COPYLOOP_TUNED='maybe'"):
        Settings.from_env()


def test_adapter_strength_scales_lora_alpha_and_shows_in_the_card(tmp_path: Path) -> None:
    import json

    from copyloop.training.trainers import set_strength

    (tmp_path / "adapter_config.json").write_text(json.dumps({"lora_alpha": 32, "r": 16}))
    set_strength(tmp_path, 0.4)
    assert json.loads((tmp_path / "adapter_config.json").read_text())["lora_alpha"] == pytest.approx(12.8)
    cfg = load_config(quick=True, overrides={"lora.strength": 0.4})
    point = {"combined": 0.7, "cta_rate": 0.7, "distinct_2": 0.88, "novelty": 0.6, "findings_per_100": 20.0,
             "invented_fact_rate": 0.02}
    summary = {"train_briefs": 12, "data": {}, "weights": {}, "strength_curve": {"base": point, "0.4": point},
               "training": {"steps": 3, "seconds": 10.0, "tokens": 900, "tokens_per_second": 90.0}}
    write_model_card(tmp_path / "README.md", cfg, summary)
    text = (tmp_path / "README.md").read_text()
    assert "adapter strength (lora_alpha × strength, applied to the trained weights) = 0.4" in text
    assert "| 0.4 | 0.700 | 0.700 | 0.880 | 0.600 | 20.000 | 0.020 |" in text


def test_a_saved_adapter_names_its_base_model_without_this_machines_path(tmp_path: Path) -> None:
    import json

    from copyloop.training.trainers import without_machine_path

    (tmp_path / "adapter_config.json").write_text(json.dumps(
        {"base_model_name_or_path": "/home/ci/.cache/copyloop/models/SmolLM2-135M-Instruct", "r": 16}))
    without_machine_path(tmp_path)
    assert json.loads((tmp_path / "adapter_config.json").read_text()) == \
        {"base_model_name_or_path": "SmolLM2-135M-Instruct", "r": 16}
    shipped = json.loads((Path(SHIPPED_ADAPTER) / "adapter_config.json").read_text())
    assert not Path(shipped["base_model_name_or_path"]).is_absolute()
