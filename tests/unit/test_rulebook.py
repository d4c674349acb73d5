"""Rule sets are values: two rulebooks give their own results side by side in one process, in threads, and nothing
derived from one leaks into the other (tests/integration/test_rulebook_runs.py: in concurrent graph runs)."""

from __future__ import annotations

import textwrap
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from copyloop.brief import Brief, Channel, CtaGoal
from copyloop.chat_parser import parse_product_message
from copyloop.drafting.prompts import angles
from copyloop.graphs.context import CopyContext
from copyloop.tools.channels import channel_spec
from copyloop.tools.compliance import check_compliance
from copyloop.tools.cta import cta_phrases, cta_spans
from copyloop.tools.grounding import invented_facts
from copyloop.tools.rulebook import BUILTIN_RULES_DIR, Rulebook, active_rules, using_rules

BRIEF = Brief(product_name="Trail Bottle", features=["keeps drinks cold"], audience="hikers", channel="email_subject",
              sku="TB-1", brand="Trailco")


def builtin(name: str) -> Any:
    return yaml.safe_load((BUILTIN_RULES_DIR / name).read_text(encoding="utf-8"))


def write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")


def user_rulebook(folder: Path, word: str, max_chars: int) -> Rulebook:
    """A rulebook whose every kind of file says something of its own: `word` flagged, offered as the buy CTA, taken
    as an attribute and as a chat channel; its own email subject limit and a single angle named after `word`."""
    write(folder / "compliance" / "house.yaml", textwrap.dedent(f"""
        rules:
          - id: house.{word}
            pattern: '\\b{word}\\b'
            severity: warn
            message: "We don't say {word}."
    """))
    ctas = builtin("ctas.yaml")
    ctas["buy"]["phrases"] = [f"{word.title()} it now.", *ctas["buy"]["phrases"]]
    write(folder / "ctas.yaml", ctas)
    channels = builtin("channels.yaml")
    channels["email_subject"]["max_chars"] = max_chars
    write(folder / "channels.yaml", channels)
    write(folder / "angles.yaml", [{"id": word, "instruction": f"Say {word}."}])
    write(folder / "attributes.yaml", {"kinds": {"finishes": [word]}})
    lexicon = builtin("chat_lexicon.yaml")
    lexicon["channels"]["push_notification"].append(f"{word} blast")
    write(folder / "chat_lexicon.yaml", lexicon)
    return Rulebook(folder)


def observe(word: str) -> dict[str, Any]:
    """What the active rulebook makes of `word` through each rule-derived cache."""
    text = f"A {word} bottle. {word.title()} it now."
    return {
        "flagged": sorted({f.rule_id for f in check_compliance(text, BRIEF) if f.rule_id.startswith("house.")}),
        "cta": cta_phrases(CtaGoal.BUY, Channel.SOCIAL_POST)[0],
        "cta_found": bool(cta_spans(text, CtaGoal.BUY)),
        "max_chars": channel_spec(Channel.EMAIL_SUBJECT).max_chars,
        "angles": [a.id for a in angles()],
        "invented": [f.matched for f in invented_facts(f"A {word} bottle.", BRIEF)],
        "channel": parse_product_message(f"a mug, {word} blast").fields.get("channel"),
    }


def expected(word: str, max_chars: int) -> dict[str, Any]:
    return {"flagged": [f"house.{word}"], "cta": f"{word.title()} it now.", "cta_found": True, "max_chars": max_chars,
            "angles": [word], "invented": [word], "channel": Channel.PUSH_NOTIFICATION}


def in_parallel(*jobs: Callable[[], Any]) -> list[Any]:
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return [f.result() for f in [pool.submit(job) for job in jobs]]


def test_two_rulebooks_side_by_side_in_threads(tmp_path: Path) -> None:
    books = {"matte": user_rulebook(tmp_path / "a", "matte", 50), "glossy": user_rulebook(tmp_path / "b", "glossy", 40)}
    both_in = threading.Barrier(2)

    def job(word: str) -> list[dict[str, Any]]:
        with using_rules(books[word]):
            both_in.wait()  # both threads compile their rules at the same time
            first = observe(word)
            both_in.wait()  # then each looks again, after the other has compiled its own
            return [first, observe(word), observe("matte" if word == "glossy" else "glossy")]

    matte, glossy = in_parallel(lambda: job("matte"), lambda: job("glossy"))
    assert matte[:2] == [expected("matte", 50)] * 2 and glossy[:2] == [expected("glossy", 40)] * 2
    assert matte[2]["flagged"] == [] and matte[2]["max_chars"] == 50  # the other rulebook's words mean nothing here
    assert glossy[2]["angles"] == ["glossy"] and glossy[2]["channel"] is None


def test_one_thread_switches_rulebooks_and_back(tmp_path: Path, builtin_rules: Rulebook) -> None:
    before = observe("matte")
    with using_rules(user_rulebook(tmp_path, "matte", 50)) as rules:
        assert active_rules() is rules and observe("matte") == expected("matte", 50)
    assert active_rules() is builtin_rules and observe("matte") == before
    assert before["flagged"] == [] and before["max_chars"] == channel_spec(Channel.EMAIL_SUBJECT).max_chars != 50


def test_from_env_reads_the_variable_when_called(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COPYLOOP_RULES_DIR", raising=False)
    assert Rulebook.from_env().user_dir is None
    write(tmp_path / "angles.yaml", [{"id": "only", "instruction": "Only this."}])
    monkeypatch.setenv("COPYLOOP_RULES_DIR", str(tmp_path))
    rules = Rulebook.from_env()
    assert rules.user_dir == tmp_path and rules.file("angles.yaml") == [{"id": "only", "instruction": "Only this."}]
    assert rules.file("ctas.yaml") == builtin("ctas.yaml")  # files the user has no copy of are the built-in ones


def test_a_context_defaults_to_the_rules_in_force(tmp_path: Path, builtin_rules: Rulebook) -> None:
    assert CopyContext().rules is builtin_rules
    with using_rules(Rulebook(tmp_path)) as rules:
        assert CopyContext().rules is rules
