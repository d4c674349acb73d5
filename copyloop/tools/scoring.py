"""The combined score: one weighted sum of the component scores, shared by ranking, rewards and reports.

The λ knob trades creativity (novelty, sibling diversity) against conversion (CTA, sentiment fit, grounding).
The click model's predicted CTR counts at its own weight, outside λ: it is a learned proxy, not a rule.
"""

from __future__ import annotations

from collections.abc import Mapping

# Component weights before λ is applied; every component is in [0, 1] except the compliance penalty.
DEFAULT_WEIGHTS: dict[str, float] = {
    "sentiment_fit": 1.0,
    "novelty": 1.0,
    "sibling_diversity": 0.5,
    "cta": 1.0,
    "length_fit": 1.0,
    "grounding": 1.0,
    "compliance": 1.0,
    "fluency": 0.5,
    "sense": 1.0,
    "predicted_ctr": 1.0,
}
CREATIVITY = frozenset({"novelty", "sibling_diversity"})
CONVERSION = frozenset({"cta", "sentiment_fit", "grounding"})


def combined_score(components: Mapping[str, float], weights: Mapping[str, float] | None = None,
                   balance: float = 0.5) -> float:
    """Weighted mean of the components; `balance` (λ in [0, 1]) shifts weight from creativity to conversion.

    At λ = 0.5 the weights are as given; λ = 1 doubles conversion terms and zeroes creativity terms.
    The compliance component enters as 1 - penalty, so a blocking finding pulls the score down hard.
    """
    weights = effective_weights(weights, balance)
    total = weighted = 0.0
    for name, value in components.items():
        w = weights.get(name, 0.0)
        total += w
        weighted += w * value
    return weighted / total if total else 0.0


def effective_weights(weights: Mapping[str, float] | None = None, balance: float = 0.5) -> dict[str, float]:
    """The weights after λ: creativity terms scaled by 2(1-λ), conversion terms by 2λ, the rest unchanged.

    GRPO's `reward_weights` are these numbers, so training and ranking weigh the components alike.
    """
    if not 0.0 <= balance <= 1.0:
        raise ValueError(f"balance λ={balance} must lie in [0, 1]")
    scaled = {}
    for name, w in (DEFAULT_WEIGHTS if weights is None else weights).items():
        if name in CREATIVITY:
            w *= 2 * (1 - balance)
        elif name in CONVERSION:
            w *= 2 * balance
        scaled[name] = float(w)
    return scaled


def creativity_conversion(components: Mapping[str, float]) -> tuple[float, float]:
    """The two axes of the trade-off λ moves along: mean creativity term and mean conversion term."""
    creativity = [components[name] for name in sorted(CREATIVITY)]
    conversion = [components[name] for name in sorted(CONVERSION)]
    return sum(creativity) / len(creativity), sum(conversion) / len(conversion)
