"""The integration examples work for real, against live servers and other runtimes.

The Mailchimp push script runs against a live copyloop server (the real app on uvicorn, on loopback) and a
fake Mailchimp that records what it is sent; the guide's Node, n8n and Zapier webhook receivers run under Node
against deliveries signed the way copyloop signs them. tests/unit/test_integration_examples.py checks the guide's
requests against the API's own routes and schemas.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.servers import serve_app
from tests.unit import test_integration_examples as guide_tests
from tests.unit.test_integration_examples import (
    BRAND,
    CAMPAIGN,
    SCRIPT,
    SECRET,
    SKU,
    _delivery,
    _signed,
    _snippet,
    fenced_blocks,
)

guide, push = guide_tests.guide, guide_tests.push  # the guide's text and the push script, as fixtures here too

SUBJECTS = [
    {"text": "TrailLite 2: a full tent at 1.9 kg", "angle": "benefit", "predicted_ctr": 1.18},
    {"text": "Your next summit, lighter", "angle": "scene", "predicted_ctr": 1.04},
]


DESCRIPTION = ('The TrailLite 2 packs down to 1.9 kg & pitches in 3 minutes. Two doors mean no climbing over '
               'your partner at 3 a.m. Order now for "launch" pricing.')


RETURNING_SUBJECT = "Welcome back: TrailLite 2 is here"


MAILCHIMP_KEY = "0123456789abcdef0123456789abcdef-us21"


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
