"""A real Postgres server for tests: the one COPYLOOP_TEST_POSTGRES_URL names, else a throwaway one started here.

The service must behave the same on SQLite and Postgres, and only a real server shows Postgres' own locking,
types and conflict handling, so the tests never fall back to a fake. A missing server fails the run (with the
install command) rather than skipping, so a green run always means both databases were tested.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

URL_ENV = "COPYLOOP_TEST_POSTGRES_URL"
SKIP_ENV = "COPYLOOP_SKIP_POSTGRES"
TOOLS = ("initdb", "pg_ctl", "postgres")
INSTALL_HINT = (f"install them (Debian/Ubuntu: `apt-get install -y postgresql`), point {URL_ENV} at a server "
                f"whose user may CREATE DATABASE, or set {SKIP_ENV}=1 to skip the Postgres tests")
# Durability is worthless for a server deleted after the run; without it, commits and CREATE DATABASE are fast.
SERVER_SETTINGS = ("-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 "
                   "-c listen_addresses=127.0.0.1")


def bin_dir() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres: the one on PATH, else the newest /usr/lib/postgresql/*/bin,
    else the build the `pgserver` wheel (a dev dependency) ships, so `make test` needs no system package.

    A symlink on PATH is followed, since initdb and pg_ctl look for `postgres` next to their real file.
    """
    found = shutil.which("initdb")
    candidates = [Path(os.path.realpath(found)).parent] if found else []
    versions = Path("/usr/lib/postgresql").glob("*/bin")
    candidates += sorted(versions, key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.name)], reverse=True)
    wheel = importlib.util.find_spec("pgserver")
    candidates += [Path(folder) / "pginstall" / "bin" for folder in (wheel.submodule_search_locations or [])] \
        if wheel else []
    return next((d for d in candidates if all((d / tool).is_file() for tool in TOOLS)), None)


@contextmanager
def server() -> Iterator[str]:
    """An admin URL: COPYLOOP_TEST_POSTGRES_URL, else a throwaway server's, stopped and deleted afterwards."""
    if os.environ.get(URL_ENV):
        yield os.environ[URL_ENV]
        return
    binaries = bin_dir()
    if binaries is None:
        if os.environ.get(SKIP_ENV) == "1":
            pytest.skip(f"{SKIP_ENV}=1 and no Postgres server binaries ({', '.join(TOOLS)}) were found")
        pytest.fail(f"the Postgres tests need the server binaries ({', '.join(TOOLS)}), found neither on PATH nor "
                    f"in /usr/lib/postgresql/*/bin: {INSTALL_HINT}", pytrace=False)
    home = Path(tempfile.mkdtemp(prefix="copyloop-pg-"))
    try:
        as_user = _unprivileged(home)
        data, log = home / "data", home / "server.log"
        _run([*as_user, str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
              "--locale=C", "--no-sync"], "initdb")
        port = _free_port()
        _run([*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60",
              "-o", f"{SERVER_SETTINGS} -p {port} -k {home}", "start"], "pg_ctl start", log)
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run([*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                           capture_output=True, check=False)
    finally:
        shutil.rmtree(home, ignore_errors=True)


@contextmanager
def database(admin_url: str) -> Iterator[str]:
    """A new, empty database on the server behind `admin_url`; dropped afterwards, even with connections open."""
    name = f"copyloop_test_{uuid.uuid4().hex[:12]}"
    with _admin(admin_url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with _admin(admin_url) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def service_url(request: pytest.FixtureRequest, folder: Path) -> Iterator[str]:
    """The service store's URL for `request.param`: a SQLite file in `folder`, or ("postgres") a new database of
    its own on the session's server (the `postgres_url` fixture)."""
    if request.param == "sqlite":
        yield f"sqlite:///{folder / 'service.sqlite'}"
        return
    with database(request.getfixturevalue("postgres_url")) as url:
        yield url


def _admin(url: str) -> psycopg.Connection:
    """An autocommit connection (CREATE/DROP DATABASE cannot run in a transaction); accepts SQLAlchemy URLs."""
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    return psycopg.connect(conninfo, autocommit=True)


def _unprivileged(home: Path) -> list[str]:
    """The command prefix that runs the server as `postgres` when we are root (Postgres refuses root)."""
    if os.geteuid() != 0:
        return []
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        made = subprocess.run(["useradd", "--system", "postgres"], capture_output=True, text=True, check=False)
        if made.returncode != 0:
            pytest.fail("Postgres refuses to run as root and there is no `postgres` user to run it as; "
                        f"`useradd --system postgres` failed: {made.stderr.strip()}", pytrace=False)
        user = pwd.getpwnam("postgres")
    os.chown(home, user.pw_uid, user.pw_gid)
    return ["runuser", "-u", "postgres", "--"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(command: list[str], what: str, log: Path | None = None) -> None:
    """Run a server tool; a failure fails the test run with the tool's own words (and the server log)."""
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = done.stderr.strip() or done.stdout.strip()
        if log is not None and log.exists():
            detail += "\n" + log.read_text(errors="replace")[-2000:]
        pytest.fail(f"{what} failed (exit {done.returncode}): {detail}", pytrace=False)
