"""The CLI's error paths and key commands: clear messages, exit codes, no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from copyloop.cli import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


def test_bad_brief_names_the_field_and_exits_2(tmp_path: Path) -> None:
    brief = tmp_path / "bad.yaml"
    brief.write_text("product_name: Bottle\nn_variants: 40\nchannel: billboard\n")
    result = invoke("generate", str(brief), "--home", str(tmp_path / "home"))
    assert result.exit_code == 2
    assert "invalid brief" in result.output
    assert "n_variants: Input should be less than or equal to 8" in result.output
    assert "channel: Input should be" in result.output
    assert "Traceback" not in result.output


def test_missing_and_malformed_brief_files(tmp_path: Path) -> None:
    missing = invoke("generate", str(tmp_path / "nope.yaml"))
    assert missing.exit_code == 2 and "no such file" in missing.output
    broken = tmp_path / "broken.json"
    broken.write_text("{\"product_name\": ")
    result = invoke("generate", str(broken))
    assert result.exit_code == 2 and "not valid JSON" in result.output and "Traceback" not in result.output


def test_api_keys_are_created_listed_and_revoked(tmp_path: Path) -> None:
    from copyloop.service.db import connect, default_url
    from copyloop.service.keys import tenant_for

    home = tmp_path / "home"
    created = invoke("keys", "create", "--brand", "Acme", "--label", "braze", "--json", "--home", str(home))
    assert created.exit_code == 0, created.output
    key = json.loads(created.output)
    assert key["api_key"].startswith("cl_") and key["webhook_secret"].startswith("whsec_")
    listed = invoke("keys", "list", "--home", str(home))
    assert key["key_id"] in listed.output and "braze" in listed.output and key["api_key"] not in listed.output
    engine = connect(default_url(home))
    assert tenant_for(engine, key["api_key"]).brand == "Acme"  # type: ignore[union-attr]
    assert invoke("keys", "revoke", key["key_id"], "--home", str(home)).exit_code == 0
    assert tenant_for(engine, key["api_key"]) is None
    again = invoke("keys", "revoke", key["key_id"], "--home", str(home))
    assert again.exit_code == 2 and "no active key" in again.output
    blank = invoke("keys", "create", "--brand", "  ", "--home", str(home))
    assert blank.exit_code == 2 and "brand must be 1-120 printable characters" in blank.output


def test_serve_refuses_a_bad_database_url_without_a_traceback(tmp_path: Path) -> None:
    result = invoke("serve", "--database", "mysql+nodriver://x/y", "--home", str(tmp_path / "home"))
    assert result.exit_code == 2 and "database" in result.output and "Traceback" not in result.output
