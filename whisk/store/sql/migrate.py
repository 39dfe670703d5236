"""Bring a database to the schema of ``tables.py`` with Alembic, from code.

The Alembic ``Config`` is built here with ``script_location`` pointing at the installed
``migrations`` package, so this works from any working directory and from a wheel. The
repository's alembic.ini serves the ``alembic`` command line only.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import structlog
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

import migrations

log = structlog.get_logger(__name__)


def script_location() -> Path:
    return Path(migrations.__file__).resolve().parent


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location()))
    # ConfigParser interpolation: a literal '%' (URL-encoded passwords) must be doubled.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def ensure_sqlite_dir(url: str) -> None:
    """Create the directory of a SQLite database file (no-op for other back ends)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return
    database = parsed.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def upgrade(url: str, revision: str = "head") -> None:
    """Blocking: runs its own event loop, so call it from a thread when one is running."""
    ensure_sqlite_dir(url)
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


async def migrate(url: str, revision: str = "head") -> None:
    """Upgrade without blocking (or clashing with) the running event loop."""
    log.info("migrating store", backend=make_url(url).get_backend_name(), revision=revision)
    await asyncio.to_thread(upgrade, url, revision)
