"""Exporting a LoRA adapter for vLLM / Ray Serve LLM: what is written, and every adapter vLLM could not serve.

Small synthetic PEFT folders (a few tensors), plus the shipped adapter's own files; no model is loaded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file, save_file
from typer.testing import CliRunner

from copyloop.cli import app
from copyloop.errors import ModelError
from copyloop.llm.factory import SHIPPED_ADAPTER
from copyloop.llm.lora_export import AdapterExportError, export_adapter, servable_problems, vllm_config

# SmolLM2-135M-Instruct's config.json, the fields the shape check reads.
SMOLLM2 = {"hidden_size": 576, "num_attention_heads": 9, "num_key_value_heads": 3, "intermediate_size": 1536,
           "num_hidden_layers": 30}
PEFT_021 = {  # what PEFT 0.21 writes: many keys vLLM ignores, alpha as a float
    "peft_type": "LORA", "task_type": "CAUSAL_LM", "base_model_name_or_path": "SmolLM2-135M-Instruct", "r": 4,
    "lora_alpha": 8.0, "target_modules": ["v_proj", "q_proj"], "bias": "none", "use_dora": False, "use_rslora": False,
    "modules_to_save": None, "lora_dropout": 0.05, "init_lora_weights": True, "alora_invocation_tokens": None,
    "arrow_config": None, "ensure_weight_tying": False, "qalora_group_size": 16, "use_qalora": False,
    "use_bdlora": None, "rank_pattern": {}, "alpha_pattern": {}, "peft_version": "0.21.0"}


def factors(layer: int = 0, rank: int = 4, module: str = "self_attn.q_proj", fan_in: int = 576, fan_out: int = 576,
            suffix: str = "") -> dict[str, torch.Tensor]:
    stem = f"base_model.model.model.layers.{layer}.{module}"
    return {f"{stem}.lora_A{suffix}.weight": torch.randn(rank, fan_in),
            f"{stem}.lora_B{suffix}.weight": torch.randn(fan_out, rank)}


def adapter(folder: Path, tensors: dict[str, torch.Tensor], **config: Any) -> Path:
    folder.mkdir(parents=True)
    (folder / "adapter_config.json").write_text(json.dumps({**PEFT_021, **config}))
    save_file(tensors, str(folder / "adapter_model.safetensors"))
    return folder


def test_a_peft_021_adapter_exports_with_vllm_names_and_a_reduced_config(tmp_path: Path) -> None:
    tensors = {**factors(suffix=".default"), **factors(module="self_attn.v_proj", fan_out=192, suffix=".default")}
    source = adapter(tmp_path / "src", tensors)
    done = export_adapter(source, tmp_path / "out", base_config=SMOLLM2)
    written = json.loads((tmp_path / "out" / "adapter_config.json").read_text())
    assert written == {
        "peft_type": "LORA", "task_type": "CAUSAL_LM", "base_model_name_or_path": "HuggingFaceTB/SmolLM2-135M-Instruct",
        "r": 4, "lora_alpha": 8, "use_rslora": False, "target_modules": ["q_proj", "v_proj"], "bias": "none",
        "use_dora": False, "modules_to_save": None, "fan_in_fan_out": False, "lora_dropout": 0.0,
        "init_lora_weights": True, "inference_mode": True}
    out = load_file(str(tmp_path / "out" / "adapter_model.safetensors"))
    assert set(out) == {"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
                        "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight",
                        "base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight",
                        "base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight"}
    for name, tensor in tensors.items():
        assert torch.equal(out[name.replace(".default", "")], tensor)
    assert (done.rank, done.max_lora_rank, done.tensors, done.modules) == (4, 8, 4, ["q_proj", "v_proj"])
    assert any("4 tensor names rewritten" in change for change in done.changes)
    assert not (tmp_path / "out.partial").exists()
    command = done.vllm_command()
    assert command.startswith("vllm serve HuggingFaceTB/SmolLM2-135M-Instruct --enable-lora --max-lora-rank 8 ")
    module = json.loads(command.split("--lora-modules ", 1)[1].strip("'"))
    assert module == {"name": "copyloop", "path": str((tmp_path / "out").resolve()),
                      "base_model_name": "HuggingFaceTB/SmolLM2-135M-Instruct"}


def test_the_shipped_adapter_needs_no_weight_conversion(tmp_path: Path) -> None:
    done = export_adapter(SHIPPED_ADAPTER, tmp_path / "copyloop", base_config=SMOLLM2, max_lora_rank=16)
    assert (done.rank, done.max_lora_rank) == (16, 16)
    assert done.modules == sorted(["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    assert done.tensors == 30 * 7 * 2
    assert any("copied unchanged" in change for change in done.changes)
    original = load_file(str(SHIPPED_ADAPTER / "adapter_model.safetensors"))
    exported = load_file(str(tmp_path / "copyloop" / "adapter_model.safetensors"))
    assert original.keys() == exported.keys() and all(torch.equal(original[k], exported[k]) for k in original)
    config = json.loads((tmp_path / "copyloop" / "adapter_config.json").read_text())
    assert (config["r"], config["lora_alpha"]) == (16, 32)  # the scaling vLLM computes: alpha / r = 2


def test_a_base_in_a_local_folder_is_served_under_a_short_name(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    done = export_adapter(adapter(tmp_path / "src", factors()), tmp_path / "out", base=str(tmp_path / "base"))
    assert done.vllm_command().startswith(f"vllm serve {tmp_path / 'base'} --served-model-name smollm2 --enable-lora")
    assert '"base_model_name": "smollm2"' in done.vllm_command()
    config = json.loads((tmp_path / "out" / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == str(tmp_path / "base")


@pytest.mark.parametrize(("config", "tensors", "problem"), [
    ({"use_dora": True}, {"base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector": torch.ones(576)},
     "DoRA"),
    ({"bias": "all"}, {"base_model.model.model.layers.0.self_attn.q_proj.lora_B.bias": torch.ones(576)},
     "bias"),
    ({"modules_to_save": ["embed_tokens"]}, {"base_model.model.model.embed_tokens.weight": torch.ones(8, 576)},
     "modules_to_save"),
    ({}, {"base_model.model.model.embed_tokens.lora_embedding_A": torch.ones(4, 49152)}, "ties lm_head"),
    ({}, factors(module="lm_head"), "lm_head is tied to embed_tokens"),
    ({"r": 32}, factors(rank=32), "rank 32 is above the server's --max-lora-rank 16"),
    ({"r": 1024}, factors(rank=1024), "above 512"),
    ({"init_lora_weights": "pissa"}, {}, "changes the base weights"),
    ({"rank_pattern": {"q_proj": 8}}, {}, "rank_pattern"),
    ({"peft_type": "IA3"}, {}, "only LORA"),
    ({"r": 8}, {}, "rank 4, the config says r=8"),
])
def test_adapters_vllm_cannot_serve_are_refused_with_the_reason(tmp_path: Path, config: dict[str, Any],
                                                               tensors: dict[str, torch.Tensor], problem: str) -> None:
    source = adapter(tmp_path / "src", {**factors(), **tensors}, **config)
    with pytest.raises(AdapterExportError) as refused:
        export_adapter(source, tmp_path / "out", max_lora_rank=16, base_config=SMOLLM2)
    assert any(problem in line for line in refused.value.problems), refused.value.problems
    assert "cannot be served by vLLM" in str(refused.value)
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.partial").exists()


def test_an_adapter_for_another_model_fails_the_base_check() -> None:
    wide = factors(layer=31, fan_in=1024, fan_out=1024)
    problems = servable_problems(PEFT_021, wide, base_config=SMOLLM2)
    assert any("maps 1024 -> 1024 features, the base's q_proj maps 576 -> 576" in p for p in problems)
    assert any("layer 31, the base has 30 layers" in p for p in problems)
    assert servable_problems(PEFT_021, wide) == []  # without the base's config only the adapter itself is checked


def test_broken_pairs_and_missing_keys_are_named() -> None:
    half = {k: v for k, v in factors().items() if "lora_A" in k}
    assert any("not both lora_A and lora_B" in p for p in servable_problems(PEFT_021, half))
    config = {k: v for k, v in PEFT_021.items() if k != "target_modules"}
    assert any("lacks target_modules" in p for p in servable_problems(config, factors()))
    assert any("--max-lora-rank 12 is not one vLLM accepts" in p
               for p in servable_problems(PEFT_021, factors(), max_lora_rank=12))


def test_folders_without_safetensors_or_config_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not a LoRA adapter folder"):
        export_adapter(tmp_path, tmp_path / "out")
    (tmp_path / "adapter_config.json").write_text(json.dumps(PEFT_021))
    torch.save(factors(), tmp_path / "adapter_model.bin")
    with pytest.raises(ModelError, match="need the weights as safetensors"):
        export_adapter(tmp_path, tmp_path / "out")


def test_an_existing_folder_is_kept_unless_it_is_an_earlier_export(tmp_path: Path) -> None:
    source = adapter(tmp_path / "src", factors())
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "keep.txt").write_text("mine")
    for force in (False, True):
        with pytest.raises(ModelError, match="exists and is not empty"):
            export_adapter(source, tmp_path / "notes", force=force)
    assert (tmp_path / "notes" / "keep.txt").read_text() == "mine"
    with pytest.raises(ModelError, match="the adapter itself"):
        export_adapter(source, source, force=True)
    export_adapter(source, tmp_path / "out")
    with pytest.raises(ModelError, match="--force"):
        export_adapter(source, tmp_path / "out")
    assert export_adapter(source, tmp_path / "out", force=True).tensors == 2


def test_rslora_and_fractional_alpha_keep_the_scaling_vllm_computes() -> None:
    written = vllm_config({**PEFT_021, "lora_alpha": 6.5, "use_rslora": True}, ["q_proj"], "base")
    assert (written["lora_alpha"], written["use_rslora"], written["base_model_name_or_path"]) == (6.5, True, "base")


def test_cli_exports_and_prints_the_vllm_command_or_the_problems(tmp_path: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(app, ["adapter", "export", str(tmp_path / "copyloop"), "--json"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.output)
    assert report["rank"] == 16 and "--lora-modules" in report["vllm_command"]
    assert (tmp_path / "copyloop" / "adapter_model.safetensors").is_file()
    dora = adapter(tmp_path / "dora", factors(), use_dora=True)
    refused = runner.invoke(app, ["adapter", "export", str(tmp_path / "out"), "--adapter", str(dora)])
    assert refused.exit_code == 2 and "cannot be served by vLLM" in refused.output and "DoRA" in refused.output
    assert "Traceback" not in refused.output
