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

from copyloop.brief import Channel
from copyloop.tools.channels import channel_spec


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
    """Copy for the product the request is about, in the tone it asks for; distinct on every call. Copy of several
    sentences says one of the bottle's facts, as it must to ship (`finishing.says_nothing`)."""
    name = "[product]"  # as the fine-tuned model writes it: copyloop fills in the exact name
    playful = re.search(r"Tone: (?:playful|enthusiastic)", request)
    several = any(f"Write a {spec.label}" in request or f"Write an {spec.label}" in request
                  for spec in map(channel_spec, Channel) if spec.sentences > 1)
    lines = (PLAYFUL_SAYING if playful else PLAIN_SAYING) if several else (PLAYFUL if playful else PLAIN)
    return lines[index % 8].format(n=name)
# The same tones for a push notification or a post, each line saying one of the bottle's facts
PLAYFUL_SAYING = [
    "Love it: the {n} keeps drinks cold!", "Happy days, hikers! The {n} holds 750 ml.",
    "Great news: cold drinks for 24 hours with the {n}!", "Hikers, with love: the {n}. It has a 750 ml capacity.",
    "Love the {n}, hikers! It keeps drinks cold for 24 hours.", "750 ml, all great: the {n}!",
    "The {n} is a great pick: it keeps drinks cold.", "Great news, happy hikers: 750 ml of cold drinks in the {n}!",
]
PLAIN_SAYING = [
    "Enjoy the {n}: it keeps drinks cold.", "Take the {n} and enjoy 750 ml of cold drinks.",
    "A good pick for hikers: the {n} keeps drinks cold for 24 hours.", "Cold drinks? The {n} keeps drinks cold.",
    "Hikers, enjoy the {n}. It holds 750 ml.", "Meet the {n}, a good pick with a 750 ml capacity.",
    "Enjoy cold drinks for 24 hours with the {n}.", "A good day out with the {n}: it holds 750 ml.",
]
