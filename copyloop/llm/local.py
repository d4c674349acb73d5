"""A LangChain chat model over a local transformers checkpoint, optionally with a LoRA adapter.

`batch()` is overridden so that N prompts decode as rows of one batch (`sampling.py`), and concurrent callers
share that batch (`shared_batches.py`): on a CPU that is what makes N variants cost little more than one. Each
input is still its own run for LangChain's callbacks (tracing, LangSmith), as it would be through `invoke`.
"""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManager, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LangSmithParams, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult, LLMResult
from langchain_core.runnables import RunnableConfig
from langchain_core.runnables.config import get_config_list
from langchain_core.utils.utils import LC_ID_PREFIX
from pydantic import ConfigDict, PrivateAttr

from copyloop.errors import ModelError

_ROLES = {"system": "system", "human": "user", "ai": "assistant", "tool": "user"}


class LocalChatModel(BaseChatModel):
    """Chat model over a local causal-LM folder; batched, seeded, CPU-friendly."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model_path: str
    adapter_path: str | None = None
    label: str = "local"
    temperature: float = 0.7
    top_p: float = 0.95
    max_new_tokens: int = 96
    repetition_penalty: float = 1.1
    seed: int | None = 7

    _model: Any = PrivateAttr(default=None)
    _tokenizer: Any = PrivateAttr(default=None)
    _batches: Any = PrivateAttr(default=None)
    _prefixes: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "copyloop-local-transformers"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "adapter_path": self.adapter_path}

    def load(self) -> None:
        """Load weights now (otherwise on first use)."""
        with self._lock:
            if self._model is None:
                self._load()

    def _load(self) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from copyloop.llm.prefix_store import PrefixStore
        from copyloop.llm.row_linear import with_row_linears
        from copyloop.llm.sampling import Batch, end_tokens
        from copyloop.llm.shared_batches import SharedBatches

        path = Path(self.model_path)
        if not (path / "config.json").is_file():
            raise ModelError(f"model_path {self.model_path!r} is not a transformers checkpoint folder (no config.json)")
        torch.set_num_threads(max(1, os.cpu_count() or 1))
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
        if self.adapter_path:
            model = _apply_adapter(model, self.adapter_path)
        model = with_row_linears(model.eval())
        eos_ids = end_tokens(model, tokenizer)
        self._prefixes = prefixes = PrefixStore()
        self._batches = SharedBatches(lambda: Batch(model, eos_ids, prefixes))
        self._tokenizer, self._model = tokenizer, model

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = self.generate_texts([messages], stop=stop, **kwargs)[0]
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        """What tracing shows of the model: the checkpoint's label and the token budget (not a generic guess)."""
        params = super()._get_ls_params(stop=stop, **kwargs)
        params.update(ls_provider="transformers", ls_model_name=self.label,
                      ls_max_tokens=kwargs.get("max_new_tokens") or self.max_new_tokens)
        return params

    def batch(
        self,
        inputs: list[LanguageModelInput],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[BaseMessage]:
        """All inputs in one batched sampling run, not one run each, each input still traced as its own run.

        `config` (one for all inputs, or one per input) gives each run its callbacks, tags, metadata and run name,
        as `invoke` would. With `return_exceptions` an input that fails gets its exception in place of a message;
        a failed sampling run fails every input in it.
        """
        stop = kwargs.pop("stop", None)
        configs = get_config_list(config, len(inputs))
        outcomes: dict[int, Any] = {}  # each input's reply, or (with return_exceptions) its exception
        conversations: dict[int, list[BaseMessage]] = {}
        for i, item in enumerate(inputs):
            try:
                conversations[i] = self._convert_input(item).to_messages()
            except Exception as exc:
                if not return_exceptions:
                    raise
                outcomes[i] = exc
        runs = {i: self._start_run(c, configs[i], stop, kwargs) for i, c in conversations.items()}
        try:
            texts = self.generate_texts(list(conversations.values()), stop=stop, **kwargs) if runs else []
        except BaseException as exc:
            for run in runs.values():
                run.on_llm_error(exc)
            if not return_exceptions or not isinstance(exc, Exception):
                raise
            outcomes.update(dict.fromkeys(runs, exc))
        else:
            outcomes.update({i: self._end_run(run, text) for (i, run), text in zip(runs.items(), texts, strict=True)})
        return [outcomes[i] for i in range(len(inputs))]

    async def abatch(
        self,
        inputs: list[LanguageModelInput],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[BaseMessage]:
        """`batch` off the event loop: one shared sampling run with a seed per row, not one `ainvoke` per input
        (which would give every input the same row seed and no shared batch)."""
        return await asyncio.to_thread(self.batch, inputs, config, return_exceptions=return_exceptions, **kwargs)

    def _start_run(self, conversation: list[BaseMessage], config: RunnableConfig, stop: list[str] | None,
                   options: dict[str, Any]) -> CallbackManagerForLLMRun:
        """One input's run started with its config's callbacks, tags, metadata and name, as `invoke` does."""
        manager = CallbackManager.configure(
            config.get("callbacks"), self.callbacks, self.verbose, config.get("tags"), self.tags,
            {**(config.get("metadata") or {}), **self._get_ls_params(stop=stop, **options)}, self.metadata)
        return manager.on_chat_model_start(
            self._serialized, [conversation], invocation_params=self._get_invocation_params(stop=stop, **options),
            options={"stop": stop}, name=config.get("run_name"), run_id=config.get("run_id"))[0]

    @staticmethod
    def _end_run(run: CallbackManagerForLLMRun, text: str) -> AIMessage:
        """The reply as a message with its run's id (as `invoke` gives it), reported to the run's callbacks."""
        message = AIMessage(content=text, id=f"{LC_ID_PREFIX}-{run.run_id}-0")
        run.on_llm_end(LLMResult(generations=[[ChatGeneration(message=message)]]))
        return message

    def generate_texts(
        self,
        conversations: list[list[BaseMessage]],
        *,
        stop: list[str] | None = None,
        temperature: float | None = None,
        max_new_tokens: int | None = None,
        seed: int | None = None,
        top_p: float | None = None,
    ) -> list[str]:
        """Generate one completion per conversation in a single batch (see `sampling.py` for how)."""
        from copyloop.llm.sampling import Row, row_seed

        self.load()
        tokenizer = self._tokenizer
        temp = self.temperature if temperature is None else temperature
        run_seed = self.seed if seed is None else seed
        rows = [Row(prompt=tuple(tokenizer(tokenizer.apply_chat_template(as_chat(c), tokenize=False,
                                                                         add_generation_prompt=True),
                                           add_special_tokens=False)["input_ids"]),
                    seed=row_seed(run_seed, i), temperature=max(temp, 0.0),
                    top_p=self.top_p if top_p is None else top_p,
                    max_new_tokens=max_new_tokens or self.max_new_tokens,
                    repetition_penalty=self.repetition_penalty)
                for i, c in enumerate(conversations)]
        tokens = self._batches.submit(rows)
        texts = tokenizer.batch_decode(tokens, skip_special_tokens=True)
        return [_cut_at_stop(t.strip(), stop) for t in texts]

    def count_tokens(self, text: str) -> int:
        """Tokens in a text, for throughput figures."""
        self.load()
        return len(self._tokenizer(text, add_special_tokens=False)["input_ids"])


def as_chat(messages: list[BaseMessage]) -> list[dict[str, str]]:
    """LangChain messages as the role/content dicts chat templates (and trl datasets) take."""
    return [{"role": _ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages]


def _cut_at_stop(text: str, stop: list[str] | None) -> str:
    for marker in stop or []:
        index = text.find(marker)
        if index >= 0:
            text = text[:index]
    return text


def _apply_adapter(model: Any, adapter_path: str) -> Any:
    """Wrap the base model with a LoRA adapter folder and merge it for plain-speed inference."""
    from peft import PeftModel

    if not (Path(adapter_path) / "adapter_config.json").is_file():
        raise ModelError(f"adapter_path {adapter_path!r} is not a LoRA adapter folder (no adapter_config.json)")
    return PeftModel.from_pretrained(model, adapter_path).merge_and_unload()

