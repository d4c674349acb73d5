"""A scripted chat model for routing tests (replies come from a function of the request, deterministically), and
the replies the chat, API and fuzz tests script it with."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, Field


class ScriptedChatModel(BaseChatModel):
    """Answers each conversation with `script(request_text, call_index)`; records every batch it was given."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    script: Callable[[str, int], str]
    calls: list[list[str]] = Field(default_factory=list)
    conversations: list[str] = Field(default_factory=list)  # every message of every request, few-shot turns too
    kwargs_seen: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._answer([messages], kwargs)[0])])

    def batch(self, inputs: list[Any], config: Any = None, *, return_exceptions: bool = False,
              **kwargs: Any) -> list[BaseMessage]:
        return self._answer([self._convert_input(i).to_messages() for i in inputs], kwargs)

    def _answer(self, conversations: list[list[BaseMessage]], kwargs: dict[str, Any]) -> list[AIMessage]:
        requests = [str(c[-1].content) for c in conversations]
        self.calls.append(requests)
        self.conversations += ["\n".join(str(m.content) for m in c) for c in conversations]
        self.kwargs_seen.append(kwargs)
        start = sum(len(c) for c in self.calls[:-1])
        return [AIMessage(content=self.script(r, start + i)) for i, r in enumerate(requests)]


# Playful copy scores +0.55..+0.9, plain copy +0.4..+0.5: both inside the 'positive' band a playful tone asks for.
# Every word is the brief's or the house vocabulary's, so the sense checks let the lines through.
PLAYFUL = [
    "Love it: the {n}!", "Happy days, great drinks: {n}", "Great cold drinks: {n}", "Hikers, with love: the {n}",
    "Love the {n}, hikers!", "750 ml, all great: the {n}", "The {n} is a great pick", "Great news, happy hikers: {n}",
]
PLAIN = [
    "Enjoy the {n} on every day out", "Take the {n} and enjoy", "A good pick for hikers: the {n}",
    "Cold drinks? Enjoy the {n}", "Hikers, enjoy the {n}", "Meet the {n}, a good pick",
    "Enjoy cold drinks with the {n}", "A good day out with the {n}",
]


def reply_for(request: str, index: int) -> str:
    """Copy for the product the request is about, in the tone it asks for; distinct on every call."""
    name = "[product]"  # as the fine-tuned model writes it: copyloop fills in the exact name
    playful = re.search(r"Tone: (?:playful|enthusiastic)", request)
    return (PLAYFUL if playful else PLAIN)[index % 8].format(n=name)
