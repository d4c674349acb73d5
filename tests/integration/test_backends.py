"""The two other model backends on real weights: a local checkpoint with a LoRA adapter, and an
OpenAI-compatible endpoint (a real HTTP server on loopback serving the local model, as vLLM would with copyloop's
adapter as a LoRA module; vLLM itself needs a GPU and is not run here)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import openai
import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from copyloop.brief import Brief
from copyloop.config import Settings
from copyloop.errors import ModelError
from copyloop.generation import generate
from copyloop.llm.factory import SHIPPED_ADAPTER, chat_model
from copyloop.llm.local import LocalChatModel
from copyloop.llm.lora_export import export_adapter, load_base_config
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
    """What copyloop uses of vLLM's OpenAI server, answered by local models: `/v1/models` lists the served base and
    its LoRA modules (with their parent), `/v1/chat/completions` runs the model the request names, an unknown name
    is vLLM's 404 error."""

    models: ClassVar[dict[str, LocalChatModel]] = {}
    parents: ClassVar[dict[str, str]] = {}  # LoRA module name -> the base it runs on
    requests: ClassVar[list[dict]] = []

    def do_GET(self) -> None:
        if self.path != "/v1/models":
            self._reply(404, {"error": {"message": "Not Found", "type": "NotFoundError", "code": 404}})
            return
        self._reply(200, {"object": "list", "data": [
            {"id": name, "object": "model", "created": 0, "owned_by": "vllm", "root": model.adapter_path or
             model.model_path, "parent": self.parents.get(name)} for name, model in self.models.items()]})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests.append(body)
        model = self.models.get(body.get("model"))
        if model is None:  # vLLM's _check_model: the name is neither a served model nor a LoRA module
            self._reply(404, {"error": {"message": f"The model `{body.get('model')}` does not exist.",
                                        "type": "NotFoundError", "param": "model", "code": 404}})
            return
        kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
        messages = [kinds[m["role"]](m["content"]) for m in body["messages"]]
        budget = body.get("max_completion_tokens") or body.get("max_tokens") or 32
        text = model.generate_texts([messages], max_new_tokens=budget,
                                    temperature=body.get("temperature"), seed=body.get("seed"))[0]
        self._reply(200, {"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                          "choices": [{"index": 0, "finish_reason": "stop",
                                       "message": {"role": "assistant", "content": text}}],
                          "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

    def _reply(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args: object) -> None:
        return


@contextmanager
def openai_server(models: dict[str, LocalChatModel], parents: dict[str, str] | None = None
                  ) -> Iterator[tuple[str, list[dict]]]:
    """An OpenAI-compatible server on loopback for these models: its /v1 URL and the requests it received."""
    requests: list[dict] = []
    handler = type("Handler", (_OpenAIHandler,), {"models": models, "parents": parents or {}, "requests": requests})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", requests
    finally:
        server.shutdown()
        server.server_close()


def test_the_exported_adapter_served_as_a_lora_module_is_what_copyloop_runs_locally(real_llm, tmp_path: Path) -> None:
    """Also the OpenAI backend's whole workflow (one run, here on the LoRA module): every draft seeded, 28 tokens."""
    base_dir = converted_model_dir(Settings().model_cache)
    export = export_adapter(SHIPPED_ADAPTER, tmp_path / "copyloop-lora", base=str(base_dir),
                            base_config=load_base_config(base_dir), max_lora_rank=16)
    # As `vllm serve BASE --enable-lora --lora-modules copyloop=DIR`: the base, and the adapter read (by PEFT here)
    # from the exported folder only.
    lora = LocalChatModel(model_path=str(base_dir), adapter_path=str(export.folder), label="copyloop")
    base = chat_model(Settings(tuned=False))
    with openai_server({"smollm2": base, "copyloop": lora}, {"copyloop": "smollm2"}) as (url, sent):
        listed = httpx.get(f"{url}/models").json()["data"]
        assert [(m["id"], m["parent"]) for m in listed] == [("smollm2", None), ("copyloop", "smollm2")]

        def greedy(name: str) -> str:
            served = chat_model(Settings(backend="openai", openai_base_url=url, openai_model=name, temperature=0.0))
            return served.invoke(PROMPT[0], max_tokens=24).content

        local = {"tuned": real_llm, "base": base}
        expected = {k: m.generate_texts(PROMPT, temperature=0.0, max_new_tokens=24)[0] for k, m in local.items()}
        assert greedy("copyloop") == expected["tuned"], "the LoRA module is copyloop's adapter, weight for weight"
        assert greedy("smollm2") == expected["base"]
        assert expected["tuned"] != expected["base"], "the adapter changes what the model writes"

        with pytest.raises(openai.NotFoundError, match="The model `copyloop-v2` does not exist"):
            chat_model(Settings(backend="openai", openai_base_url=url, openai_model="copyloop-v2")).invoke("Hi")

        sent.clear()
        settings = Settings(home=tmp_path / "home", backend="openai", openai_base_url=url, openai_model="copyloop")
        brief = Brief(product_name="Trail Bottle", features=["keeps drinks cold"], channel="email_subject")
        result = generate(brief, settings, memory=CopyMemory(tmp_path / "memory"))
    assert result.model.startswith("openai:copyloop@http://127.0.0.1") and result.variants
    assert sent and all(r["model"] == "copyloop" for r in sent), "every draft went to the LoRA module"
    assert all("seed" in r and (r.get("max_completion_tokens") or r.get("max_tokens")) == 28 for r in sent)
