"""`copyloop eval` and `copyloop train-click-model` through the CLI, on the real model and the real archive."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from copyloop.training.click_data import load_arms

pytestmark = pytest.mark.model


def test_eval_report_on_real_products_with_the_real_model(tmp_path: Path) -> None:
    out = tmp_path / "eval"
    command = [sys.executable, "-m", "copyloop", "eval", "--limit", "2", "--configs", "baseline,workflow,human",
               "--output", str(out), "--home", str(tmp_path / "home")]
    run = subprocess.run(command, capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads((out / "report.json").read_text())
    assert report["briefs"] == 2 and report["configs"] == ["baseline", "workflow", "human"]
    workflow = report["summary"]["workflow"]
    assert workflow["cta_rate"]["mean"] == 1.0 and workflow["seconds"]["mean"] > 0
    assert report["summary"]["human"]["predicted_ctr_vs_human"]["mean"] == pytest.approx(1.0)
    assert "workflow - baseline" in report["differences"] and report["simulation"]["config"] == "workflow"
    assert set(report["config_minutes"]) == {"baseline", "workflow"} and report["briefs_at_once"] > 1
    texts = json.loads((out / "texts.json").read_text())
    assert all(len(item["texts"]) == 4 for item in texts["baseline"])
    markdown = (out / "report.md").read_text()
    assert "not a measured e-commerce CTR" in markdown and "## Verdict against the baseline" in markdown
    assert "Time per configuration: baseline" in markdown
    assert (out / "metrics.png").stat().st_size > 10_000 and (out / "ab_simulation.png").is_file()


def test_eval_rejects_unknown_configurations_and_bad_brief_files(tmp_path: Path) -> None:
    bad = tmp_path / "briefs.jsonl"
    bad.write_text('{"product_name": ""}\n')
    for args, message in ((["--configs", "baseline,gpt"], "unknown gpt"), (["--briefs", str(bad)], "line 1")):
        run = subprocess.run([sys.executable, "-m", "copyloop", "eval", *args, "--output", str(tmp_path / "o")],
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 2 and message in run.stderr and "Traceback" not in run.stderr


def test_train_click_model_cli_on_a_slice_of_the_archive(tmp_path: Path) -> None:
    arms = load_arms()
    tests = arms.drop_duplicates("clickability_test_id").sort_values("test_week").clickability_test_id
    keep = set(tests.iloc[::6])  # one test in six, across all weeks
    data = tmp_path / "slice.parquet"
    arms[arms.clickability_test_id.isin(keep)].to_parquet(data)
    out = tmp_path / "model"
    run = subprocess.run([sys.executable, "-m", "copyloop", "train-click-model", "--data", str(data),
                          "--output", str(out)], capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    card = json.loads((out / "card.json").read_text())
    significant = card["validation"]["significant"]
    assert significant["pairs"] > 50 and 0.0 <= significant["low"] <= significant["accuracy"] <= significant["high"]
    assert card["data"]["train_weeks"][1] < card["data"]["validation_weeks"][0]
    assert "Upworthy" in (out / "README.md").read_text() and pd.read_parquet(data).shape[0] < len(arms)
