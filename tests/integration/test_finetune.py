"""`copyloop finetune` on the real model: the quick SFT preset end to end, resuming, GRPO, and the shipped adapter."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from copyloop.catalog import training_briefs
from copyloop.config import Settings
from copyloop.llm.factory import SHIPPED_ADAPTER, chat_model
from copyloop.llm.smollm2 import gguf_file
from copyloop.tools.composer import fitting_name
from copyloop.tools.cta import find_cta
from copyloop.tools.finishing import finish, shipping_problems
from copyloop.tools.placeholders import PRODUCT_SLOT, fill_slots
from copyloop.training.config import CONFIG_DIR, load_config
from copyloop.training.finetune import finetune

pytestmark = pytest.mark.model


def concluded_experiment(tmp_path: Path) -> str:
    """A service database with one experiment whose winner is significant, concluded; returns its URL."""
    from copyloop.memory import CopyMemory
    from copyloop.service import experiments
    from copyloop.service.db import connect
    from copyloop.service.experiment_results import conclude

    url = f"sqlite:///{tmp_path / 'service.sqlite'}"
    engine = connect(url)
    brief = {"product_name": "Summit Flask", "category": "Drinkware", "channel": "email_subject", "brand": "Acme"}
    experiment = experiments.create(engine, "Acme", name="flask", sku="SF-1", category="Drinkware",
                                    channel="email_subject", allocation="split", control=0, brief=brief,
                                    variants=[{"text": "Meet the Summit Flask"},
                                              {"text": "Hot coffee at the summit: Summit Flask"}])
    counts = {("v1", "impression"): 1500, ("v1", "click"): 45, ("v2", "impression"): 1500, ("v2", "click"): 120}
    experiments.record(engine, "Acme", [{"event_id": f"{key}-{kind}-{i}", "experiment_id": experiment, "type": kind,
                                         "variant": key} for (key, kind), n in counts.items() for i in range(n)])
    conclude(engine, CopyMemory(tmp_path / "memory"), "Acme", experiment)
    engine.dispose()
    return url


# Half the quick preset's training and raw-draft evaluation briefs: every stage still runs on several briefs, in
# about half the time (sampling, training and evaluation were most of the model tests' time).
TRAIN_BRIEFS, EVAL_BRIEFS = 6, 2


def test_quick_sft_preset_through_the_cli_then_resume(tmp_path: Path) -> None:
    out = tmp_path / "run"
    command = [sys.executable, "-m", "copyloop", "finetune", "--quick", "--output", str(out),
               "--outcomes", concluded_experiment(tmp_path), "--set", f"data.train_briefs={TRAIN_BRIEFS}",
               "--set", f"data.eval_briefs={EVAL_BRIEFS}"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stderr[-3000:]
    adapter = out / "adapter"
    assert (adapter / "adapter_config.json").is_file() and (adapter / "adapter_model.safetensors").is_file()
    summary = json.loads((out / "summary.json").read_text())
    data = summary["data"]
    sampled_rows = [json.loads(line) for line in (out / "round-1" / "candidates.jsonl").read_text().splitlines()]
    samples = [row for row in sampled_rows if row["source"] == "sample"]
    assert data["composed"] > 0 and data["rounds"][0]["candidates"] == len(sampled_rows)
    assert len(samples) == TRAIN_BRIEFS * load_config(None, quick=True).sft.candidates  # polished ones come on top
    assert summary["train_briefs"] == TRAIN_BRIEFS and summary["evaluation"]["raw_briefs"] == EVAL_BRIEFS
    assert summary["training"]["steps"] >= 1 and summary["training"]["tokens"] > 0
    assert data["measured_winners"] == 1 and "join the training targets" in run.stdout
    raw = summary["evaluation"]["raw"]
    for stage in ("base", "tuned"):
        for metric in ("raw_sense_pass", "combined", "distinct_2", "novelty", "findings_per_100"):
            cell = raw[stage][metric]
            assert cell["low"] <= cell["mean"] <= cell["high"], (stage, metric, cell)
    card = (adapter / "README.md").read_text()
    assert "## Before and after" in card and "raw-draft sense pass rate" in card and "λ" in card
    rows = [json.loads(line) for line in (out / "round-1" / "targets.jsonl").read_text().splitlines()]
    assert len(rows) == data["measured_winners"] + data["composed"] + data["human"] + data["rounds"][0]["kept"]
    assert data["rounds"][0]["kept"] <= data["rounds"][0]["passing"]
    train = training_briefs()
    for row in rows[1:]:  # clean targets (after the measured winner): the slot, no CTA, every check passed
        brief = train[row["brief_index"]]
        target = row["completion"][0]["content"]
        assert row["prompt"][-1]["content"].startswith(f"Product: {PRODUCT_SLOT} (")
        assert PRODUCT_SLOT in target and find_cta(target, brief.cta_goal) is None
        assert not shipping_problems(finish(fill_slots(target, brief, fitting_name(brief)), brief, 0), brief)

    # An interruption after the last checkpoint: the adapter is gone, the rerun resumes instead of restarting.
    shutil.rmtree(out / "round-1" / "adapter")
    sampled = (out / "round-1" / "candidates.jsonl").read_text()
    assert sampled
    again = subprocess.run([*command, "--no-eval"], capture_output=True, text=True, timeout=1200)
    assert again.returncode == 0, again.stderr[-3000:]
    assert (out / "round-1" / "candidates.jsonl").read_text() == sampled  # nothing sampled twice
    stats = json.loads((out / "round-1" / "adapter" / "train_stats.json").read_text())
    assert stats["resumed_from"] and "checkpoint-" in stats["resumed_from"]


def test_offloaded_run_hands_sampling_and_training_to_the_gpu_worker(tmp_path: Path) -> None:
    """`--offload`: the run stops for the worker twice, and the worker (here on the CPU) answers on the real model."""
    out, folder = tmp_path / "run", tmp_path / "handoff"
    command = [sys.executable, "-m", "copyloop", "finetune", "--quick", "--no-eval", "--output", str(out),
               "--offload", str(folder), "--set", "data.train_briefs=2", "--set", "sft.candidates=2",
               "--set", "sft.sample_adapter=" + str(SHIPPED_ADAPTER)]
    worker = [sys.executable, "-m", "copyloop.training.gpu_worker"]
    for step in ("sample", "train"):
        waiting = subprocess.run(command, capture_output=True, text=True, timeout=1200)
        assert waiting.returncode == 0 and "waiting for the GPU worker" in waiting.stdout, waiting.stderr[-3000:]
        assert not (out / "adapter").exists()
        answered = subprocess.run([*worker, step, str(folder), "--gguf", str(gguf_file()), "--batch", "4"],
                                  capture_output=True, text=True, timeout=1200)
        assert answered.returncode == 0, answered.stderr[-3000:]
    samples = [json.loads(line) for line in (folder / "samples.jsonl").read_text().splitlines()]
    assert len(samples) == 1 + 2 * 2 and sum(bool(s["text"]) for s in samples[1:]) >= 3
    done = subprocess.run(command, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0 and "done" in done.stdout, done.stderr[-3000:]
    candidates = [json.loads(line) for line in (out / "round-1" / "candidates.jsonl").read_text().splitlines()]
    samples_back = [c for c in candidates if c["source"] == "sample"]  # polished copies come on top
    assert len(samples_back) == 4 and all(PRODUCT_SLOT not in c["text"] for c in candidates)  # cleaned here
    assert (out / "adapter" / "adapter_model.safetensors").is_file()
    assert json.loads((out / "summary.json").read_text())["training"]["steps"] >= 1


def test_grpo_quick_preset_trains_an_adapter_with_the_same_rewards(tmp_path: Path) -> None:
    cfg = load_config(CONFIG_DIR / "grpo.yaml", quick=True,
                      overrides={"output_dir": str(tmp_path / "grpo"), "evaluate": False})
    lines: list[str] = []
    summary = finetune(cfg, say=lines.append)
    assert (tmp_path / "grpo" / "adapter" / "adapter_config.json").is_file()
    assert summary["training"]["steps"] == 2
    assert set(summary["weights"]) == set(cfg.weights)


def test_bad_recipe_is_a_clear_cli_error(tmp_path: Path) -> None:
    recipe = tmp_path / "bad.yaml"
    recipe.write_text("sft: {candidates: -1}\n")
    run = subprocess.run([sys.executable, "-m", "copyloop", "finetune", "--config", str(recipe)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "sft.candidates" in run.stderr and "Traceback" not in run.stderr


def test_default_model_is_smollm2_with_the_shipped_adapter_and_untuned_is_the_base() -> None:
    tuned, base = chat_model(Settings()), chat_model(Settings(tuned=False))
    assert tuned.adapter_path == str(SHIPPED_ADAPTER) and base.adapter_path is None
    prompt = [[{"role": "user", "content": "Write an email subject line for the Trail Bottle."}]]
    a = tuned.bind(max_new_tokens=12, temperature=0, seed=1).batch(prompt)[0].content
    b = base.bind(max_new_tokens=12, temperature=0, seed=1).batch(prompt)[0].content
    assert a.strip() and b.strip() and a != b  # the adapter changes what the model writes
