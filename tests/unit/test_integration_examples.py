"""The integration examples work for real.

The Mailchimp push script runs against a live copyloop server (the real app on uvicorn, on loopback) and a
fake Mailchimp that records what it is sent. Every copyloop request in docs/integrations.md is checked
against the API's own routes and request schemas, and the doc's webhook receivers (Python, Node, n8n, Zapier)
are run against deliveries signed the way copyloop signs them, so the guide can't drift from the service.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import re
import shlex
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.servers import serve_app

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "integrations" / "mailchimp_push.py"
DOC = ROOT / "docs" / "integrations.md"

BRAND = "Acme"
SKU = "ACME-TENT-2P"
SUBJECTS = [
    {"text": "TrailLite 2: a full tent at 1.9 kg", "angle": "benefit", "predicted_ctr": 1.18},
    {"text": "Your next summit, lighter", "angle": "scene", "predicted_ctr": 1.04},
]
DESCRIPTION = ('The TrailLite 2 packs down to 1.9 kg & pitches in 3 minutes. Two doors mean no climbing over '
               'your partner at 3 a.m. Order now for "launch" pricing.')
RETURNING_SUBJECT = "Welcome back: TrailLite 2 is here"
MAILCHIMP_KEY = "0123456789abcdef0123456789abcdef-us21"
CAMPAIGN = "5f3c2a1b9d"

EXPECTED_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>TrailLite 2: a full tent at 1.9 kg</title>
</head>
<body style="margin:0;padding:24px;font-family:Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5;color:#222">
<p style="margin:0 0 16px">The TrailLite 2 packs down to 1.9 kg &amp; pitches in 3 minutes. Two doors mean no \
climbing over your partner at 3 a.m. Order now for &quot;launch&quot; pricing.</p>
<p style="margin:32px 0 0;font-size:12px;color:#777">*|HTML:LIST_ADDRESS_HTML|*<br>
<a href="*|UNSUB|*" style="color:#777">Unsubscribe</a></p>
</body>
</html>
"""


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


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """The real copyloop app on uvicorn at 127.0.0.1 (no job worker), with an Acme key and served copy."""
    from copyloop.api import create_app
    from copyloop.config import Settings
    from copyloop.service import served_copy
    from copyloop.service.db import writing
    from copyloop.service.keys import create_key

    app = create_app(Settings(home=tmp_path_factory.mktemp("copyloop") / "home"), worker=False)
    engine = app.state.engine
    key = create_key(engine, BRAND, "mailchimp test")
    with writing(engine) as conn:
        served_copy.replace(conn, BRAND, SKU, "email_subject", "", SUBJECTS, "test")
        served_copy.replace(conn, BRAND, SKU, "email_subject", "returning",
                            [{"text": RETURNING_SUBJECT, "angle": "audience", "predicted_ctr": None}], "test")
        served_copy.replace(conn, BRAND, SKU, "product_description", "",
                            [{"text": DESCRIPTION, "angle": "benefit", "predicted_ctr": 1.1}], "test")
        served_copy.replace(conn, "Globex", "GLOBEX-1", "email_subject", "",
                            [{"text": "Another brand's subject", "angle": "bold", "predicted_ctr": None}], "test")

    with serve_app(app) as url:
        yield SimpleNamespace(url=url, key=key.api_key)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


class FakeMailchimp:
    """Answers like Mailchimp's Marketing API for known campaigns and one key; records every request."""

    def __init__(self, api_key: str, campaigns: set[str]):
        self.requests: list[Recorded] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def handle_any(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fake.requests.append(Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                                              json.loads(raw) if raw else None))
                expected = "Basic " + base64.b64encode(f"anystring:{api_key}".encode()).decode()
                if self.headers.get("Authorization") != expected:
                    self.reply(401, {"type": "https://mailchimp.com/developer/marketing/docs/errors/",
                                     "title": "API Key Invalid", "status": 401,
                                     "detail": "Your API key may be invalid, or you've attempted to access the "
                                               "wrong datacenter.", "instance": "0d1f"})
                    return
                match = re.fullmatch(r"/3\.0/campaigns/([^/]+)(/content)?", self.path)
                if not match or match.group(1) not in campaigns:
                    self.reply(404, {"type": "https://mailchimp.com/developer/marketing/docs/errors/",
                                     "title": "Resource Not Found", "status": 404,
                                     "detail": "The requested resource could not be found.", "instance": "0d20"})
                    return
                self.reply(200, {"id": match.group(1), **(fake.requests[-1].body or {})})

            do_GET = do_POST = do_PATCH = do_PUT = handle_any

            def reply(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/problem+json" if status >= 400 else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       name="fake-mailchimp", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def mailchimp() -> Iterator[FakeMailchimp]:
    fake = FakeMailchimp(MAILCHIMP_KEY, {CAMPAIGN})
    try:
        yield fake
    finally:
        fake.close()


def _args(server: SimpleNamespace, mailchimp: FakeMailchimp, *extra: str, sku: str = SKU,
          campaign: str = CAMPAIGN, copyloop_key: str | None = None, mailchimp_key: str = MAILCHIMP_KEY) -> list[str]:
    return ["--copyloop-url", server.url, "--copyloop-key", copyloop_key or server.key,
            "--mailchimp-key", mailchimp_key, "--mailchimp-base-url", mailchimp.url,
            "--campaign", campaign, "--sku", sku, *extra]


# -- the Mailchimp push script ----------------------------------------------------------------------------------


def test_push_writes_subject_preview_and_html_into_the_campaign(push, server, mailchimp, capsys):
    assert push.main(_args(server, mailchimp)) == 0

    auth = "Basic " + base64.b64encode(f"anystring:{MAILCHIMP_KEY}".encode()).decode()
    assert [(r.method, r.path) for r in mailchimp.requests] == [
        ("PATCH", f"/3.0/campaigns/{CAMPAIGN}"), ("PUT", f"/3.0/campaigns/{CAMPAIGN}/content")]
    assert all(r.headers["authorization"] == auth for r in mailchimp.requests)
    assert all(r.headers["content-type"] == "application/json" for r in mailchimp.requests)
    assert mailchimp.requests[0].body == {"settings": {
        "subject_line": "TrailLite 2: a full tent at 1.9 kg",
        "preview_text": "The TrailLite 2 packs down to 1.9 kg & pitches in 3 minutes."}}
    assert mailchimp.requests[1].body == {"html": EXPECTED_HTML}
    out = capsys.readouterr()
    assert f"campaign {CAMPAIGN}: subject line, preview text and content set" in out.out
    assert server.key not in out.out + out.err and MAILCHIMP_KEY not in out.out + out.err


def test_push_reads_the_segment_and_can_leave_the_content_alone(push, server, mailchimp):
    assert push.main(_args(server, mailchimp, "--segment", "returning", "--subject-only")) == 0
    assert [(r.method, r.body) for r in mailchimp.requests] == [
        ("PATCH", {"settings": {"subject_line": RETURNING_SUBJECT}})]


def test_push_takes_the_keys_from_the_environment(push, server, mailchimp, monkeypatch):
    monkeypatch.setenv("COPYLOOP_API_KEY", server.key)
    monkeypatch.setenv("MAILCHIMP_API_KEY", MAILCHIMP_KEY)
    argv = ["--copyloop-url", server.url, "--mailchimp-base-url", mailchimp.url, "--campaign", CAMPAIGN,
            "--sku", SKU, "--subject-only"]
    assert push.main(argv) == 0
    assert len(mailchimp.requests) == 1


def test_dry_run_prints_the_requests_and_sends_nothing(push, server, mailchimp, capsys):
    assert push.main(_args(server, mailchimp, "--dry-run")) == 0
    assert mailchimp.requests == []
    out = capsys.readouterr().out
    assert f"PATCH {mailchimp.url}/3.0/campaigns/{CAMPAIGN}\n" in out
    assert f"PUT {mailchimp.url}/3.0/campaigns/{CAMPAIGN}/content\n" in out
    assert '"subject_line": "TrailLite 2: a full tent at 1.9 kg"' in out


def test_dry_run_needs_no_mailchimp_key(push, server, capsys, monkeypatch):
    monkeypatch.delenv("MAILCHIMP_API_KEY", raising=False)
    argv = ["--copyloop-url", server.url, "--copyloop-key", server.key, "--campaign", CAMPAIGN, "--sku", SKU,
            "--dry-run"]
    assert push.main(argv) == 0
    assert f"PATCH https://<dc>.api.mailchimp.com/3.0/campaigns/{CAMPAIGN}\n" in capsys.readouterr().out


def test_unknown_sku_is_one_clear_line_and_nothing_reaches_mailchimp(server, mailchimp):
    """Run as a real CLI: exit status 1, the copyloop 404 explained, no traceback."""
    done = subprocess.run([sys.executable, str(SCRIPT), *_args(server, mailchimp, sku="NO-SUCH-SKU")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip() == ("error: copyloop: no approved copy for SKU 'NO-SUCH-SKU' on channel "
                                   "'email_subject'; generate some first")
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert mailchimp.requests == []


def test_another_brands_sku_is_not_found(push, server, mailchimp, capsys):
    assert push.main(_args(server, mailchimp, sku="GLOBEX-1")) == 1
    assert "no approved copy for SKU 'GLOBEX-1'" in capsys.readouterr().err
    assert mailchimp.requests == []


def test_copyloop_401_names_the_key_problem(push, server, mailchimp, capsys):
    assert push.main(_args(server, mailchimp, copyloop_key="cl_000000000000_revoked")) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: copyloop refused the API key (401: unknown or revoked API key)")
    assert "Traceback" not in err and mailchimp.requests == []


def test_mailchimp_401_and_404_are_clear(push, server, mailchimp, capsys):
    assert push.main(_args(server, mailchimp, mailchimp_key="ffffffffffffffffffffffffffffffff-us21")) == 1
    err = capsys.readouterr().err
    assert err.strip() == ("error: Mailchimp refused the API key (401 API Key Invalid: Your API key may be invalid, "
                           "or you've attempted to access the wrong datacenter.)")

    assert push.main(_args(server, mailchimp, campaign="nope")) == 1
    err = capsys.readouterr().err
    assert err.strip() == ("error: Mailchimp has no campaign 'nope' for this key (404 Resource Not Found: "
                           "The requested resource could not be found.)")
    assert [r.method for r in mailchimp.requests] == ["PATCH", "PATCH"]  # stopped at the first refusal


def test_unreachable_copyloop_is_one_line(push, mailchimp, capsys):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{closed.getsockname()[1]}"  # bound but not listening: connection refused
        code = push.main(["--copyloop-url", dead, "--copyloop-key", "cl_x", "--mailchimp-key", MAILCHIMP_KEY,
                          "--mailchimp-base-url", mailchimp.url, "--campaign", CAMPAIGN, "--sku", SKU])
    assert code == 1
    assert capsys.readouterr().err.startswith(f"error: cannot reach copyloop at {dead}: ")


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


NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")


def _node(tmp_path: Path, script: str) -> Any:
    path = tmp_path / "harness.js"
    path.write_text(script, encoding="utf-8")
    done = subprocess.run([NODE or "node", str(path)], capture_output=True, text=True, timeout=60, check=False,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _cases(now: int) -> list[dict[str, Any]]:
    body = _delivery()
    good = _signed(body, at=now)
    return [
        {"body": body, "headers": good},
        {"body": body.replace(b"1.9 kg", b"0.9 kg"), "headers": good},
        {"body": body, "headers": _signed(body, at=now - 301)},
        {"body": body, "headers": _signed(body, secret="whsec_someone_else", at=now)},
        {"body": body, "headers": {**good, "X-Copyloop-Signature": ""}},
        {"body": body, "headers": {**good, "X-Copyloop-Timestamp": "soon"}},
    ]


def _encoded(cases: list[dict[str, Any]]) -> str:
    return json.dumps([{"body": base64.b64encode(c["body"]).decode(), "headers": c["headers"]} for c in cases])


@needs_node
def test_node_verify_agrees_with_copyloop(guide, tmp_path):
    from copyloop.service.webhooks import verify

    (tmp_path / "verify-copyloop.js").write_text(_snippet(guide, "node-verify"), encoding="utf-8")
    now = int(time.time())
    cases = _cases(now)
    results = _node(tmp_path, f"""
const {{ verifyCopyloop }} = require('./verify-copyloop.js');
const cases = {_encoded(cases)};
console.log(JSON.stringify(cases.map((c) => verifyCopyloop({json.dumps(SECRET)}, Buffer.from(c.body, 'base64'),
  c.headers['X-Copyloop-Timestamp'], c.headers['X-Copyloop-Signature'], {now}))));
""")
    python = [verify(SECRET, c["body"], c["headers"]["X-Copyloop-Timestamp"], c["headers"]["X-Copyloop-Signature"],
                     at=now) for c in cases]
    assert results == python == [True, False, False, False, False, False]


def _tool_code(guide: str, marker_text: str) -> str:
    """The JavaScript of the n8n Code node (from the workflow JSON) or of the Zapier code step."""
    for block in fenced_blocks(guide):
        if block.lang == "json" and block.marker and marker_text in block.marker:
            return next(n["parameters"]["jsCode"] for n in json.loads(block.body)["nodes"]
                        if n["type"] == "n8n-nodes-base.code")
        if block.lang == "javascript" and marker_text in block.body:
            return block.body
    raise AssertionError(f"no code found for {marker_text!r}")


@needs_node
def test_n8n_code_node_verifies_and_drops_duplicates(guide, tmp_path):
    code = _tool_code(guide, "n8n workflow")
    cases = _cases(int(time.time()))
    cases.insert(1, cases[0])  # the same delivery again: a retry
    results = _node(tmp_path, f"""
const cases = {_encoded(cases)};
const staticData = {{}};
async function runNode(c) {{
  const raw = Buffer.from(c.body, 'base64');
  const headers = Object.fromEntries(Object.entries(c.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const $input = {{ first: () => ({{ json: {{ headers }}, binary: {{ data: {{}} }} }}) }};
  const $env = {{ COPYLOOP_WEBHOOK_SECRET: {json.dumps(SECRET)} }};
  const $getWorkflowStaticData = () => staticData;
  const helpers = {{ getBinaryDataBuffer: async (index, name) => raw }};
  return (async function () {{ {code} }}).call({{ helpers }});
}}
(async () => {{
  const out = [];
  for (const c of cases) {{
    try {{ out.push((await runNode(c))[0].json); }} catch (error) {{ out.push({{ error: error.message }}); }}
  }}
  console.log(JSON.stringify(out));
}})();
""")
    assert results[0] == {"id": "job_8f2e4c1a7b9d40e6a3c5", "status": "succeeded",
                          "copy": ["Été: TrailLite 2 at 1.9 kg"], "error": None}
    assert results[1] == {"duplicate": True, "id": "job_8f2e4c1a7b9d40e6a3c5"}
    assert results[2:] == [{"error": "copyloop webhook: bad signature or stale timestamp"}] * 5


@needs_node
def test_zapier_code_step_verifies(guide, tmp_path):
    code = _tool_code(guide, "output = { valid")
    cases = _cases(int(time.time()))
    results = _node(tmp_path, f"""
const cases = {_encoded(cases)};
const out = cases.map((c) => {{
  const inputData = {{ raw_body: Buffer.from(c.body, 'base64').toString('utf8'), secret: {json.dumps(SECRET)},
    timestamp: c.headers['X-Copyloop-Timestamp'], signature: c.headers['X-Copyloop-Signature'],
    key: c.headers['Idempotency-Key'] }};
  let output;
  {code}
  return output;
}});
console.log(JSON.stringify(out));
""")
    assert results[0] == {"valid": True, "key": "job_8f2e4c1a7b9d40e6a3c5", "status": "succeeded",
                          "best": "Été: TrailLite 2 at 1.9 kg"}
    assert [r["valid"] for r in results] == [True, False, False, False, False, False]
