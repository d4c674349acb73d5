"""The two trainers behind `copyloop finetune`, both LoRA on the base model through trl.

CPU-friendly by default (fp32, no bf16, no gradient checkpointing: a 135M model needs neither) and unchanged on
a GPU, where bf16 is used when the card supports it. Both keep checkpoints and resume from the latest one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from copyloop.tools.scoring import effective_weights
from copyloop.training.config import FinetuneConfig

if TYPE_CHECKING:  # the rewards pull in every check; the GPU worker trains SFT without them
    from copyloop.tools.rewards import RewardFunc


@dataclass(frozen=True)
class TrainStats:
    """What a training run cost: wall seconds, optimiser steps, tokens trained on (prompt + completion)."""

    seconds: float
    steps: int
    tokens: int
    resumed_from: str | None = None

    @property
    def tokens_per_second(self) -> float:
        """Training throughput of this run (meaningful for a run that did not resume)."""
        return self.tokens / self.seconds if self.seconds else 0.0


def saved_stats(adapter_dir: Path) -> TrainStats:
    """The stats a finished run wrote beside its adapter (so a resumed pipeline still reports them)."""
    raw = json.loads((adapter_dir / "train_stats.json").read_text())
    return TrainStats(seconds=raw["seconds"], steps=raw["steps"], tokens=raw["tokens"],
                      resumed_from=raw.get("resumed_from"))


def halve_adapter(adapter_dir: Path) -> None:
    """Store the adapter's weights in fp16: half the size to ship, and loading casts them back to fp32."""
    import torch
    from safetensors.torch import load_file, save_file

    weights = adapter_dir / "adapter_model.safetensors"
    tensors = {k: v.to(torch.float16) if v.is_floating_point() else v for k, v in load_file(weights).items()}
    save_file(tensors, weights, metadata={"format": "pt"})


def set_strength(adapter_dir: Path, strength: float) -> None:
    """Scale the adapter's update by `strength` (PEFT applies lora_alpha / r): the same weights, a gentler pull."""
    config_file = adapter_dir / "adapter_config.json"
    config = json.loads(config_file.read_text())
    config["lora_alpha"] = config["lora_alpha"] * strength
    config_file.write_text(json.dumps(config, indent=2))


def load_base(model_dir: Path) -> tuple[Any, Any]:
    """The base model in fp32 and its tokenizer (right padding for training)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    return model, tokenizer


def lora_config(cfg: FinetuneConfig) -> Any:
    from peft import LoraConfig

    return LoraConfig(r=cfg.lora.r, lora_alpha=cfg.lora.alpha, lora_dropout=cfg.lora.dropout,
                      target_modules=list(cfg.lora.target_modules), task_type="CAUSAL_LM")


def common_args(cfg: FinetuneConfig, output_dir: Path) -> dict[str, Any]:
    """TrainingArguments shared by both trainers: schedule, checkpoints, device precision."""
    import torch

    gpu = torch.cuda.is_available()
    s = cfg.schedule
    return {
        "output_dir": str(output_dir), "seed": cfg.seed, "learning_rate": s.learning_rate,
        "lr_scheduler_type": s.scheduler, "warmup_steps": s.warmup_ratio, "num_train_epochs": s.epochs,
        "max_steps": s.max_steps, "per_device_train_batch_size": s.batch_size, "save_steps": s.save_steps,
        "gradient_accumulation_steps": s.grad_accumulation,
        "save_total_limit": 2, "logging_steps": 5, "report_to": "none", "use_cpu": not gpu,
        "bf16": gpu and torch.cuda.is_bf16_supported(), "fp16": False, "gradient_checkpointing": False,
        "dataloader_num_workers": 0, "disable_tqdm": False,
    }


def train_sft(model_dir: Path, rows: Sequence[Mapping[str, Any]], cfg: FinetuneConfig, work_dir: Path,
              adapter_dir: Path) -> TrainStats:
    """LoRA SFT on prompt/completion chat rows (loss on the completion only); resumes from work_dir's checkpoints."""
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    model, tokenizer = load_base(model_dir)
    dataset = Dataset.from_list([{"prompt": r["prompt"], "completion": r["completion"]} for r in rows])
    args = SFTConfig(**common_args(cfg, work_dir), max_length=1024, completion_only_loss=True,
                     train_sampling_strategy="group_by_length")  # less padding, a real saving on a CPU
    trainer = SFTTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer,
                         peft_config=lora_config(cfg))
    return _run(trainer, work_dir, adapter_dir)


def train_grpo(model_dir: Path, rows: Sequence[Mapping[str, Any]], rewards: Mapping[str, RewardFunc],
               cfg: FinetuneConfig, work_dir: Path, adapter_dir: Path) -> TrainStats:
    """trl GRPOTrainer with the component rewards, weighted by the λ-adjusted weights (`reward_weights`)."""
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    model, tokenizer = load_base(model_dir)
    tokenizer.padding_side = "left"
    weights = effective_weights(cfg.weights, cfg.balance)
    g = cfg.grpo
    args = GRPOConfig(**common_args(cfg, work_dir), num_generations=g.num_generations, temperature=g.temperature,
                      max_completion_length=g.max_completion_length, beta=g.beta,
                      reward_weights=[weights[name] for name in rewards], log_completions=False)
    dataset = Dataset.from_list([{"prompt": r["prompt"], "brief": r["brief"]} for r in rows])
    trainer = GRPOTrainer(model=model, reward_funcs=list(rewards.values()), args=args, train_dataset=dataset,
                          processing_class=tokenizer, peft_config=lora_config(cfg))
    return _run(trainer, work_dir, adapter_dir)


def without_machine_path(adapter_dir: Path) -> None:
    """Name the base model in the adapter's config by its folder, not by this machine's path: a shipped adapter
    must not carry the trainer's home directory (copyloop applies it to the base model it loads in any case)."""
    path = adapter_dir / "adapter_config.json"
    config = json.loads(path.read_text())
    base = str(config.get("base_model_name_or_path") or "")
    if Path(base).is_absolute():
        config["base_model_name_or_path"] = Path(base).name
        path.write_text(json.dumps(config, indent=2) + "\n")


def _run(trainer: Any, work_dir: Path, adapter_dir: Path) -> TrainStats:
    """Train (from the latest checkpoint when there is one), save the adapter, record what it cost."""
    from transformers.trainer_utils import get_last_checkpoint

    last = get_last_checkpoint(str(work_dir)) if work_dir.is_dir() else None
    started = time.perf_counter()
    trainer.train(resume_from_checkpoint=last)
    seconds = time.perf_counter() - started
    trainer.model.save_pretrained(str(adapter_dir))
    without_machine_path(adapter_dir)
    logged = [entry["num_tokens"] for entry in trainer.state.log_history if "num_tokens" in entry]
    stats = TrainStats(seconds=round(seconds, 2), steps=int(trainer.state.global_step),
                       tokens=int(max(logged, default=0)), resumed_from=last)
    (adapter_dir / "train_stats.json").write_text(json.dumps({**asdict(stats),
                                                              "tokens_per_second": stats.tokens_per_second}))
    return stats
