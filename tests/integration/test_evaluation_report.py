"""The evaluation's metrics and report on real scoring (MiniLM embeddings)."""

from __future__ import annotations

import json
import math

import pytest

from copyloop.brief import Brief
from copyloop.evaluation.metrics import brief_metrics, compare, predicted_ctr_vs_human, summarize
from copyloop.evaluation.outputs import BriefOutput, human
from copyloop.evaluation.report import simulate_best
from copyloop.evaluation.report_writing import plot_metrics, plot_simulation, verdicts, write_markdown
from copyloop.tools.click_model import shipped_click_model
from copyloop.tools.rewards import reward_functions
from copyloop.tools.scoring import DEFAULT_WEIGHTS


def test_metrics_skip_what_a_brief_cannot_have() -> None:
    brief = Brief(product_name="Trail Bottle", channel="email_subject",
                  reference_copy="Our steel bottle keeps water cold for a whole day on the trail.")
    rewards = reward_functions()
    two = brief_metrics(BriefOutput(brief, ["Cold water all day - Shop Now", "Ice cold on every hike - Buy Now"],
                                    1.5), rewards, DEFAULT_WEIGHTS, 0.5)
    one = brief_metrics(human([brief])[0], rewards, DEFAULT_WEIGHTS, 0.5)
    assert two["cta_rate"] == 1.0 and two["length_ok"] == 1.0 and 0 <= two["self_bleu"] <= 1
    assert math.isnan(one["self_bleu"]) and one["predicted_ctr_vs_human"] == pytest.approx(1.0)
    assert math.isnan(predicted_ctr_vs_human(["x"], None))
    table = summarize([two, {**two, "self_bleu": math.nan}])
    assert table["self_bleu"]["n"] == 1 and table["cta_rate"]["n"] == 2
    diff = compare([one, one], [two, two])
    assert diff["cta_rate"]["mean"] == pytest.approx(two["cta_rate"] - one["cta_rate"])
    assert diff["self_bleu"]["n"] == 0


def test_report_is_written_with_the_proxy_warning_and_honest_verdicts(tmp_path) -> None:
    brief = Brief(product_name="Trail Bottle", channel="email_subject", reference_copy="A steel bottle for hikes.")
    rewards = reward_functions()
    texts = {"baseline": ["Trail Bottle", "Trail Bottle!"],
             "workflow": ["Cold water all day - Shop Now", "Ice cold on every hike - Buy Now"]}
    outputs = {name: [BriefOutput(brief, t, 1.0)] * 3 for name, t in texts.items()}
    rows = {name: [brief_metrics(o, rewards, DEFAULT_WEIGHTS, 0.5) for o in outs] for name, outs in outputs.items()}
    report = {"briefs": 3, "channels": ["email_subject"], "configs": ["baseline", "workflow"],
              "models": {"baseline": "base", "workflow": "base+agents"}, "minutes": 0.1,
              "summary": {n: summarize(r) for n, r in rows.items()},
              "differences": {"workflow - baseline": compare(rows["baseline"], rows["workflow"])},
              "click_model": shipped_click_model().card,
              "simulation": simulate_best(outputs, ["baseline", "workflow"], replications=10, visitors=2000)}
    write_markdown(report, tmp_path / "report.md")
    plot_metrics(report, tmp_path / "metrics.png")
    plot_simulation(report["simulation"], tmp_path / "ab.png")
    text = (tmp_path / "report.md").read_text()
    assert "proxy, not a measured e-commerce CTR" in text and "Simulated A/B/n tests" in text
    accuracy = report["click_model"]["validation"]["significant"]["accuracy"]
    assert f"{accuracy:.1%}" in text
    lines = verdicts(report)
    assert any("CTA rate: +1.000" in line and "better" in line for line in lines)
    assert any("interval includes zero" in line or "excludes zero" in line for line in lines)
    assert (tmp_path / "metrics.png").stat().st_size > 10_000 and (tmp_path / "ab.png").stat().st_size > 5_000
    json.dumps(report["simulation"])
