"""The integration guide can't drift from the service: every copyloop request in docs/integrations.md is checked
against the API's own routes and request schemas, its Python webhook receiver verifies deliveries signed the way
copyloop signs them, and the Mailchimp push script's own helpers work. tests/integration/test_integration_examples.py
runs the script against live servers and the Node, n8n and Zapier receivers under Node.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "integrations" / "mailchimp_push.py"
DOC = ROOT / "docs" / "integrations.md"

BRAND = "Acme"
SKU = "ACME-TENT-2P"
CAMPAIGN = "5f3c2a1b9d"


# -- the live servers -------------------------------------------------------------------------------------------


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mailchimp_push", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def push() -> ModuleType:
    return _load_script()


# -- the Mailchimp push script ----------------------------------------------------------------------------------


def test_missing_keys_are_usage_errors(push, monkeypatch, capsys):
    monkeypatch.delenv("COPYLOOP_API_KEY", raising=False)
    with pytest.raises(SystemExit) as exited:
        push.main(["--campaign", CAMPAIGN, "--sku", SKU])
    assert exited.value.code == 2
    assert "give --copyloop-key or set COPYLOOP_API_KEY" in capsys.readouterr().err


def test_data_center_comes_from_the_key(push):
    assert push.mailchimp_base_url("0123abcd-us21") == "https://us21.api.mailchimp.com"
    assert push.mailchimp_base_url("0123abcd-us21", "http://127.0.0.1:9/") == "http://127.0.0.1:9"
    for bad in ("0123abcd", "0123abcd-", "0123abcd-us21/evil.example"):
        with pytest.raises(push.PushError, match="data center"):
            push.mailchimp_base_url(bad)


def test_preview_text_is_the_first_sentence_within_150_chars(push):
    assert push.preview_text("Pack light. Sleep dry.") == "Pack light."
    long = "word " * 60 + "end."
    preview = push.preview_text(long)
    assert len(preview) <= 150 and preview.endswith("word…")


# -- the guide: every copyloop request in it matches the API ------------------------------------------------------


@dataclass
class Block:
    lang: str
    body: str
    marker: str | None
    line: int


def fenced_blocks(text: str) -> list[Block]:
    """Every fenced code block (indented ones too), with the HTML comment on the line before it, if any."""
    lines = text.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        opening = re.match(r"^\s*```(\S*)\s*$", lines[i])
        if not opening:
            i += 1
            continue
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == "```"), None)
        assert end is not None, f"docs/integrations.md:{i + 1}: unclosed code fence"
        before = next((lines[k] for k in range(i - 1, -1, -1) if lines[k].strip()), "")
        marker = re.match(r"^\s*<!--\s*(.*?)\s*-->\s*$", before)
        blocks.append(Block(opening.group(1), textwrap.dedent("\n".join(lines[i + 1:end])),
                            marker.group(1) if marker else None, i + 1))
        i = end + 1
    return blocks


VALUE_TEMPLATE = r"\{\{\{.*?\}\}\}|\{\{(?:\$\{[^}]*\}|[^}])*\}\}|\[\[.*?\]\]"  # {{x}}, Braze's {{${x}}}, [[x]]
TEMPLATE = re.compile(VALUE_TEMPLATE + r"|\{%.*?%\}", re.DOTALL)


def fill_url(url: str) -> str:
    """A URL from the guide with its template expressions and $COPYLOOP_URL taken out."""
    return re.sub(VALUE_TEMPLATE, "X", url).replace("$COPYLOOP_URL", "")


def fill_templates(text: str, value: str = "1") -> str:
    """Replace the tools' template expressions (Liquid, Handlebars, Django-style, n8n) with a sample value: the
    bare value inside a JSON string, a JSON string where the expression stands alone."""
    out, in_string, i = [], False, 0
    while i < len(text):
        found = TEMPLATE.match(text, i)
        if found:
            out.append(value if in_string else json.dumps(value))
            i = found.end()
            continue
        char = text[i]
        if in_string and char == "\\":
            out.append(text[i:i + 2])
            i += 2
            continue
        if char == '"':
            in_string = not in_string
        out.append(char)
        i += 1
    return "".join(out)


def unflatten(data: dict[str, Any]) -> dict[str, Any]:
    """What Zapier's Webhooks POST does with "Unflatten: yes": `a__b` keys become nested objects."""
    nested: dict[str, Any] = {}
    for key, value in data.items():
        *parents, leaf = key.split("__")
        target = nested
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    return nested


@dataclass
class Request:
    where: str
    method: str | None  # None: a URL in a tool's config, whatever method the tool uses
    url: str
    body: Any = None
    headers: tuple[str, ...] = ()


def _routes() -> list[Any]:
    from copyloop.api.app import ROUTERS

    return [route for router in ROUTERS for route in router.routes]


def route_for(method: str | None, path: str) -> Any:
    """The API route a concrete path is served by, for `method` or any (None for an unknown one)."""
    for route in _routes():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", r"[^/]+", re.escape(route.path)) + "$"
        if (method is None or method in route.methods) and re.match(pattern, path):
            return route
    return None


def _curl_requests(block: Block) -> list[Request]:
    script = block.body.replace("\\\n", " ")
    tokens = shlex.split(script, comments=True)
    starts = [i for i, t in enumerate(tokens) if t == "curl"]
    found = []
    for start, end in zip(starts, [*starts[1:], len(tokens)], strict=True):
        args = tokens[start + 1:end]
        method, url, data, headers = None, None, None, []
        for i, arg in enumerate(args):
            if arg == "-X":
                method = args[i + 1]
            elif arg == "-H":
                headers.append(args[i + 1])
            elif arg in ("-d", "--data", "--data-raw", "--data-binary"):
                data = json.loads(args[i + 1])
            elif not arg.startswith("-") and ("/v1/" in arg or "/healthz" in arg) and url is None:
                url = arg
        assert url, f"docs/integrations.md:{block.line}: a curl command without a copyloop URL"
        found.append(Request(f"line {block.line} (curl)", method or ("POST" if data is not None else "GET"), url,
                             data, tuple(headers)))
    return found


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def doc_requests(text: str) -> list[Request]:
    """Every request to copyloop the guide shows: marked JSON bodies, curl commands, n8n nodes, and copyloop URLs
    in tool configs (Braze, Iterable, HubSpot)."""
    requests: list[Request] = []
    for block in fenced_blocks(text):
        where = f"docs/integrations.md:{block.line}"
        if block.lang == "json":
            assert block.marker and re.match(r"(copyloop-request|other-json):", block.marker), (
                f"{where}: mark every JSON block with <!-- copyloop-request: METHOD /path --> or "
                "<!-- other-json: what it is -->")
            data = json.loads(fill_templates(block.body))
            try:
                raw = json.loads(block.body)  # n8n's jsonBody must be read before its templates are filled
            except json.JSONDecodeError:
                raw = data
            if block.marker.startswith("copyloop-request:"):
                method, path, *options = block.marker.split(":", 1)[1].split()
                requests.append(Request(where, method, path, unflatten(data) if "zapier-unflatten" in options
                                        else data))
            for node in _walk(raw):  # n8n HTTP Request nodes: their jsonBody is the copyloop body
                if isinstance(node.get("url"), str) and "/v1/" in node["url"] and "jsonBody" in node:
                    body = json.loads(fill_templates(node["jsonBody"].removeprefix("=")))
                    requests.append(Request(f"{where} (n8n)", node.get("method", "GET"), node["url"], body))
        elif block.lang in ("bash", "sh", "shell") and "curl " in block.body:
            requests += _curl_requests(block)
    for url in re.findall(r"https://copyloop\.example\.com(/v1/[^\s`'\"]+)", re.sub(VALUE_TEMPLATE, "X", text)):
        requests.append(Request("tool config URL", None, url.rstrip(").,")))
    return requests


@pytest.fixture(scope="module")
def guide() -> str:
    return DOC.read_text(encoding="utf-8")


def test_every_json_block_is_marked_and_parses(guide):
    blocks = [b for b in fenced_blocks(guide) if b.lang == "json"]
    assert len(blocks) >= 6
    for block in blocks:
        assert block.marker and re.match(r"(copyloop-request|other-json):", block.marker), block.line
        json.loads(fill_templates(block.body))


def test_every_request_body_in_the_guide_is_valid_against_the_api_schemas(guide):
    from pydantic import TypeAdapter

    from copyloop.service.runner import brief_for

    with_body = [r for r in doc_requests(guide) if r.body is not None]
    kinds = {(r.method, route_for(r.method, urlsplit(fill_url(r.url)).path).path) for r in with_body}
    assert {("POST", "/v1/jobs"), ("POST", "/v1/events"), ("POST", "/v1/experiments"),
            ("POST", "/v1/experiments/{experiment_id}/conclude"), ("POST", "/v1/memory")} <= kinds
    assert len(with_body) >= 9
    for request in with_body:
        route = route_for(request.method, urlsplit(fill_url(request.url)).path)
        params = route.dependant.body_params
        assert params, f"{request.where}: {request.method} {request.url} takes no body"
        TypeAdapter(params[0].field_info.annotation).validate_python(request.body)
        if isinstance(request.body, dict) and "brief" in request.body:
            brief_for(BRAND, request.body["brief"])  # the brief may not name another brand


def test_events_in_the_guide_are_singles_and_a_batch(guide):
    bodies = [r.body for r in doc_requests(guide) if r.body is not None and r.url.endswith("/v1/events")]
    assert any("events" in b for b in bodies) and any("event_id" in b for b in bodies)


def test_every_copyloop_url_in_the_guide_exists_with_known_query_params(guide):
    from copyloop.brief import Channel

    requests = doc_requests(guide)
    assert len(requests) >= 15
    for request in requests:
        parts = urlsplit(fill_url(request.url))
        if parts.path == "/healthz":
            continue
        route = route_for(request.method, parts.path)
        assert route is not None, f"{request.where}: no route for {request.method} {parts.path}"
        query = parse_qs(parts.query)
        known = {param.alias for param in route.dependant.query_params}
        assert set(query) <= known, f"{request.where}: {sorted(set(query) - known)} not accepted by {route.path}"
        for channel in query.get("channel", []):
            assert channel in {c.value for c in Channel}, f"{request.where}: unknown channel {channel!r}"


def test_every_channel_named_in_the_guide_exists(guide, push):
    from copyloop.brief import Channel

    named = re.findall(r"channel=([a-z_]+)|channel\\?[\"']?: \\?[\"']([a-z_]+)", guide)  # query, JSON, JS
    assert len(named) >= 10
    for channel in [a or b for a, b in named] + [push.SUBJECT_CHANNEL, push.BODY_CHANNEL]:
        assert channel in {c.value for c in Channel}, f"unknown channel {channel!r}"


def test_every_curl_call_sends_a_key(guide):
    for request in doc_requests(guide):
        if request.where.endswith("(curl)") and "/healthz" not in request.url:
            assert any(re.match(r"(X-API-Key: |Authorization: Bearer )", h) for h in request.headers), request.where


def test_the_endpoint_table_lists_exactly_the_api(guide):
    table = {(m, re.sub(r"\{[^}]+\}", "{}", p)) for m, p in re.findall(r"^\| `(GET|POST|PUT|PATCH|DELETE) (/\S*)`",
                                                                            guide, re.MULTILINE)}
    api = {(m, re.sub(r"\{[^}]+\}", "{}", r.path)) for r in _routes() for m in r.methods} | {("GET", "/healthz")}
    assert table == api


# -- the guide: its webhook receivers accept what copyloop sends and refuse the rest -------------------------------


SECRET = "whsec_test_Vf1hX0c2kq6tT8yJmZp3Lw9nR4bG7sHdA5eQ1uC0oKi"


def _delivery(status: str = "succeeded", job_id: str = "job_8f2e4c1a7b9d40e6a3c5") -> bytes:
    """A callback body serialised the way the worker does (compact, UTF-8)."""
    from copyloop.service.worker import webhook_payload

    result = {"brief": {"product_name": "TrailLite 2 Tent", "sku": SKU, "channel": "email_subject"},
              "variants": [{"id": 1, "text": "Blocked one", "status": "blocked"},
                           {"id": 2, "text": "Été: TrailLite 2 at 1.9 kg", "status": "ok"}]}
    job = {"id": job_id, "status": status, "result": result if status == "succeeded" else None,
           "error": None if status == "succeeded" else "invalid brief: product_name: Field required"}
    return json.dumps(webhook_payload(job), separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _signed(body: bytes, secret: str = SECRET, at: int | None = None) -> dict[str, str]:
    from copyloop.service.webhooks import sign

    stamp = int(time.time()) if at is None else at
    return {"X-Copyloop-Signature": sign(secret, stamp, body), "X-Copyloop-Timestamp": str(stamp),
            "Idempotency-Key": json.loads(body)["id"], "Content-Type": "application/json"}


def _snippet(guide: str, name: str) -> str:
    found = [b.body for b in fenced_blocks(guide) if b.marker == f"snippet: {name}"]
    assert len(found) == 1, f"expected one block marked 'snippet: {name}'"
    return found[0]


def test_python_receiver_verifies_drops_duplicates_and_refuses_forgeries(guide, monkeypatch, capsys):
    from fastapi.testclient import TestClient

    monkeypatch.setenv("COPYLOOP_WEBHOOK_SECRET", SECRET)
    namespace: dict[str, Any] = {"__name__": "receiver"}
    exec(compile(_snippet(guide, "python-receiver"), "receiver.py", "exec"), namespace)
    body = _delivery()
    with TestClient(namespace["app"]) as client:
        first = client.post("/copyloop/callback", content=body, headers=_signed(body))
        assert first.status_code == 200 and first.json() == {"ok": True}
        assert "['Été: TrailLite 2 at 1.9 kg']" in capsys.readouterr().out
        again = client.post("/copyloop/callback", content=body, headers=_signed(body))  # a retry
        assert again.json() == {"ok": True, "duplicate": True}

        tampered = body.replace(b"1.9 kg", b"0.9 kg")
        assert client.post("/copyloop/callback", content=tampered, headers=_signed(body)).status_code == 401
        stale = _signed(body, at=int(time.time()) - 301)
        assert client.post("/copyloop/callback", content=body, headers=stale).status_code == 401
        other_key = _signed(body, secret="whsec_someone_else")
        assert client.post("/copyloop/callback", content=body, headers=other_key).status_code == 401
        failed = _delivery("failed", "job_00000000000000000001")
        assert client.post("/copyloop/callback", content=failed, headers=_signed(failed)).status_code == 200
        assert "failed: invalid brief" in capsys.readouterr().out
