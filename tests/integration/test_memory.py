"""CopyMemory against a real Chroma store on disk and the real MiniLM model: no fakes in the path under test."""

from __future__ import annotations

import io
import json
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from copyloop.errors import MemoryStoreError
from copyloop.memory import CopyMemory, MemoryRecord, embedded, embeddings
from copyloop.memory.embeddings import cosine_matrix, embed

REPO = Path(__file__).resolve().parents[2]


def rec(text: str, **fields) -> MemoryRecord:
    defaults = {"brand": "Acme", "category": "Apparel", "channel": "social_post"}
    return MemoryRecord(text=text, **{**defaults, **fields})


@pytest.fixture
def mem(tmp_path: Path) -> CopyMemory:
    return CopyMemory(tmp_path / "memory")


# Child processes swap in instant stand-in vectors: what they test is Chroma's durability, and loading the
# model would cost each of them seconds. The parent reopens the store with the real model.
STAND_IN = """
import numpy as np
import copyloop.memory.store as store
store.embed = lambda texts: np.eye(len(texts), 384, dtype=np.float32)
"""


def run_child(code: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", STAND_IN + textwrap.dedent(code)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# -- embeddings ------------------------------------------------------------------------------------------------------


def test_embed_is_normalised_and_cosine_matrix_matches():
    vectors = embed(["Soft cotton tee", "Soft cotton t-shirt", "Quarterly tax deadline"])
    assert vectors.shape == (3, 384)
    assert abs(float((vectors**2).sum(axis=1).max()) - 1.0) < 1e-4
    sims = cosine_matrix(vectors, vectors)
    assert sims[0, 1] > sims[0, 2]
    assert cosine_matrix(["Soft cotton tee"], vectors)[0, 0] == pytest.approx(1.0, abs=1e-4)
    assert embed([]).shape == (0, 384)


def test_each_text_is_encoded_once_and_repeats_come_from_the_cache(monkeypatch):
    model = embeddings.get_model()
    encoded: list[str] = []
    encode = model.encode

    def counting_encode(texts, **kwargs):
        encoded.extend(texts)
        return encode(texts, **kwargs)

    monkeypatch.setattr(model, "encode", counting_encode)
    monkeypatch.setattr(embeddings, "CACHED_TEXTS", 3)
    first = embed(["Linen shirt, breezy", "Wool socks for winter", "Linen shirt, breezy"])
    again = embed(["Wool socks for winter", "Linen shirt, breezy"])
    assert encoded == ["Linen shirt, breezy", "Wool socks for winter"]
    assert np.array_equal(again, first[[1, 0]]) and np.array_equal(first[0], first[2])
    again[0] = 0.0  # a caller's array is its own: the cached vectors are not changed through it
    assert np.allclose(np.linalg.norm(embed(["Wool socks for winter"]), axis=1), 1.0)
    embed(["Cast iron pan", "Desk lamp", "Garden hose"])  # the cache keeps the 3 most recent texts
    assert "Linen shirt, breezy" not in embeddings._cache and len(embeddings._cache) == 3


# -- records ---------------------------------------------------------------------------------------------------------


def test_add_get_count_round_trip(mem: CopyMemory):
    first, second = rec("Soft organic cotton tee for summer."), rec("Fast USB-C cable.", brand=None, sku="C-2")
    ids = mem.add([first, second])
    assert ids == [first.id, second.id]
    assert mem.count() == 2
    assert mem.get(first.id) == first
    assert mem.get(second.id).brand is None  # None survives Chroma's "" metadata
    assert mem.get("no-such-id") is None


def test_default_id_is_stable_and_readding_is_idempotent(mem: CopyMemory):
    assert rec("Same copy").id == rec("Same copy").id
    assert rec("Same copy").id != rec("Same copy", channel="email_subject").id
    (copy_id,) = mem.add([rec("Same copy", created_at="2024-01-01T00:00:00Z")])
    mem.record_outcome(copy_id, impressions=100, clicks=9)
    mem.add([rec("Same copy"), rec("Same copy")])  # duplicates in one batch are fine too
    stored = mem.get(copy_id)
    assert mem.count() == 1
    assert (stored.impressions, stored.clicks) == (100, 9)  # re-adding never wipes measured performance
    assert stored.created_at.startswith("2024-01-01T00:00:00")


def test_record_outcome_accumulates_and_rejects_bad_input(mem: CopyMemory):
    (copy_id,) = mem.add([rec("Breathable linen shirt.")])
    mem.record_outcome(copy_id, impressions=50, clicks=2, conversions=1)
    updated = mem.record_outcome(copy_id, impressions=150, clicks=8)
    assert (updated.impressions, updated.clicks, updated.conversions) == (200, 10, 1)
    assert mem.get(copy_id) == updated
    with pytest.raises(MemoryStoreError, match="no copy with id"):
        mem.record_outcome("missing", 1, 0)
    with pytest.raises(MemoryStoreError, match="non-negative"):
        mem.record_outcome(copy_id, -5, 0)


# -- similarity ------------------------------------------------------------------------------------------------------


def test_nearest_similarity(mem: CopyMemory):
    text = "Soft organic cotton tee that stays cool on hot summer days."
    assert mem.nearest_similarity([text]) == [0.0]  # empty store
    mem.add([rec(text, brand="Acme"), rec("Stainless steel chef knife, razor sharp.", brand="Blade")])
    same, unrelated = mem.nearest_similarity([text, "Quarterly corporate tax filing deadlines explained."])
    assert same == pytest.approx(1.0, abs=1e-3)
    assert unrelated < 0.4
    assert mem.nearest_similarity([text], brand="acme")[0] == pytest.approx(1.0, abs=1e-3)  # brand is case-blind
    assert mem.nearest_similarity([text], brand="Blade")[0] < 0.5
    assert mem.nearest_similarity([text], brand="Nobody") == [0.0]
    assert mem.nearest_similarity([]) == []


# -- exemplars -------------------------------------------------------------------------------------------------------


def test_exemplars_rank_proven_winners_then_recency(mem: CopyMemory):
    winner = rec("Winner copy", impressions=200, clicks=30, created_at="2024-01-01T00:00:00Z")
    proven = rec("Proven but weaker", impressions=5000, clicks=60, created_at="2024-06-01T00:00:00Z")
    newest = rec("Newest untested", created_at="2025-03-01T00:00:00Z")
    older = rec("Older untested", created_at="2025-01-01T00:00:00Z")
    noise = [
        rec("Other channel", channel="email_subject", impressions=100, clicks=90),
        rec("Other category", category="Kitchen", impressions=100, clicks=90),
        rec("Rejected", approved=False, impressions=100, clicks=90),
    ]
    mem.add([older, noise[0], proven, newest, winner, *noise[1:]])
    best = mem.exemplars("apparel", "social_post", k=10)
    assert [r.text for r in best] == [winner.text, proven.text, newest.text, older.text]
    assert [r.text for r in mem.exemplars("Apparel", "social_post", k=2)] == [winner.text, proven.text]
    assert mem.exemplars("Apparel", "social_post", brand="Other") == []


# -- files -----------------------------------------------------------------------------------------------------------


def test_export_import_round_trip(mem: CopyMemory, tmp_path: Path):
    records = [rec(f"Round trip copy {i}", impressions=i * 10, clicks=i, segment="new") for i in range(5)]
    mem.add(records)
    mem.record_outcome(records[0].id, 7, 1)
    out = tmp_path / "export.jsonl"
    assert mem.export_jsonl(out) == 5
    stream = io.StringIO()
    assert mem.export_jsonl(stream) == 5

    fresh = CopyMemory(tmp_path / "fresh")
    assert fresh.import_jsonl(out) == (5, [])
    assert {r.id: r for r in fresh.all()} == {r.id: r for r in mem.all()}
    assert fresh.import_jsonl(out) == (5, []) and fresh.count() == 5  # re-import stores nothing twice
    assert fresh.stats()["totals"]["impressions"] == sum(r.impressions for r in mem.all())


def test_import_reports_bad_lines_and_keeps_good_ones(mem: CopyMemory, tmp_path: Path):
    mem.add([rec("Already stored copy")])
    lines = [
        json.dumps({"text": "Good line one", "channel": "email_subject"}),
        "{not json",
        json.dumps({"channel": "social_post"}),
        json.dumps({"text": "Bad channel", "channel": "billboard"}),
        json.dumps({"text": "Negative", "clicks": -3}),
        "[1, 2]",
        "",
        json.dumps({"text": "Good line two", "created_at": "2024-02-03T04:05:06+02:00"}),
    ]
    path = tmp_path / "import.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    imported, errors = mem.import_jsonl(path)
    assert imported == 2
    assert len(errors) == 5
    assert errors[0].startswith("line 2: not valid JSON")
    assert errors[1].startswith("line 3: text: Field required")
    assert errors[2].startswith("line 4: channel:")
    assert errors[3].startswith("line 5: clicks:")
    assert errors[4].startswith("line 6: expected a JSON object")
    assert mem.count() == 3
    assert {r.text for r in mem.all()} >= {"Already stored copy", "Good line one", "Good line two"}
    with pytest.raises(MemoryStoreError, match="cannot import"):
        mem.import_jsonl(tmp_path / "missing.jsonl")


def test_stats(mem: CopyMemory):
    mem.add([rec("A", impressions=100, clicks=5), rec("B", brand=None, channel="email_subject", impressions=50)])
    stats = mem.stats()
    assert stats["count"] == 2
    assert stats["totals"]["ctr"] == pytest.approx(5 / 150)
    assert stats["by_channel"]["social_post"]["clicks"] == 5
    assert stats["by_brand"]["(none)"]["impressions"] == 50
    assert stats["by_category"]["Apparel"]["count"] == 2


# -- durability ------------------------------------------------------------------------------------------------------


def test_persists_across_reopen(tmp_path: Path):
    CopyMemory(tmp_path / "m").add([rec("Persistent copy about wool socks.")])
    reopened = CopyMemory(tmp_path / "m")
    assert reopened.count() == 1
    assert reopened.nearest_similarity(["Persistent copy about wool socks."])[0] == pytest.approx(1.0, abs=1e-3)


def test_unopenable_folder_raises_clear_error(tmp_path: Path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(MemoryStoreError, match="not a folder"):
        CopyMemory(blocker)
    with pytest.raises(MemoryStoreError, match="cannot create"):
        CopyMemory(blocker / "sub")


def test_kill_mid_write_loses_nothing_stored(tmp_path: Path):
    folder = tmp_path / "crash"
    child = run_child(f"""
        memory = store.CopyMemory({str(folder)!r})
        memory.add([store.MemoryRecord(text=f"first batch copy {{i}}", brand="Acme") for i in range(20)])
        print("stored", flush=True)
        n = 0
        while True:
            memory.add([store.MemoryRecord(text=f"later copy {{n}} {{j}}", brand="Acme") for j in range(20)])
            n += 1
            print("batch", n, flush=True)
    """)
    try:
        line = child.stdout.readline()
        assert line.strip() == "stored", child.stderr.read()
        while child.stdout.readline().strip() != "batch 3":  # well into later batches: the kill lands mid-write
            assert child.poll() is None, child.stderr.read()
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate()
    assert child.returncode == -signal.SIGKILL

    memory = CopyMemory(folder)
    first = [MemoryRecord(text=f"first batch copy {i}", brand="Acme") for i in range(20)]
    stored = [memory.get(r.id) for r in first]
    assert [s and s.model_dump(exclude={"created_at"}) for s in stored] == [
        r.model_dump(exclude={"created_at"}) for r in first
    ]
    assert memory.count() > 20  # later batches landed too, whole or not at all
    assert memory.count() % 20 == 0
    assert 0.0 <= memory.nearest_similarity(["first batch copy 7"])[0] <= 1.0
    memory.add([rec("written after the crash")])
    assert memory.nearest_similarity(["written after the crash"])[0] == pytest.approx(1.0, abs=1e-3)


@pytest.fixture(scope="module")
def persisted_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store written by another process in which Chroma has saved its HNSW files (pickle included).

    Chroma saves every 1,000 writes by default; the collection is pre-created saving every 100 so
    150 records are enough.
    """
    folder = tmp_path_factory.mktemp("persisted") / "memory"
    child = run_child(f"""
        import chromadb
        from chromadb.config import Settings
        from copyloop.memory import embeddings
        client = chromadb.PersistentClient(path={str(folder)!r}, settings=Settings(anonymized_telemetry=False))
        client.get_or_create_collection(
            "copy", embedding_function=embeddings.MiniLMEmbeddingFunction(),
            configuration={{"hnsw": {{"space": "cosine", "sync_threshold": 100}}}},
        )
        client.close()
        with store.CopyMemory({str(folder)!r}) as memory:
            memory.add([store.MemoryRecord(text=f"torn copy {{i}}") for i in range(150)])
    """)
    _, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    assert list(folder.glob("*/index_metadata.pickle")), "Chroma did not save its HNSW files"
    return folder


def assert_rebuilt(folder: Path, caplog: pytest.LogCaptureFixture, why: str) -> None:
    memory = CopyMemory(folder)
    assert why in caplog.text
    assert "rebuilt for 150 records" in caplog.text
    assert memory.count() == 150
    assert not (folder / "copyloop-reindexing").exists()
    # Real vectors now: the stand-in ones could not match a real embedding this closely.
    assert memory.nearest_similarity(["torn copy 3"])[0] == pytest.approx(1.0, abs=1e-3)
    memory.close()


def test_half_written_index_files_are_rebuilt_before_chroma_reads_them(
    persisted_store: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    """Chroma rewrites its HNSW files in place; a kill mid-save tears them (and loading torn files can segfault)."""
    folder = Path(shutil.copytree(persisted_store, tmp_path / "torn"))
    (pickle,) = folder.glob("*/index_metadata.pickle")
    pickle.write_bytes(pickle.read_bytes()[: pickle.stat().st_size // 2])
    assert_rebuilt(folder, caplog, "left half-written")


def test_index_chroma_cannot_load_is_rebuilt(persisted_store: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture):
    """Second line of defence: files that look finished but that Chroma still refuses to load."""
    folder = Path(shutil.copytree(persisted_store, tmp_path / "refused"))
    (pickle,) = folder.glob("*/index_metadata.pickle")
    pickle.write_bytes(pickle.read_bytes()[: pickle.stat().st_size // 2])
    embedded._save_index_state(folder, embedded._Folder())  # as if the torn files were the last good state
    assert_rebuilt(folder, caplog, "cannot load the vector index")


def test_interrupted_rebuild_resumes_on_next_open(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    folder = tmp_path / "resume"
    with CopyMemory(folder) as memory:
        memory.add([rec("Copy one about wool socks."), rec("Copy two about linen shirts.")])
    (folder / "copyloop-reindexing").write_text("")
    with CopyMemory(folder) as memory:
        assert "rebuilt for 2 records" in caplog.text
        assert not (folder / "copyloop-reindexing").exists()
        assert memory.nearest_similarity(["Copy two about linen shirts."])[0] == pytest.approx(1.0, abs=1e-3)


def test_closed_memory_refuses_work_and_reopens(tmp_path: Path):
    memory = CopyMemory(tmp_path / "m")
    memory.add([rec("Closing time copy.")])
    memory.close()
    memory.close()  # idempotent
    with pytest.raises(MemoryStoreError, match="closed"):
        memory.count()
    assert CopyMemory(tmp_path / "m").count() == 1


def test_select_filters_by_brand_channel_and_category_case_blind(mem: CopyMemory):
    mem.add([MemoryRecord(text="Acme email one", brand="Acme", category="Drinkware", channel="email_subject"),
             MemoryRecord(text="Acme push", brand="acme", category="Drinkware", channel="push_notification"),
             MemoryRecord(text="Acme tent email", brand="Acme", category="Outdoor", channel="email_subject"),
             MemoryRecord(text="Globex email", brand="Globex", category="Drinkware", channel="email_subject")])
    assert {r.text for r in mem.select("ACME")} == {"Acme email one", "Acme push", "Acme tent email"}
    assert {r.text for r in mem.select("Acme", channel="email_subject")} == {"Acme email one", "Acme tent email"}
    assert [r.text for r in mem.select("Acme", "email_subject", "drinkware")] == ["Acme email one"]
    assert len(list(mem.select())) == 4 and list(mem.select("Initech")) == []
