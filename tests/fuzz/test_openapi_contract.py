"""The OpenAPI document describes the API (issue 14): Schemathesis, run as a user would run it against a live
`copyloop serve`-equivalent on loopback (the real app and uvicorn, a scripted chat model), with every check, its
stateful phase included, a fixed seed and a bounded number of examples per operation.

The API refuses a few schema-valid bodies for reasons JSON Schema cannot state (text that is only invisible
characters, a sentiment band whose ends are in the wrong order or too close); `schemathesis_hooks.py` drops
exactly those refusals, and only when the 422 names nothing else.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from copyloop.api import create_app
from copyloop.config import Settings
from copyloop.memory import CopyMemory
from copyloop.service.keys import create_key
from tests.fakes import ScriptedChatModel, reply_for
from tests.servers import serve_app

pytestmark = pytest.mark.long  # minutes in one Schemathesis run: the longest test of tests/fuzz
EXAMPLES_PER_OPERATION = 25
ROOT = Path(__file__).resolve().parents[2]


def test_schemathesis_finds_no_undocumented_status_or_body(tmp_path: Path) -> None:
    runner = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or shutil.which("schemathesis")
    if runner is None:
        pytest.fail("schemathesis is not installed: `pip install -e .[dev]` installs it")
    settings = Settings(home=tmp_path / "home", candidates=1, spares=0,
                        database_url=f"sqlite:///{tmp_path / 'service.sqlite'}")
    app = create_app(settings, llm=ScriptedChatModel(script=reply_for), memory=CopyMemory(tmp_path / "memory"))
    key = create_key(app.state.engine, "Acme").api_key
    with serve_app(app) as url:
        done = subprocess.run(
            [runner, "run", f"{url}/openapi.json", "--checks", "all", "--phases", "examples,coverage,fuzzing,stateful",
             "--seed", "14", "--max-examples", str(EXAMPLES_PER_OPERATION), "--request-timeout", "120",
             "--max-response-time", "120",
             "-H", f"X-API-Key: {key}"],  # /v1/generate may run the whole workflow in the request
            capture_output=True, text=True, timeout=900, cwd=tmp_path,
            env={**os.environ, "SCHEMATHESIS_HOOKS": "tests.fuzz.schemathesis_hooks", "PYTHONPATH": str(ROOT)})
    (tmp_path / "schemathesis.txt").write_text(done.stdout + done.stderr)  # the whole report
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
