"""Measured outcomes as training signal: proven winners of concluded live experiments become SFT targets.

Only a winner that was significant under the service's always-valid test counts: a marketer who concluded early
on a hunch should not teach the model noise. The target is the winning copy, the prompt is the one the drafter
would have written for the experiment's brief and the winner's angle.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from copyloop.agents.prompts import angles
from copyloop.brief import brief_from_dict
from copyloop.service.db import connect, experiments
from copyloop.service.experiment_results import results
from copyloop.training.sampling import prompt_for


def measured_winners(database_url: str) -> list[dict[str, Any]]:
    """SFT rows (prompt, completion) for every concluded experiment with a brief and a significant winner."""
    engine = connect(database_url)
    try:
        with engine.connect() as conn:
            done = conn.execute(sa.select(experiments.c.id, experiments.c.brand, experiments.c.brief).where(
                experiments.c.status == "concluded", experiments.c.brief.is_not(None))
                .order_by(experiments.c.concluded_at)).all()
        rows = []
        for experiment_id, brand, brief in done:
            report = results(engine, brand, experiment_id)
            if not report["recommendation"]["significant"] or report["recommendation"]["winner"] != report["winner"]:
                continue
            winner = next(v for v in report["variants"] if v["key"] == report["winner"])
            rows.append(_row(brief_from_dict(brief), winner, experiment_id))
        return rows
    finally:
        engine.dispose()


def _row(brief: Any, winner: dict[str, Any], experiment_id: str) -> dict[str, Any]:
    ids = [a.id for a in angles()]
    slot = ids.index(winner["angle"]) if winner.get("angle") in ids else 0
    return {"prompt": prompt_for(brief, slot), "completion": [{"role": "assistant", "content": winner["text"]}],
            "reward": None, "source": "measured", "brief_index": -1, "experiment_id": experiment_id,
            "impressions": winner["impressions"], "clicks": winner["clicks"]}
