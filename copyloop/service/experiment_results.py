"""What an experiment has shown so far, and concluding it: measured outcomes go into the copy memory.

Rates come with Wilson intervals, each variant with its posterior chance of beating the control, the split with a
sample-ratio-mismatch check, and a recommended winner that counts as significant only under the always-valid
mSPRT test the simulator uses, so peeking at results every day does not inflate false winners.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from copyloop.memory import CopyMemory, MemoryRecord
from copyloop.service import served_copy
from copyloop.service.db import connect, experiments, writing
from copyloop.service.experiments import (
    SRM_ALPHA,
    Arm,
    ExperimentError,
    claim_conclusion,
    counts_by_arm,
    counts_by_segment,
    load,
    mark_concluded,
    set_memory_id,
)
from copyloop.tools.ab_stats import MIN_SHOWN, beat_control, leader_significant, sample_ratio_pvalue, wilson_interval


def results(engine: Engine, brand: str, experiment_id: str) -> dict[str, Any]:
    """Per variant and per segment: counts, CTR and CVR with intervals, chance to beat control; SRM; winner."""
    with engine.connect() as conn:
        experiment, variants = load(conn, brand, experiment_id)
        overall = counts_by_arm(conn, experiment_id, len(variants))
        by_segment, segment_count = counts_by_segment(conn, experiment_id, len(variants))
    control = experiment["control"]
    winner = experiment["winner"]
    return {
        "id": experiment["id"], "name": experiment["name"], "status": experiment["status"],
        "allocation": experiment["allocation"], "sku": experiment["sku"], "category": experiment["category"],
        "channel": experiment["channel"], "control": variants[control].key,
        "winner": variants[winner].key if winner is not None else None,
        "created_at": experiment["created_at"], "concluded_at": experiment["concluded_at"],
        **_summary(variants, overall, control, experiment["allocation"]),
        "segments": {segment or "(none)": _summary(variants, counts, control, experiment["allocation"])
                     for segment, counts in by_segment.items() if segment_count > 1 or segment},
        "segments_total": segment_count,
    }


def significant_winners(database_url: str) -> list[dict[str, Any]]:
    """Every concluded experiment with a brief whose winner was significant under the always-valid test, as plain
    records (experiment id, brief, winning variant) that fine-tuning takes without touching this database.

    A marketer who concluded early on a hunch should not teach the model noise: other winners are left out."""
    engine = connect(database_url)
    try:
        with engine.connect() as conn:
            done = conn.execute(sa.select(experiments.c.id, experiments.c.brand, experiments.c.brief).where(
                experiments.c.status == "concluded", experiments.c.brief.is_not(None))
                .order_by(experiments.c.concluded_at)).all()
        found = []
        for experiment_id, brand, brief in done:
            report = results(engine, brand, experiment_id)
            if not report["recommendation"]["significant"] or report["recommendation"]["winner"] != report["winner"]:
                continue
            winner = next(v for v in report["variants"] if v["key"] == report["winner"])
            found.append({"experiment_id": experiment_id, "brief": brief, "winner": winner})
        return found
    finally:
        engine.dispose()


def conclude(engine: Engine, memory: CopyMemory, brand: str, experiment_id: str,
             winner_key: str | None = None) -> dict[str, Any]:
    """Close the experiment: pick the winner (given, else the significant recommended one), serve it first, and
    write every variant's measured impressions, clicks and conversions into memory. The winner stays approved
    copy, which drafting prefers as an example; the others are kept for novelty and statistics only."""
    report = results(engine, brand, experiment_id)
    keys = [v["key"] for v in report["variants"]]
    if report["status"] == "concluded":
        raise ExperimentError(409, f"experiment {experiment_id!r} is already concluded (winner {report['winner']!r})")
    recommended = report["recommendation"]
    if winner_key is None and not recommended["significant"]:
        raise ExperimentError(409, f"no significant winner yet ({recommended['reason']}); pass `winner` to choose "
                                   "one yourself", "winner")
    chosen = winner_key or recommended["winner"]
    if chosen not in keys:
        raise ExperimentError(409, f"winner {chosen!r} is not a variant of this experiment; its variants are {keys}",
                              "winner")
    winner = keys.index(chosen)
    if not claim_conclusion(engine, experiment_id, winner):
        raise ExperimentError(409, f"experiment {experiment_id!r} is being concluded by another request")
    with engine.connect() as conn:
        experiment, variants = load(conn, brand, experiment_id)
    measured = results(engine, brand, experiment_id)["variants"]  # final counts: no event is accepted any more
    for arm, counts in zip(variants, measured, strict=True):
        if arm.memory_id is None:
            record = MemoryRecord(text=arm.text, sku=experiment["sku"], brand=brand, category=experiment["category"],
                                  channel=experiment["channel"], angle=arm.angle, approved=arm.index == winner,
                                  source="experiment")
            memory_id = memory.add([record])[0]
            memory.record_outcome(memory_id, counts["impressions"], counts["clicks"], counts["conversions"])
            set_memory_id(engine, experiment_id, arm.index, memory_id)
    order = sorted(range(len(variants)), key=lambda i: (i != winner, -measured[i]["ctr"]))
    with writing(engine) as conn:
        if experiment["sku"]:
            served_copy.replace(conn, brand, experiment["sku"], experiment["channel"], "",
                                [{"text": variants[i].text, "angle": variants[i].angle, "predicted_ctr": None}
                                 for i in order], f"experiment:{experiment_id}")
        mark_concluded(conn, experiment_id)
    return results(engine, brand, experiment_id)


def _summary(variants: list[Arm], counts: dict[str, np.ndarray], control: int, allocation: str) -> dict[str, Any]:
    shown, clicks, conversions = counts["impression"], counts["click"], counts["conversion"]
    beats = beat_control(shown, clicks, control)
    rows = []
    for arm in variants:
        i = arm.index
        rows.append({
            "key": arm.key, "text": arm.text, "angle": arm.angle, "share": round(arm.weight, 4),
            "impressions": int(shown[i]), "clicks": int(clicks[i]), "conversions": int(conversions[i]),
            "ctr": _rate(clicks[i], shown[i]), "ctr_interval": _interval(clicks[i], shown[i]),
            "cvr": _rate(conversions[i], clicks[i]), "cvr_interval": _interval(conversions[i], clicks[i]),
            "prob_beat_control": None if i == control else round(float(beats[i]), 4),
        })
    return {"variants": rows, "sample_ratio": _sample_ratio(variants, shown, allocation),
            "recommendation": _recommendation(variants, shown, clicks)}


def _rate(successes: int, trials: int) -> float:
    return round(float(successes) / float(trials), 6) if trials else 0.0


def _interval(successes: int, trials: int) -> list[float]:
    low, high = wilson_interval(int(successes), int(trials))
    return [round(low, 6), round(high, 6)]


def _sample_ratio(variants: list[Arm], shown: np.ndarray, allocation: str) -> dict[str, Any]:
    if allocation != "split":
        return {"checked": False, "reason": "Thompson sampling shifts traffic on purpose, so there is no fixed "
                                            "split to check against"}
    p_value = sample_ratio_pvalue(shown.astype(float), np.array([a.weight for a in variants]))
    total = int(shown.sum())
    return {"checked": True, "p_value": round(p_value, 6), "mismatch": p_value < SRM_ALPHA,
            "observed_share": [round(int(s) / total, 4) if total else 0.0 for s in shown],
            "expected_share": [round(a.weight, 4) for a in variants]}


def _recommendation(variants: list[Arm], shown: np.ndarray, clicks: np.ndarray) -> dict[str, Any]:
    if shown.sum() == 0:
        return {"winner": None, "significant": False, "reason": "no impressions yet"}
    rates = clicks / np.maximum(shown, 1)
    leader = int(np.argmax(rates))
    significant = bool(leader_significant(shown[None, :], clicks[None, :])[0])
    if significant:
        reason = "the leader's CTR beats every other variant under the always-valid mSPRT test at 5%"
    elif shown.min() < MIN_SHOWN:
        reason = f"keep running: every variant needs at least {MIN_SHOWN} impressions before a verdict"
    else:
        reason = "keep running: the leader's CTR is not yet significantly higher than every other variant's"
    return {"winner": variants[leader].key, "significant": significant, "reason": reason}
