"""Property-based fuzzing (issue 14): random and adversarial briefs, files, HTTP bodies and headers, and event
sequences. Whatever comes in, copyloop answers with a value or a clear error of its own — never another exception,
a 5xx, a hang, or state it cannot read back.

Each target runs FUZZ_EXAMPLES generated cases (2,000 by default: twenty times Hypothesis's own default, under a
minute a target; `COPYLOOP_FUZZ_EXAMPLES=10000` for a deeper run) with a fixed seed, so a CI run is repeatable and
bounded in time; the HTTP target goes through the real ASGI app with a scripted chat model.
"""

from __future__ import annotations

import json
import os
import resource
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from copyloop.api import create_app
from copyloop.brief import Brief, brief_from_dict
from copyloop.config import Settings
from copyloop.errors import BriefError
from copyloop.memory import CopyMemory
from copyloop.safe_load import UnsafeInput, load_json, load_yaml
from copyloop.service.experiments import funnel
from copyloop.service.keys import create_key
from tests.fakes import ScriptedChatModel, reply_for

FUZZ_EXAMPLES = int(os.environ.get("COPYLOOP_FUZZ_EXAMPLES", "2000"))
# every case within 5 s (a hang fails the case, not the CI job) and the whole run within PEAK_RSS_MB
FUZZ = settings(max_examples=FUZZ_EXAMPLES, deadline=timedelta(seconds=5), database=None, derandomize=True,
                suppress_health_check=list(HealthCheck))
PEAK_RSS_MB = 4096

# Text a hostile or careless sender produces: controls, zero-width and bidi characters, non-characters, lone
# surrogates, template tokens, very long runs.
NASTY = st.sampled_from(["\u200b", "\u202e", "\ufeff", "\ufffe", "\uffff", "\ud800", "\U000e0041", "\x00", "\x1b[31m",
                         "<|im_start|>system", "[INST]", "NaN", "1e999", "{", "[", "*a", "&a", "\n\n", " " * 50])
TEXT = st.one_of(st.text(max_size=80), st.lists(NASTY, max_size=6).map("".join),
                 st.tuples(st.text(max_size=20), NASTY, st.text(max_size=20)).map("".join))
NUMBER = st.one_of(st.integers(), st.integers(min_value=2**62, max_value=2**70), st.floats(allow_nan=True),
                   st.decimals(allow_nan=False, allow_infinity=False).map(str), st.booleans(), st.none())
JSONISH = st.recursive(st.one_of(TEXT, NUMBER), lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)), max_leaves=12)
FIELDS = ["product_name", "short_name", "category", "sku", "brand", "features", "attributes", "price", "currency",
          "audience", "channel", "tone", "brand_voice", "target_sentiment", "cta_goal", "required_words",
          "banned_words", "n_variants", "locale", "reference_copy"]


def _deep(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


FIELD_VALUE = st.one_of(TEXT, NUMBER, st.lists(TEXT, max_size=3), st.dictionaries(TEXT, TEXT, max_size=3),
                        st.integers(0, 2000).map(_deep))
BRIEF_LIKE = st.fixed_dictionaries(
    {"product_name": st.one_of(TEXT, st.just("Trail Bottle"))},
    optional={name: FIELD_VALUE for name in FIELDS[1:]},
)


@seed(14)
@FUZZ
@given(data=st.one_of(BRIEF_LIKE, JSONISH))
def test_any_brief_data_becomes_a_brief_or_a_brief_error(data: Any) -> None:
    try:
        brief = brief_from_dict(data)
    except BriefError as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)
        return
    assert isinstance(brief, Brief) and brief.product_name.strip()
    assert all(c.isprintable() or c == " " for c in brief.product_name)
    json.dumps(brief.model_dump(mode="json"))  # a brief that validated can always be stored and echoed back


def _as_json(value: Any) -> str:
    try:
        return json.dumps(value, default=str, allow_nan=True)
    except RecursionError:  # deeper than Python's own encoder goes: send that depth as text
        return "[" * 3000 + "]" * 3000


JSON_TEXT = st.one_of(st.text(max_size=200), JSONISH.map(_as_json),
                      st.integers(0, 3000).map(lambda n: "[" * n + "]" * n),
                      st.tuples(JSONISH.map(_as_json), st.integers(1, 60)).map(lambda t: t[0][: -t[1]] or "{"))


@seed(14)
@FUZZ
@given(text=JSON_TEXT)
def test_any_json_text_parses_or_is_refused_with_a_reason(text: str) -> None:
    try:
        value = load_json(text)
    except UnsafeInput as exc:
        assert str(exc)
        return
    json.dumps(value, allow_nan=False)  # what parsed is JSON again: no NaN or Infinity got through


YAML_TEXT = st.one_of(
    st.text(max_size=200),
    st.lists(st.tuples(st.sampled_from(["a", "b", "product_name", "<<", "? x", "- y", "&x", "*x", "!!python/name:os"]),
                       st.one_of(TEXT, st.sampled_from(["[1, 2]", "{a: 1}", "&a [1]", "*a", "2001-13-45",
                                                        "0o999", "!!binary x", "!!timestamp x", "|", ">"]))),
             max_size=8).map(lambda rows: "\n".join(f"{k}: {v}" for k, v in rows)),
    st.integers(0, 2000).map(lambda n: "a: " + "[" * n + "]" * n),
)


@seed(14)
@FUZZ
@given(text=YAML_TEXT)
def test_any_yaml_text_parses_or_is_refused_with_a_reason(text: str) -> None:
    try:
        load_yaml(text)
    except UnsafeInput as exc:
        assert str(exc)


COUNTS = st.lists(st.integers(0, 10**6), min_size=3, max_size=3)


@seed(14)
@FUZZ
@given(arms=st.lists(COUNTS, min_size=2, max_size=4), control=st.integers(0, 3))
def test_experiment_statistics_are_defined_for_any_counts(arms: list[list[int]], control: int) -> None:
    from copyloop.service.experiment_results import _summary
    from copyloop.service.experiments import Arm

    raw = {kind: np.array([a[i] for a in arms], dtype=np.int64)
           for i, kind in enumerate(("impression", "click", "conversion"))}
    counts = funnel(raw)
    assert (counts["impression"] >= counts["click"]).all() and (counts["click"] >= counts["conversion"]).all()
    variants = [Arm(index=i, key=f"v{i}", text="t", angle=None, weight=1 / len(arms), memory_id=None)
                for i in range(len(arms))]
    summary = _summary(variants, counts, min(control, len(arms) - 1), "split")
    for row in summary["variants"]:
        for low, high in (row["ctr_interval"], row["cvr_interval"]):
            assert 0.0 <= low <= high <= 1.0
    json.dumps(summary, allow_nan=False)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    home = Path(tmp_path_factory.mktemp("fuzz"))
    config = Settings(home=home / "home", candidates=1, spares=0, max_request_bytes=50_000,
                      database_url=f"sqlite:///{home / 'service.sqlite'}")
    app = create_app(config, llm=ScriptedChatModel(script=reply_for), memory=CopyMemory(home / "memory"),
                     worker=False)
    key = create_key(app.state.engine, "Acme")
    with TestClient(app, raise_server_exceptions=False) as client:
        created = client.post("/v1/experiments", headers={"X-API-Key": key.api_key}, json={
            "name": "fuzz", "sku": "TB-750", "channel": "email_subject",
            "variants": [{"key": "a", "text": "Meet the Trail Bottle"}, {"key": "b", "text": "Cold for 24 hours"}]})
        # loads the embedding model once, here: a first memory write takes ~10 s, past a single example's deadline
        client.post("/v1/memory", headers={"X-API-Key": key.api_key}, json={"records": [{"text": "Seed copy."}]})
        yield {"client": client, "key": key.api_key, "experiment": created.json()["id"]}


ENDPOINTS = ["/v1/chat", "/v1/events", "/v1/experiments", "/v1/memory", "/v1/jobs", "/v1/experiments/{exp}/conclude",
             "/v1/variants/TB-750", "/v1/experiments/{exp}", "/v1/experiments/{exp}/assign", "/v1/jobs/{text}"]
NEAR_VALID = st.one_of(
    st.fixed_dictionaries({"message": JSONISH}, optional={"thread_id": JSONISH}),
    st.fixed_dictionaries({"events": st.lists(st.fixed_dictionaries(
        {"event_id": TEXT, "experiment_id": st.sampled_from(["{exp}", "exp_x"]),
         "type": st.sampled_from(["impression", "click", "conversion", "view"])},
        optional={"variant": st.sampled_from(["a", "b", "c"]), "unit": TEXT, "segment": TEXT,
                  "timestamp": NUMBER}), max_size=5)}),
    st.fixed_dictionaries({"records": st.lists(st.fixed_dictionaries(
        {"text": TEXT}, optional={"impressions": NUMBER, "clicks": NUMBER, "channel": TEXT}), max_size=3)}),
    st.fixed_dictionaries({"brief": BRIEF_LIKE}, optional={"callback_url": st.one_of(TEXT, st.sampled_from([
        "http://127.1/x", "http://[::1]/", "http://169.254.169.254/", "http://2130706433/"]))}),
    st.fixed_dictionaries({"winner": st.one_of(TEXT, st.none())}),
    JSONISH,
)
BODY = st.one_of(NEAR_VALID.map(lambda v: _as_json(v).encode("utf-8", "surrogatepass")),
                 st.binary(max_size=300), st.integers(0, 3000).map(lambda n: b"[" * n + b"]" * n))
HEADER_VALUE = st.one_of(st.just("application/json"), st.text(st.characters(min_codepoint=32, max_codepoint=126),
                                                                  max_size=40))


@seed(14)
@FUZZ
@given(path=st.sampled_from(ENDPOINTS), method=st.sampled_from(["POST", "GET", "PUT", "DELETE"]), body=BODY,
       content_type=HEADER_VALUE, key=st.sampled_from(["valid", "none", "junk"]), text=TEXT)
def test_no_request_gets_a_5xx_and_stored_state_stays_readable(api: dict[str, Any], path: str, method: str,
                                                               body: bytes, content_type: str, key: str,
                                                               text: str) -> None:
    client = api["client"]
    headers = {"Content-Type": content_type}
    if key != "none":
        headers["X-API-Key"] = api["key"] if key == "valid" else content_type
    url = path.replace("{exp}", api["experiment"]).replace("{text}", "".join(c for c in text if c.isalnum())[:20]
                                                            or "x")
    body = body.replace(b"{exp}", api["experiment"].encode())
    if "generate" in url or ("jobs" in url and method == "POST"):
        body = body[:2000]
    response = client.request(method, url, content=body if method in ("POST", "PUT") else None, headers=headers)
    assert response.status_code < 500, (method, url, body[:200], response.text[:300])
    if response.headers.get("content-type", "").startswith("application/json"):
        response.json()


def test_state_written_by_the_fuzzing_reads_back_and_memory_stayed_bounded(api: dict[str, Any]) -> None:
    headers = {"X-API-Key": api["key"]}
    client = api["client"]
    assert client.get("/v1/memory", headers=headers).status_code == 200
    report = client.get(f"/v1/experiments/{api['experiment']}", headers=headers)
    assert report.status_code == 200
    counts = report.json()["variants"]
    assert all(v["impressions"] >= v["clicks"] >= v["conversions"] >= 0 for v in counts)
    assert Decimal(str(report.json()["variants"][0]["ctr"])) <= 1
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 < PEAK_RSS_MB
