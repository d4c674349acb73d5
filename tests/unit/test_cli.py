"""The CLI's error paths and memory commands: clear messages, exit codes, no tracebacks, nothing lost."""

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


def test_memory_import_export_stats_round_trip(tmp_path: Path) -> None:
    source = tmp_path / "copy.jsonl"
    rows = [
        {"text": "Cold water all day with the Trail Bottle. Shop now.", "sku": "TB-1", "brand": "Trailco",
         "category": "Home", "channel": "product_description", "approved": True, "impressions": 100, "clicks": 7},
        {"text": "Soft merino for cold mornings. Buy now.", "sku": "MB-2", "brand": "Woolly",
         "category": "Apparel", "channel": "social_post", "approved": True},
        "this line is not json",
        {"sku": "no text"},
    ]
    source.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    home = str(tmp_path / "home")
    imported = invoke("memory", "import", str(source), "--home", home)
    assert imported.exit_code == 0, imported.output
    assert "imported 2 records, skipped 2" in imported.output
    assert "line 3" in imported.output and "line 4" in imported.output
    stats = invoke("memory", "stats", "--home", home)
    assert stats.exit_code == 0 and json.loads(stats.output)["count"] == 2
    target = tmp_path / "out.jsonl"
    exported = invoke("memory", "export", str(target), "--home", home)
    assert exported.exit_code == 0
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert sorted(r["sku"] for r in lines) == ["MB-2", "TB-1"]
    again = invoke("memory", "import", str(target), "--home", home)
    assert again.exit_code == 0 and json.loads(invoke("memory", "stats", "--home", home).output)["count"] == 2


def test_import_of_only_bad_lines_fails_and_keeps_stored_copy(tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"text": "Trail Bottle. Shop now.", "channel": "email_subject"}) + "\n")
    assert invoke("memory", "import", str(good), "--home", home).exit_code == 0
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n")
    result = invoke("memory", "import", str(bad), "--home", home)
    assert result.exit_code == 1 and "line 1" in result.output
    assert json.loads(invoke("memory", "stats", "--home", home).output)["count"] == 1


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
