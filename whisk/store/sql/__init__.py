"""The SQL adapter of the store port (the only SQLAlchemy code in Whisk)."""

from whisk.store.sql.store import SqlStore

__all__ = ["SqlStore"]
