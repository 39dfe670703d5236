"""Fixtures for the store behaviour suite: one ``store`` per implementation.

PostgreSQL is the real thing: ``WHISK_TEST_PG_URL`` if set, else the cluster that
``scripts/postgres.sh`` starts (once per session). When neither works the postgres cases skip,
except under ``CI=true`` where they fail. Each postgres test starts from empty tables: the
schema is rebuilt once per session (downgrade base, upgrade head) and truncated per test.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text

from whisk.store.memory import MemoryStore
from whisk.store.ports import Store
from whisk.store.sql import migrate
from whisk.store.sql.store import SqlStore
from whisk.store.sql.tables import metadata

REPO = Path(__file__).resolve().parents[2]
POSTGRES_SCRIPT = REPO / "scripts" / "postgres.sh"


def in_thread(fn: Callable[[], None]) -> None:
    """Alembic runs its own event loop; keep it off any loop running here."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(fn).result()


def unavailable(reason: str) -> None:
    """Skip on a laptop, fail in CI."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(f"PostgreSQL unavailable: {reason}")


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    """A PostgreSQL server URL (its schema untouched)."""
    url = os.environ.get("WHISK_TEST_PG_URL")
    if url:
        return url
    try:
        done = subprocess.run(
            [str(POSTGRES_SCRIPT)], capture_output=True, text=True, timeout=600, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        unavailable(f"{POSTGRES_SCRIPT} did not run: {exc}")
    if done.returncode != 0 or not done.stdout.strip():
        unavailable(f"{POSTGRES_SCRIPT} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def pg_url(pg_server_url: str) -> str:
    """The PostgreSQL URL with a freshly migrated schema (once per session)."""
    try:
        in_thread(lambda: migrate.downgrade(pg_server_url, "base"))
        in_thread(lambda: migrate.upgrade(pg_server_url, "head"))
    except Exception as exc:  # the server answered the script but not us
        unavailable(f"cannot migrate {pg_server_url}: {exc!r}")
    return pg_server_url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per session; each test gets a copy (Alembic is slow-ish)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "whisk.db"
    in_thread(lambda: migrate.upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


async def truncate_all(store: SqlStore) -> None:
    names = ", ".join(table.name for table in metadata.sorted_tables)
    async with store.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names}"))


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> AsyncIterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
        return
    if request.param == "sqlite":
        path = tmp_path / "whisk.db"
        await asyncio.to_thread(shutil.copyfile, sqlite_template, path)
        sql = SqlStore(f"sqlite+aiosqlite:///{path}")
    else:
        sql = SqlStore(request.getfixturevalue("pg_url"))
        await truncate_all(sql)
    try:
        yield sql
    finally:
        await sql.close()
