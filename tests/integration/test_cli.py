"""The CLI's memory commands on a real Chroma memory (MiniLM embeddings): nothing lost, clear messages."""

from __future__ import annotations

import json
from pathlib import Path

from tests.unit.test_cli import invoke


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
