"""Exports a LoRA adapter as a LoRA module for vLLM or Ray Serve LLM, and refuses one those engines cannot serve.

Why: the `openai` backend scales generation out on GPUs behind vLLM (`vllm serve BASE --enable-lora --lora-modules
copyloop=DIR`) or Ray Serve LLM (`lora_config.dynamic_lora_loading_path`, which runs vLLM underneath). Both read
the adapter with vLLM's own loader, not PEFT, and vLLM accepts less than PEFT writes. What that loader takes, read
in vLLM's source (vllm-project/vllm, 2025-26) and Ray's docs:

- `vllm/lora/peft_helper.py` (`PEFTHelper.from_dict`) needs `r`, `lora_alpha` and `target_modules`, reads a few
  more keys and drops every other one (so PEFT 0.21's new keys are harmless to vLLM itself); `validate_legal`
  refuses a rank above `--max-lora-rank`, DoRA, `bias` other than "none", `lora_bias`, `modules_to_save` (outside
  classifier heads), PiSSA/OLoRA/LoftQ-style `init_lora_weights`, aLoRA, `layer_replication`, BD-LoRA and QALoRA.
  Older releases read neither `rank_pattern` nor `alpha_pattern` and would silently scale such adapters wrongly.
- `vllm/config/lora.py`: `--max-lora-rank` is one of 1, 8, 16, 32, 64, 128, 256, 320, 512 (default 16).
- `vllm/lora/lora_model.py` and `vllm/lora/utils.py`: tensors are `base_model.model.<module>.lora_A.weight` /
  `.lora_B.weight` (or embedding factors); any other name is "unsupported LoRA weight", and a module whose last
  name is not a LoRA-capable layer of the served model fails the load ("expected target modules in …").
- `docs/features/lora.md`: a request picks the adapter by `model: <lora name>`; `/v1/models` lists the base and
  each LoRA module. Ray Serve LLM (`doc/source/serve/llm/user-guides/multi-lora.md`): each adapter is a
  subfolder of `dynamic_lora_loading_path` holding `adapter_config.json` and `adapter_model.safetensors`; a request
  names it `model: "<model_id>:<folder>"`.

copyloop's own adapter needs no weight conversion (PEFT already writes vLLM's names); the export writes a config
reduced to the keys vLLM and older PEFT releases read, with the served base named, and checks everything above.
Adapters on embeddings or `lm_head` are refused: SmolLM2 ties `lm_head` to `embed_tokens`, and vLLM's support for
embedding LoRA has changed between releases.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copyloop.errors import ModelError

HF_BASE = "HuggingFaceTB/SmolLM2-135M-Instruct"
VLLM_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)  # vllm/config/lora.py MaxLoRARanks
# The LoRA-capable linears of vLLM's LlamaForCausalLM (SmolLM2's architecture), as the adapter names them.
SERVABLE_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
CONFIG_FILE, WEIGHTS_FILE = "adapter_config.json", "adapter_model.safetensors"

_FACTOR = re.compile(r"^(?:base_model\.model\.)?(?P<module>.+)\.(?P<kind>lora_A|lora_B)(?:\.[\w-]+)?\.weight$")
_LAYER = re.compile(r"\blayers\.(\d+)\.")
_INIT_OK = ("gaussian", "eva", "orthogonal", "mica", "lora_ga")  # inits that leave a plain LoRA (peft_helper.py)
_REFUSED_FLAGS = {  # config key -> why vLLM cannot serve an adapter that sets it
    "use_dora": "DoRA (use_dora): vLLM does not serve DoRA adapters",
    "lora_bias": "LoRA bias (lora_bias): vLLM serves no adapter bias",
    "modules_to_save": "modules_to_save: vLLM loads only LoRA factors, not fully trained modules",
    "trainable_token_indices": "trainable_token_indices: most vLLM releases cannot load trained token rows",
    "alora_invocation_tokens": "Activated LoRA (alora_invocation_tokens): vLLM does not serve aLoRA",
    "layer_replication": "layer_replication: vLLM does not serve replicated layers",
    "use_bdlora": "block-diagonal LoRA (use_bdlora): vLLM does not serve BD-LoRA",
    "use_qalora": "QALoRA (use_qalora): vLLM does not serve QALoRA",
    "target_parameters": "target_parameters (LoRA on raw parameters): vLLM serves it only for fused MoE experts",
    "rank_pattern": "rank_pattern: older vLLM releases ignore it and would serve the adapter with the wrong ranks",
    "alpha_pattern": "alpha_pattern: older vLLM releases ignore it and would scale the adapter wrongly",
    "fan_in_fan_out": "fan_in_fan_out: vLLM expects (out, in) weights as in Linear layers",
}


class AdapterExportError(ModelError):
    """The adapter cannot be served by vLLM; `problems` says why, one line each."""

    def __init__(self, folder: Path, problems: list[str]):
        self.problems = problems
        super().__init__(f"adapter {folder} cannot be served by vLLM / Ray Serve LLM:\n  " + "\n  ".join(problems))


@dataclass
class Export:
    """What an export wrote, and the engine settings it needs."""

    folder: Path
    base: str
    rank: int
    max_lora_rank: int  # the smallest `--max-lora-rank` vLLM accepts that holds this rank
    modules: list[str]
    tensors: int
    changes: list[str] = field(default_factory=list)

    def vllm_command(self, name: str = "copyloop") -> str:
        """The `vllm serve` line that serves the base with this adapter as the LoRA module `name` (a base in a local
        folder is served as `smollm2`, not under its path)."""
        local = Path(self.base).expanduser().is_dir()
        served = "smollm2" if local else self.base
        module = json.dumps({"name": name, "path": str(self.folder.resolve()), "base_model_name": served})
        return (f"vllm serve {self.base}" + (f" --served-model-name {served}" if local else "")
                + f" --enable-lora --max-lora-rank {self.max_lora_rank} --lora-modules '{module}'")


def export_adapter(source: Path, target: Path, *, base: str = HF_BASE, max_lora_rank: int | None = None,
                   base_config: dict[str, Any] | None = None, force: bool = False) -> Export:
    """Write `source` (a PEFT LoRA folder) into `target` as a vLLM/Ray-ready LoRA module, or raise with every problem.

    `max_lora_rank` checks against a server already configured; `base_config` (the base's config.json) checks the
    tensors' shapes and layers against the model that will serve them. `force` replaces an earlier export there.
    """
    config, tensors = read_adapter(source)
    renamed = {_vllm_name(name): name for name in tensors if _FACTOR.match(name)}
    problems = servable_problems(config, tensors, max_lora_rank=max_lora_rank, base_config=base_config)
    if problems:
        raise AdapterExportError(source, problems)
    if target.resolve() == source.resolve():
        raise ModelError(f"{target} is the adapter itself; export it into another folder")
    if target.exists() and any(target.iterdir()) and not (force and (target / CONFIG_FILE).is_file()):
        raise ModelError(f"{target} exists and is not empty; choose another folder"
                         + ("" if force else ", or replace an earlier export with --force"))
    modules = sorted({m.group("module").rsplit(".", 1)[-1] for m in map(_FACTOR.match, tensors) if m})
    written = vllm_config(config, modules, base)
    _write(target, written, {new: tensors[old] for new, old in renamed.items()})
    dropped = sorted(set(config) - set(written))
    changes = [f"config: kept {len(written)} keys vLLM reads, dropped {len(dropped)} it ignores"
               + (f" ({', '.join(dropped)})" if dropped else ""),
               f"config: base_model_name_or_path {config.get('base_model_name_or_path')!r} -> {base!r}"]
    if moved := sum(new != old for new, old in renamed.items()):
        changes.append(f"weights: {moved} tensor names rewritten to PEFT's base_model.model.<module>.lora_A/B.weight")
    else:
        changes.append("weights: copied unchanged (already named as vLLM reads them)")
    rank = int(config["r"])
    return Export(folder=target, base=base, rank=rank, max_lora_rank=next(r for r in VLLM_RANKS if r >= rank),
                  modules=modules, tensors=len(renamed), changes=changes)


def read_adapter(folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The adapter's config and its tensors (name -> torch tensor), from a PEFT folder."""
    from safetensors.torch import load_file

    config_file, weights_file = folder / CONFIG_FILE, folder / WEIGHTS_FILE
    if not config_file.is_file():
        raise ModelError(f"{folder} is not a LoRA adapter folder (no {CONFIG_FILE})")
    if not weights_file.is_file():
        raise ModelError(f"{folder} has no {WEIGHTS_FILE}; vLLM and Ray Serve LLM need the weights as safetensors "
                         "(re-save the adapter with PEFT's save_pretrained(safe_serialization=True))")
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{config_file} is not readable JSON: {exc}") from None
    if not isinstance(config, dict):
        raise ModelError(f"{config_file} holds {type(config).__name__}, not a JSON object")
    return config, load_file(str(weights_file))


def servable_problems(config: dict[str, Any], tensors: dict[str, Any], *, max_lora_rank: int | None = None,
                      base_config: dict[str, Any] | None = None) -> list[str]:
    """Every reason vLLM would refuse this adapter or serve it wrongly (empty: servable)."""
    problems = _config_problems(config, max_lora_rank)
    rank = config.get("r") if isinstance(config.get("r"), int) else None
    shapes: dict[str, dict[str, tuple[int, ...]]] = {}  # module -> {"lora_A": shape, "lora_B": shape}
    for name, tensor in sorted(tensors.items()):
        found = _FACTOR.match(name)
        if found is None:
            problems.append(_stray_tensor(name))
        else:
            shapes.setdefault(found.group("module"), {})[found.group("kind")] = tuple(tensor.shape)
    if not tensors:
        problems.append(f"{WEIGHTS_FILE} holds no tensors")
    for module, pair in shapes.items():
        problems += _module_problems(module, pair, rank, base_config)
    return problems


def vllm_config(config: dict[str, Any], modules: list[str], base: str) -> dict[str, Any]:
    """The adapter config as vLLM reads it: its rank, scaling and modules, the served base, no other keys."""
    alpha = config["lora_alpha"]
    return {
        "peft_type": "LORA",
        "task_type": config.get("task_type") or "CAUSAL_LM",
        "base_model_name_or_path": base,
        "r": int(config["r"]),
        "lora_alpha": int(alpha) if float(alpha).is_integer() else float(alpha),
        "use_rslora": bool(config.get("use_rslora", False)),
        "target_modules": modules,
        "bias": "none",
        "use_dora": False,
        "modules_to_save": None,
        "fan_in_fan_out": False,
        "lora_dropout": 0.0,
        "init_lora_weights": True,
        "inference_mode": True,
    }


def load_base_config(base: str | Path) -> dict[str, Any] | None:
    """The base model's config.json when `base` is a local folder that has one, else None (a hub id)."""
    path = Path(base).expanduser() / "config.json"
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None


def _config_problems(config: dict[str, Any], max_lora_rank: int | None) -> list[str]:
    problems: list[str] = []
    if config.get("peft_type", "LORA") != "LORA":
        problems.append(f"peft_type is {config.get('peft_type')!r}; vLLM serves only LORA adapters")
    missing = [key for key in ("r", "lora_alpha", "target_modules") if key not in config]
    if missing:
        problems.append(f"{CONFIG_FILE} lacks {', '.join(missing)}, which vLLM requires")
    rank = config.get("r")
    if "r" in config and (not isinstance(rank, int) or isinstance(rank, bool) or rank <= 0):
        problems.append(f"r is {rank!r}; a LoRA rank is a positive integer")
    elif isinstance(rank, int) and rank > VLLM_RANKS[-1]:
        problems.append(f"rank {rank} is above {VLLM_RANKS[-1]}, the largest --max-lora-rank vLLM accepts")
    elif isinstance(rank, int) and max_lora_rank is not None and rank > max_lora_rank:
        problems.append(f"rank {rank} is above the server's --max-lora-rank {max_lora_rank}")
    if max_lora_rank is not None and max_lora_rank not in VLLM_RANKS:
        problems.append(f"--max-lora-rank {max_lora_rank} is not one vLLM accepts ({', '.join(map(str, VLLM_RANKS))})")
    if config.get("bias", "none") != "none":
        problems.append(f"bias is {config.get('bias')!r}: vLLM serves no adapter bias (bias must be 'none')")
    problems += [why for key, why in _REFUSED_FLAGS.items() if config.get(key)]
    init = config.get("init_lora_weights", True)
    if isinstance(init, str) and init.lower() not in _INIT_OK:
        problems.append(f"init_lora_weights {init!r} changes the base weights when PEFT loads the adapter, which "
                        "vLLM does not do; convert it to a plain LoRA with PEFT first")
    return problems


def _stray_tensor(name: str) -> str:
    if "lora_magnitude_vector" in name:
        return f"tensor {name} is a DoRA magnitude: vLLM does not serve DoRA adapters"
    if name.endswith(".bias"):
        return f"tensor {name} is a LoRA bias: vLLM serves no adapter bias"
    if "lora_embedding_" in name:
        return (f"tensor {name} is an embedding LoRA: SmolLM2 ties lm_head to embed_tokens and vLLM's embedding "
                "LoRA differs between releases; train the adapter on the attention and MLP projections only")
    return (f"tensor {name} is not a LoRA factor (modules_to_save or trained tokens?): vLLM loads only "
            "<module>.lora_A.weight and <module>.lora_B.weight")


def _module_problems(module: str, pair: dict[str, tuple[int, ...]], rank: int | None,
                     base_config: dict[str, Any] | None) -> list[str]:
    kind = module.rsplit(".", 1)[-1]
    if kind not in SERVABLE_MODULES:
        return [f"module {module} is not one vLLM serves LoRA on for SmolLM2 (Llama): only "
                f"{', '.join(SERVABLE_MODULES)}" + (" (lm_head is tied to embed_tokens)" if kind == "lm_head" else "")]
    if set(pair) != {"lora_A", "lora_B"}:
        return [f"module {module} has {', '.join(pair)} but not both lora_A and lora_B"]
    a, b = pair["lora_A"], pair["lora_B"]
    if len(a) != 2 or len(b) != 2 or a[0] != b[1]:
        return [f"module {module}: lora_A {list(a)} and lora_B {list(b)} are not a (r, in) and (out, r) pair"]
    problems = []
    if rank is not None and a[0] != rank:
        problems.append(f"module {module} has rank {a[0]}, the config says r={rank}")
    if base_config:
        problems += _base_problems(module, kind, a[1], b[0], base_config)
    return problems


def _base_problems(module: str, kind: str, fan_in: int, fan_out: int, base: dict[str, Any]) -> list[str]:
    """Shapes and layer index against the served base: an adapter trained for another model fails here."""
    try:
        hidden, heads = int(base["hidden_size"]), int(base["num_attention_heads"])
        kv_heads, inner = int(base.get("num_key_value_heads", heads)), int(base["intermediate_size"])
        layers, head_dim = int(base["num_hidden_layers"]), int(base.get("head_dim") or hidden // heads)
    except (KeyError, TypeError, ValueError):
        return []
    expected = {"q_proj": (hidden, heads * head_dim), "k_proj": (hidden, kv_heads * head_dim),
                "v_proj": (hidden, kv_heads * head_dim), "o_proj": (heads * head_dim, hidden),
                "gate_proj": (hidden, inner), "up_proj": (hidden, inner), "down_proj": (inner, hidden)}[kind]
    problems = []
    if (fan_in, fan_out) != expected:
        problems.append(f"module {module} maps {fan_in} -> {fan_out} features, the base's {kind} maps "
                        f"{expected[0]} -> {expected[1]}: the adapter was trained for another model")
    layer = _LAYER.search(module + ".")
    if layer and int(layer.group(1)) >= layers:
        problems.append(f"module {module} is in layer {layer.group(1)}, the base has {layers} layers")
    return problems


def _vllm_name(name: str) -> str:
    found = _FACTOR.match(name)
    assert found is not None
    return f"base_model.model.{found.group('module')}.{found.group('kind')}.weight"


def _write(target: Path, config: dict[str, Any], tensors: dict[str, Any]) -> None:
    """Write into a sibling staging folder, then swap it in, so a failed export leaves no half-written module."""
    from safetensors.torch import save_file

    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    (staging / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    save_file({name: t.contiguous() for name, t in tensors.items()}, str(staging / WEIGHTS_FILE),
              metadata={"format": "pt"})
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
