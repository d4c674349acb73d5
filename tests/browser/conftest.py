"""Browser fixtures: a real `copyloop serve` on loopback with the real model (one per test module), an API key for
it, and headless Chromium driven by Selenium through Debian's chromedriver (Selenium Manager never downloads).

Screenshots go to $COPYLOOP_SCREENSHOTS (e.g. docs/screenshots) when set, else to a temporary folder; the folder is
printed at the start of the session."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.servers import copyloop_server, free_port

CHROMIUM = os.environ.get("COPYLOOP_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("COPYLOOP_CHROMEDRIVER", "/usr/bin/chromedriver")


@dataclass
class Site:
    """A running server as a browser test sees it: its URL, a key of one brand, and an HTTP client with that key."""

    url: str
    key: str
    brand: str
    home: Path
    http: httpx.Client
    restart: Callable[[], None]  # stop the server and start it again on the same port and home


def cli(home: Path, *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "copyloop", *args, "--home", str(home)], capture_output=True,
                          text=True, timeout=120, check=True).stdout


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """`copyloop serve` with a fresh home (SQLite store, checkpoints, memory) and a key for the brand Acme."""
    home = tmp_path_factory.mktemp("home")
    key = json.loads(cli(home, "keys", "create", "--brand", "Acme", "--json"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    servers = ExitStack()

    def restart() -> None:
        servers.close()
        servers.enter_context(copyloop_server(home, port))

    with servers, httpx.Client(base_url=url, timeout=600, headers={
            "Authorization": f"Bearer {key['api_key']}"}) as http:
        servers.enter_context(copyloop_server(home, port))
        yield Site(url=url, key=key["api_key"], brand=key["brand"], home=home, http=http, restart=restart)


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wanted = os.environ.get("COPYLOOP_SCREENSHOTS")
    folder = Path(wanted) if wanted else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nbrowser screenshots: {folder.resolve()}")
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Chromium through /usr/bin/chromedriver, 1280×900."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for needed in (CHROMIUM, CHROMEDRIVER):
        if not shutil.which(needed):
            pytest.fail(f"{needed} is missing: install Debian's chromium and chromium-driver (.ci/run does)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,900", "--no-first-run", "--disable-extensions",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
