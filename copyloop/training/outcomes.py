"""Measured outcomes as training signal: proven winners of concluded live experiments become SFT targets.

The records come from the service (`service.experiment_results.significant_winners`: only winners significant
under its always-valid test); training never reads the service's database itself. The target is the winning
copy, the prompt is the one the drafter would have written for the experiment's brief and the winner's angle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from copyloop.brief import brief_from_dict
from copyloop.drafting.prompts import angles
from copyloop.training.sampling import prompt_for


def winner_targets(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """SFT rows (prompt, completion) for every record of a significant winner: {experiment_id, brief, winner}."""
    return [_row(brief_from_dict(r["brief"]), r["winner"], r["experiment_id"]) for r in records]


def _row(brief: Any, winner: Mapping[str, Any], experiment_id: str) -> dict[str, Any]:
    ids = [a.id for a in angles()]
    slot = ids.index(winner["angle"]) if winner.get("angle") in ids else 0
    return {"prompt": prompt_for(brief, slot), "completion": [{"role": "assistant", "content": winner["text"]}],
            "reward": None, "source": "measured", "brief_index": -1, "experiment_id": experiment_id,
            "impressions": winner["impressions"], "clicks": winner["clicks"]}
