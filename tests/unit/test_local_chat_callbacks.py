"""`LocalChatModel.batch` runs every input in one sampling call yet reports each as its own LangChain run
(callbacks, tags, metadata, run name, parent run), without loading a model: the sampling call is replaced."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from langchain_core.messages import BaseMessage, HumanMessage
from langchain_core.runnables import RunnableLambda

from copyloop.llm.local import LocalChatModel
from tests.callback_recorder import Recorder


@pytest.fixture
def calls(monkeypatch) -> list[dict[str, Any]]:
    """Each sampling call's conversations and options; replies name the request they answer."""
    seen: list[dict[str, Any]] = []

    def generate_texts(self, conversations: list[list[BaseMessage]], **options: Any) -> list[str]:
        seen.append({"conversations": conversations, **options})
        if any("fail" in str(c[-1].content) for c in conversations):
            raise RuntimeError("sampling broke")
        return [f"reply to {c[-1].content}" for c in conversations]

    monkeypatch.setattr(LocalChatModel, "generate_texts", generate_texts)
    return seen


PROMPTS = [[HumanMessage(f"slogan for a {thing}")] for thing in ("bottle", "lamp", "tent")]


def test_one_sampling_call_and_one_traced_run_per_input(calls) -> None:
    recorder = Recorder()
    model = LocalChatModel(model_path="unused", label="SmolLM2")
    replies = model.bind(max_new_tokens=12, seed=3).batch(
        PROMPTS, {"callbacks": [recorder], "tags": ["draft"], "metadata": {"brief": "b1"}, "run_name": "drafts"})
    assert [r.content for r in replies] == ["reply to slogan for a bottle", "reply to slogan for a lamp",
                                            "reply to slogan for a tent"]
    assert len(calls) == 1 and len(calls[0]["conversations"]) == 3  # still one batched sampling run
    assert (calls[0]["max_new_tokens"], calls[0]["seed"]) == (12, 3)
    assert len(recorder.starts) == len(recorder.ends) == 3 and not recorder.errors
    for start, prompt, (end_id, result), reply in zip(recorder.starts, PROMPTS, recorder.ends, replies, strict=True):
        assert start["messages"] == [prompt]
        assert start["name"] == "drafts" and "draft" in start["tags"]
        assert start["metadata"]["brief"] == "b1" and start["metadata"]["ls_model_name"] == "SmolLM2"
        assert start["invocation_params"]["max_new_tokens"] == 12
        assert end_id == start["run_id"] and str(end_id) in str(reply.id)
        assert result.generations[0][0].message.content == reply.content


def test_a_config_per_input_and_the_parent_run_from_the_context(calls) -> None:
    recorder = Recorder()
    run_ids = [uuid4() for _ in PROMPTS]
    model = LocalChatModel(model_path="unused")
    model.batch(PROMPTS, [{"callbacks": [recorder], "tags": [f"input-{i}"], "run_id": run_id}
                          for i, run_id in enumerate(run_ids)])
    assert [s["run_id"] for s in recorder.starts] == run_ids
    assert [s["tags"] for s in recorder.starts] == [["input-0"], ["input-1"], ["input-2"]]

    nested = Recorder()
    node = RunnableLambda(lambda prompts: model.batch(prompts))  # as a graph node calls it: no config passed on
    node.invoke(PROMPTS, {"callbacks": [nested]})
    assert len(nested.starts) == len(nested.ends) == 3
    assert {s["parent_run_id"] for s in nested.starts} != {None}, "the node's run is each model run's parent"
    assert len(calls) == 2


def test_a_failed_run_is_reported_to_each_input_and_returned_or_raised(calls) -> None:
    recorder = Recorder()
    model = LocalChatModel(model_path="unused")
    prompts = [*PROMPTS[:2], [HumanMessage("fail please")]]
    with pytest.raises(RuntimeError, match="sampling broke"):
        model.batch(prompts, {"callbacks": [recorder]})
    assert len(recorder.errors) == 3 and not recorder.ends
    assert {run_id for run_id, _ in recorder.errors} == {s["run_id"] for s in recorder.starts}

    outcomes = model.batch(prompts, return_exceptions=True)
    assert all(isinstance(o, RuntimeError) for o in outcomes)


def test_an_unreadable_input_fails_alone_with_return_exceptions(calls) -> None:
    recorder = Recorder()
    model = LocalChatModel(model_path="unused")
    outcomes = model.batch([PROMPTS[0], 42, PROMPTS[1]], {"callbacks": [recorder]}, return_exceptions=True)
    assert isinstance(outcomes[1], Exception)
    assert [o.content for o in (outcomes[0], outcomes[2])] == ["reply to slogan for a bottle",
                                                               "reply to slogan for a lamp"]
    assert len(recorder.starts) == len(recorder.ends) == 2
    with pytest.raises(ValueError):
        model.batch([PROMPTS[0], 42])
    assert model.batch([]) == []


def test_abatch_is_one_sampling_call_too(calls) -> None:
    import asyncio

    recorder = Recorder()
    replies = asyncio.run(LocalChatModel(model_path="unused").abatch(PROMPTS, {"callbacks": [recorder]}))
    assert len(calls) == 1 and len(calls[0]["conversations"]) == 3, "not one ainvoke (and one seed) per input"
    assert replies[0].content == "reply to slogan for a bottle" and len(recorder.ends) == 3
