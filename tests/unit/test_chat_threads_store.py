"""The service's chat threads on SQLite (tests/integration/test_chat_threads_store.py runs these on a real Postgres
server too): ownership, the list a page shows, the copy a chat's approvals publish, and databases made before
threads had titles."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from copyloop.brief import Brief, Channel
from copyloop.result import Scores, Variant
from copyloop.service import chat_threads, served_copy
from copyloop.service.db import connect

BRIEF = Brief(product_name="Trail Bottle", sku="TB-750", channel=Channel.EMAIL_SUBJECT, brand="Acme")


@pytest.fixture
def engine(service_db_url: str) -> Iterator[Engine]:
    engine = connect(service_db_url)
    yield engine
    engine.dispose()


def variant(i: int, text: str) -> Variant:
    return Variant(id=i, text=text, angle="benefit", scores=Scores(predicted_ctr=1.1))


def served(engine: Engine, brand: str = "Acme") -> list[str]:
    return [r["text"] for r in served_copy.lookup(engine, brand, "TB-750", "email_subject", None, 10)]


def test_a_thread_is_its_brand_s_only(engine: Engine) -> None:
    assert chat_threads.claim(engine, "Acme", "t1", new=True, first_message="a bottle for hikers")
    assert chat_threads.claim(engine, "acme ", "t1", new=False), "one brand, however it is spelled"
    assert not chat_threads.claim(engine, "Globex", "t1", new=False)
    assert not chat_threads.claim(engine, "Acme", "t1", new=True), "an id is handed out once"
    assert not chat_threads.claim(engine, "Acme", "never-made", new=False)


def test_the_list_is_the_brand_s_newest_first_titled_by_product(engine: Engine) -> None:
    chat_threads.claim(engine, "Acme", "old", new=True, first_message="  hello\n   there  ")
    chat_threads.claim(engine, "Acme", "new", new=True, first_message="x" * 300)
    chat_threads.claim(engine, "Globex", "theirs", new=True, first_message="secret plans")
    listed = chat_threads.brand_threads(engine, "Acme", 10)
    assert [t["thread_id"] for t in listed] == ["new", "old"]
    assert listed[1]["title"] == "hello there" and len(listed[0]["title"]) == chat_threads.TITLE_CHARS
    chat_threads.touch(engine, "old", "Trail Bottle")
    listed = chat_threads.brand_threads(engine, "ACME", 10)
    assert [t["thread_id"] for t in listed] == ["old", "new"], "an answered message moves a thread up"
    assert listed[0]["title"] == "Trail Bottle" and listed[0]["updated_at"] >= listed[0]["created_at"]
    assert chat_threads.brand_threads(engine, "Acme", 1)[0]["thread_id"] == "old"
    assert chat_threads.brand_threads(engine, "Nobody", 10) == []


def test_approvals_publish_and_a_withdrawn_text_is_retired(engine: Engine) -> None:
    one, two = variant(1, "Cold for 24 hours: the Trail Bottle"), variant(2, "Meet the Trail Bottle")
    chat_threads.publish(engine, "Acme", [{"brief": BRIEF, "variants": [two, one], "retire": []}])
    assert served(engine) == [two.text, one.text], "in the order the marketer sees them"
    rows = served_copy.lookup(engine, "Acme", "TB-750", "email_subject", None, 10)
    assert {r["source"] for r in rows} == {"chat"} and rows[0]["predicted_ctr"] == 1.1
    assert served(engine, "Globex") == []
    chat_threads.publish(engine, "Acme", [{"brief": BRIEF, "variants": [one], "retire": [two.text]}])
    assert served(engine) == [one.text]
    chat_threads.publish(engine, "Acme", [{"brief": BRIEF, "variants": [], "retire": [one.text]}])
    assert served(engine) == []


def test_retiring_leaves_copy_from_elsewhere_alone(engine: Engine) -> None:
    with engine.begin() as conn:
        served_copy.replace(conn, "Acme", "TB-750", "email_subject", "", [{"text": "From a job"}], "job:1")
    chat_threads.publish(engine, "Acme", [{"brief": BRIEF, "variants": [], "retire": ["From a job"]}])
    assert served(engine) == ["From a job"]


def test_a_database_from_before_titles_gets_the_new_columns(service_db_url: str) -> None:
    old = sa.create_engine(service_db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with old.begin() as conn:
        conn.execute(sa.text("CREATE TABLE chat_threads (thread_id VARCHAR(64) PRIMARY KEY, "
                             "brand VARCHAR(120) NOT NULL, created_at FLOAT NOT NULL)"))
        conn.execute(sa.text("INSERT INTO chat_threads VALUES ('t-old', 'Acme', 1700000000.0)"))
    old.dispose()
    for _ in range(2):  # a second start finds nothing to add
        engine = connect(service_db_url)
        assert chat_threads.brand_threads(engine, "Acme", 10) == [
            {"thread_id": "t-old", "title": None, "created_at": 1700000000.0, "updated_at": 1700000000.0}]
        engine.dispose()
    engine = connect(service_db_url)
    chat_threads.touch(engine, "t-old", "Trail Bottle")
    assert chat_threads.brand_threads(engine, "Acme", 10)[0]["title"] == "Trail Bottle"
    engine.dispose()
