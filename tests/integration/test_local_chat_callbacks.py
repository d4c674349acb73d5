"""Callbacks passed in config see every input of a real batched `LocalChatModel.batch` call, and leave its
tokens as they were."""

from __future__ import annotations

import pytest
from langchain_core.messages import HumanMessage

from tests.callback_recorder import Recorder

pytestmark = pytest.mark.model


def test_a_callback_in_config_sees_one_start_and_one_end_per_input(real_llm) -> None:
    prompts = [[HumanMessage(f"Write a short slogan for a {thing}.")] for thing in ("bottle", "lamp", "tent")]
    model = real_llm.bind(max_new_tokens=12, seed=4)
    recorder = Recorder()
    traced = model.batch(prompts, {"callbacks": [recorder], "tags": ["callback-test"]})
    assert [s["messages"] for s in recorder.starts] == [[p] for p in prompts]
    assert all("callback-test" in s["tags"] for s in recorder.starts)
    assert [run_id for run_id, _ in recorder.ends] == [s["run_id"] for s in recorder.starts]
    assert len({s["run_id"] for s in recorder.starts}) == 3 and not recorder.errors
    assert [r.generations[0][0].text for _, r in recorder.ends] == [m.content for m in traced]
    assert all(m.content.strip() for m in traced)
    assert [m.content for m in model.batch(prompts)] == [m.content for m in traced]  # tracing changes no token
