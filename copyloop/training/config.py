"""The fine-tuning recipe: one YAML file names the method, data, rewards, LoRA shape and schedule.

A `quick:` section in the same file holds the overrides of the `--quick` preset (what CI runs), so the quick and
full runs never drift apart in anything but size.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from copyloop.errors import CopyloopError
from copyloop.tools.scoring import DEFAULT_WEIGHTS

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
DEFAULT_CONFIG = CONFIG_DIR / "sft.yaml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataConfig(_Section):
    """Which catalog briefs train and which evaluate (validation products are never trained on)."""

    train_briefs: int | None = Field(default=None, ge=1, description="cap on training briefs; all when unset")
    eval_briefs: int = Field(default=32, ge=1, description="validation briefs for the raw-draft figures")
    workflow_briefs: int = Field(default=12, ge=0, description="validation briefs run through the whole workflow")


class LoraSettings(_Section):
    r: int = Field(default=16, ge=1, le=256)
    alpha: int = Field(default=32, ge=1)
    dropout: float = Field(default=0.05, ge=0.0, lt=1.0)
    strength: float = Field(default=1.0, gt=0.0, le=2.0, description="scale of the trained update in the shipped "
                            "adapter (lora_alpha × strength): below 1 trades CTA and tone gains for diversity")
    target_modules: list[str] = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


class ScheduleConfig(_Section):
    """Optimiser schedule: warm-up then decay (the adaptive learning rate)."""

    learning_rate: float = Field(default=3e-4, gt=0.0, le=1.0)
    scheduler: Literal["cosine", "linear", "constant_with_warmup"] = "cosine"
    warmup_ratio: float = Field(default=0.1, ge=0.0, le=0.5)
    batch_size: int = Field(default=8, ge=1, le=256)
    grad_accumulation: int = Field(default=1, ge=1, le=64, description="batches per optimiser step")
    epochs: float = Field(default=2.0, gt=0.0)
    max_steps: int = Field(default=-1, ge=-1, description="stop after this many steps; -1 runs all epochs")
    save_steps: int = Field(default=25, ge=1)


class SftConfig(_Section):
    """SFT on clean targets: composed copy and the shop's copy that pass every check, plus (optionally) sampled
    drafts that pass; later rounds sample with the adapter trained so far."""

    rounds: int = Field(default=1, ge=1, le=10)
    composed_per_brief: int = Field(default=2, ge=0, le=16, description="composed targets per training brief, "
                                                                        "one per prompt slot")
    human_copy: bool = Field(default=True, description="the shop's own descriptions that pass every check")
    candidates: int = Field(default=0, ge=0, le=32, description="samples per training brief and round; only those "
                                                                "that pass every check become targets")
    sample_adapter: Path | None = Field(default=None, description="the adapter that samples round 1 (e.g. the "
                                                                  "shipped one); later rounds sample with the last "
                                                                  "round's adapter; unset: the base model")
    temperature: float = Field(default=0.9, gt=0.0, le=2.0)
    generation_batch: int = Field(default=24, ge=1, le=512, description="conversations per generate call")
    polish: bool = Field(default=True, description="also score each sample after the workflow's post-processing")
    keep_per_brief: int = Field(default=2, ge=1, le=32)
    min_reward: float = Field(default=0.6, description="a sample below this combined reward is never kept")
    max_similarity: float = Field(default=0.9, gt=0.0, le=1.0, description="cosine cap between kept siblings")
    max_opening_share: float = Field(default=0.05, gt=0.0, le=1.0,
                                     description="share of kept targets that may open, or end, with the same "
                                                 "three words")


class GrpoConfig(_Section):
    """trl GRPOTrainer with the same reward functions, weighted by `reward_weights`."""

    num_generations: int = Field(default=4, ge=2, le=64)
    temperature: float = Field(default=0.9, gt=0.0, le=2.0)
    max_completion_length: int = Field(default=90, ge=8, le=512)
    beta: float = Field(default=0.0, ge=0.0)


class SweepConfig(_Section):
    """The λ sweep: one small adapter per λ from the same candidate pool, raw drafts measured on validation."""

    candidates: int = Field(default=4, ge=1, le=32, description="samples per training brief to select from")
    balances: list[float] = Field(default=[0.2, 0.5, 0.8], min_length=2, max_length=9)
    train_steps: int = Field(default=4, ge=1)
    eval_briefs: int = Field(default=6, ge=1)

    @field_validator("balances")
    @classmethod
    def _in_unit_range(cls, value: list[float]) -> list[float]:
        if any(not 0.0 <= b <= 1.0 for b in value):
            raise ValueError(f"every λ must lie in [0, 1], got {value}")
        return sorted(set(value))


class FinetuneConfig(_Section):
    """The whole recipe; see copyloop/training/configs/sft.yaml for the shipped one."""

    method: Literal["sft", "grpo"] = "sft"
    output_dir: Path = Path("runs/copyloop-lora")
    seed: int = 7
    balance: float = Field(default=0.5, ge=0.0, le=1.0, description="λ: 0 creativity … 1 conversion")
    weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    memory_dir: Path | None = Field(default=None, description="past copy to be novel against, besides the catalog")
    evaluate: bool = True
    data: DataConfig = DataConfig()
    lora: LoraSettings = LoraSettings()
    schedule: ScheduleConfig = ScheduleConfig()
    sft: SftConfig = SftConfig()
    grpo: GrpoConfig = GrpoConfig()
    sweep: SweepConfig = SweepConfig()

    @field_validator("weights")
    @classmethod
    def _known_weights(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(DEFAULT_WEIGHTS))
        if unknown:
            raise ValueError(f"unknown reward components {unknown}; known: {sorted(DEFAULT_WEIGHTS)}")
        if any(w < 0 for w in value.values()):
            raise ValueError("reward weights must be >= 0")
        return {**{name: 0.0 for name in DEFAULT_WEIGHTS}, **value}


def load_config(path: str | Path | None = None, *, quick: bool = False,
                overrides: dict[str, Any] | None = None) -> FinetuneConfig:
    """Read a recipe; `quick` applies its `quick:` section; `overrides` (dotted keys) win over both."""
    path = Path(path) if path else DEFAULT_CONFIG
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise CopyloopError(f"config file {str(path)!r} does not exist") from None
    except yaml.YAMLError as exc:
        raise CopyloopError(f"config file {str(path)!r} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise CopyloopError(f"config file {str(path)!r} must hold a mapping, not {type(raw).__name__}")
    preset = raw.pop("quick", None) or {}
    if quick:
        raw = _deep_merge(raw, preset)
    for dotted, value in (overrides or {}).items():
        raw = _deep_merge(raw, _nest(dotted.split("."), value))
    try:
        return FinetuneConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']} (got {e.get('input')!r})"
                             for e in exc.errors())
        raise CopyloopError(f"config file {str(path)!r}: {problems}") from None


def _nest(keys: list[str], value: Any) -> dict[str, Any]:
    return {keys[0]: _nest(keys[1:], value) if len(keys) > 1 else value}


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
