"""A/B/n test simulator: how much traffic a test of these variants needs, and what it costs, per policy.

The click model's predicted CTR multiples, times a base CTR, serve as each variant's true CTR. Visitors arrive
in batches; `fixed` splits every batch evenly, `thompson` gives each arm the share of Beta-posterior draws it
wins. After each batch the observed leader is tested against every other arm (tools/ab_stats: mSPRT, valid
however often a dashboard is looked at, unlike a z-test repeated after every batch, which finds a "winner"
between identical arms about half the time; Bonferroni over the pairs keeps false winners under 5%). The first
batch where the leader beats every other arm is the traffic to significance. Regret is the expected clicks lost
against always showing the truly best variant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from copyloop.tools.ab_stats import leader_significant, thompson_share

POLICIES = ("fixed", "thompson")


@dataclass(frozen=True)
class Simulation:
    """One policy's results over many replicated tests of the same variants."""

    policy: str
    checkpoints: np.ndarray  # visitors after each batch
    mean_regret: np.ndarray  # mean cumulative regret (clicks) at each checkpoint
    significant_share: np.ndarray  # share of replications significant by each checkpoint
    traffic_to_significance: np.ndarray  # per replication; inf where never significant
    picked_best: np.ndarray  # per replication: the final leader is the truly best arm

    def summary(self) -> dict[str, float]:
        """The figures a report prints."""
        reached = self.traffic_to_significance[np.isfinite(self.traffic_to_significance)]
        return {
            "visitors": float(self.checkpoints[-1]),
            "median_traffic_to_significance": float(np.median(reached)) if len(reached) else float("inf"),
            "significant_share": float(self.significant_share[-1]),
            "regret_clicks": float(self.mean_regret[-1]),
            "p_pick_best": float(self.picked_best.mean()),
        }


def simulate(ctrs: Sequence[float], policy: str, visitors: int = 20_000, batch: int = 200,
             replications: int = 200, seed: int = 0) -> Simulation:
    """Replicate an A/B/n test of arms with true click-through rates `ctrs` under `policy`."""
    p = np.asarray(ctrs, dtype=float)
    if p.ndim != 1 or len(p) < 2 or not np.all((p > 0) & (p < 1)):
        raise ValueError(f"ctrs must be two or more rates strictly between 0 and 1, got {list(ctrs)}")
    if policy not in POLICIES:
        raise ValueError(f"policy {policy!r} is unknown; use one of {', '.join(POLICIES)}")
    if visitors < batch or batch < len(p):
        raise ValueError(f"need visitors ≥ batch ≥ arms; got visitors={visitors}, batch={batch}, arms={len(p)}")
    rng = np.random.default_rng(seed)
    k, steps = len(p), visitors // batch
    shown = np.zeros((replications, k))
    clicks = np.zeros((replications, k))
    regret = np.zeros(replications)
    first = np.full(replications, np.inf)
    mean_regret, significant_share = np.zeros(steps), np.zeros(steps)
    for step in range(steps):
        share = np.full((replications, k), 1.0 / k) if policy == "fixed" else thompson_share(shown, clicks, rng)
        n = rng.multinomial(batch, share)
        shown += n
        clicks += rng.binomial(n.astype(np.int64), p)
        regret += n @ (p.max() - p)
        done = leader_significant(shown, clicks)
        first[np.isinf(first) & done] = (step + 1) * batch
        mean_regret[step], significant_share[step] = regret.mean(), np.isfinite(first).mean()
    leader = np.argmax(clicks / np.maximum(shown, 1), axis=1)
    return Simulation(policy, batch * np.arange(1, steps + 1), mean_regret, significant_share, first,
                      leader == int(np.argmax(p)))
