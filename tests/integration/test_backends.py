"""The two other model backends on real weights: a local checkpoint with a LoRA adapter, and an
OpenAI-compatible endpoint (a real HTTP server on loopback serving the local model)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from copyloop.brief import Brief
from copyloop.config import Settings
from copyloop.errors import ModelError
from copyloop.generation import generate
from copyloop.llm.factory import chat_model
from copyloop.llm.local import LocalChatModel
from copyloop.llm.smollm2 import converted_model_dir
from copyloop.memory import CopyMemory

pytestmark = pytest.mark.model
PROMPT = [[HumanMessage("Write a short slogan for a water bottle.")]]


def test_local_checkpoint_with_a_lora_adapter(tmp_path: Path) -> None:
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base_dir = converted_model_dir(Settings().model_cache)
    peft_model = get_peft_model(AutoModelForCausalLM.from_pretrained(base_dir),
                                LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=True))
    peft_model.save_pretrained(tmp_path / "adapter")
    settings = Settings(backend="transformers", model_path=str(base_dir), adapter_path=str(tmp_path / "adapter"))
    adapted = chat_model(settings)
    assert isinstance(adapted, LocalChatModel) and adapted.adapter_path
    plain = LocalChatModel(model_path=str(base_dir))
    # A freshly initialised LoRA adapter is the identity: the same seed gives the same text as the base model.
    options = {"max_new_tokens": 12, "seed": 5}
    assert adapted.bind(**options).batch(PROMPT)[0].content == plain.bind(**options).batch(PROMPT)[0].content


def test_another_seed_or_temperature_shares_the_loaded_weights_and_the_batch() -> None:
    first, other = chat_model(Settings()), chat_model(Settings(seed=8, temperature=0.9))
    assert (first.seed, first.temperature) == (7, 0.7) and (other.seed, other.temperature) == (8, 0.9)
    assert other._model is first._model and other._batches is first._batches, "one copy of the weights, one batch"
    assert chat_model(Settings()) is first
    # each copy samples with its own seed: the rows differ, as two seeds do on one model
    assert first.batch(PROMPT)[0].content != other.batch(PROMPT)[0].content


def test_missing_checkpoint_and_adapter_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not a transformers checkpoint folder"):
        chat_model(Settings(backend="transformers", model_path=str(tmp_path)))
    base_dir = str(converted_model_dir(Settings().model_cache))
    with pytest.raises(ModelError, match="not a LoRA adapter folder"):
        chat_model(Settings(backend="transformers", model_path=base_dir, adapter_path=str(tmp_path)))


class _OpenAIHandler(BaseHTTPRequestHandler):
    """/v1/chat/completions in the OpenAI wire format, answered by the local model."""

    model: ClassVar[LocalChatModel]
    requests: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests.append(body)
        kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
        messages = [kinds[m["role"]](m["content"]) for m in body["messages"]]
        budget = body.get("max_completion_tokens") or body.get("max_tokens") or 32
        text = self.model.generate_texts([messages], max_new_tokens=budget,
                                         temperature=body.get("temperature"), seed=body.get("seed"))[0]
        reply = {"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                 "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
                 "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args: object) -> None:
        return


def test_openai_compatible_endpoint_runs_the_whole_workflow(real_llm, tmp_path: Path) -> None:
    _OpenAIHandler.model = real_llm
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OpenAIHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = Settings(home=tmp_path / "home", backend="openai", openai_model="smollm2",
                            openai_base_url=f"http://127.0.0.1:{server.server_address[1]}/v1")
        brief = Brief(product_name="Trail Bottle", features=["keeps drinks cold"], channel="email_subject")
        result = generate(brief, settings, memory=CopyMemory(tmp_path / "memory"))
    finally:
        server.shutdown()
    assert result.model.startswith("openai:smollm2@http://127.0.0.1")
    assert result.variants
    sent = _OpenAIHandler.requests
    assert sent and all(r["model"] == "smollm2" and "seed" in r for r in sent)
    assert all((r.get("max_completion_tokens") or r.get("max_tokens")) == 28 for r in sent)
