"""The web page's files as `copyloop serve` hands them out: at `/` and `/app/...` without a key, from the package
(every file the page loads exists and is package data), nothing fetched from elsewhere, no HTML built from data;
the API behind it still wants a key. The page itself runs in tests/browser."""

from __future__ import annotations

import re
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from copyloop.api import create_app
from copyloop.config import Settings
from copyloop.web import STATIC

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted(p for p in STATIC.rglob("*") if p.is_file())


@pytest.fixture
def client(tmp_path: Path):
    with TestClient(create_app(Settings(home=tmp_path / "home"), worker=False)) as http:
        yield http


def test_index_and_assets_need_no_key_and_the_api_still_does(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert client.head("/").status_code == 200
    for path in FILES:
        answer = client.get(f"/app/{path.relative_to(STATIC).as_posix()}")
        assert answer.status_code == 200, path
        assert answer.content == path.read_bytes()
    assert client.get("/app/js/main.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/app/../__init__.py").status_code == 404
    assert client.get("/app/nothing.js").status_code == 404
    assert client.get("/v1/variants/TB-750").status_code == 401
    assert not {p for p in client.get("/openapi.json").json()["paths"] if not p.startswith("/v1") and p != "/healthz"}


def test_every_file_the_page_loads_is_shipped() -> None:
    index = (STATIC / "index.html").read_text()
    loaded = {m for m in re.findall(r'(?:src|href)="(/app/[^"]+)"', index)}
    for script in STATIC.glob("js/*.js"):
        loaded |= {f"/app/js/{m}" for m in re.findall(r'from "\./([\w-]+\.js)"', script.read_text())}
    assert "/app/js/main.js" in loaded and "/app/js/chat.js" in loaded
    for path in loaded:
        assert (STATIC / path.removeprefix("/app/")).is_file(), path
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["copyloop"]
    for path in FILES:
        inside = path.relative_to(STATIC.parents[1]).as_posix()
        assert any(fnmatch(inside, p) and inside.count("/") == p.count("/") for p in patterns), \
            f"{inside} is not package data"


def test_the_page_fetches_nothing_from_elsewhere_and_writes_data_as_text() -> None:
    for path in FILES:
        text = path.read_text()
        outside = [u for u in re.findall(r"https?://[^\s\"')]+", text) if u != "http://www.w3.org/2000/svg"]
        assert outside == [], f"{path.name} refers to {outside}"
        if path.suffix == ".js":
            assert not re.search(r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write", text), path.name
            assert "localStorage.setItem" not in text, "the key lives in sessionStorage only"
