"""Driver errors translated into Whisk's, and SQLite's lock settings (see runner.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import structlog
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

from whisk.errors import ConcurrentModification, InternalError, Unavailable, WhiskError

log = structlog.get_logger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000
# PostgreSQL serialization failure and deadlock: the transaction lost to a concurrent one.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})


@contextmanager
def translated() -> Iterator[None]:
    """Driver failures as Whisk errors; IntegrityError passes (the caller knows the conflict)."""
    try:
        yield
    except WhiskError:
        raise
    except IntegrityError:
        raise  # the caller knows which conflict it means
    except (OperationalError, InterfaceError, OSError, TimeoutError) as exc:
        log.warning("store unavailable", error=str(exc))
        raise Unavailable() from exc
    except DBAPIError as exc:
        if _sqlstate(exc) in RETRYABLE_SQLSTATES:
            log.info("store conflict", sqlstate=_sqlstate(exc))
            raise ConcurrentModification() from exc
        log.error("store failure", error=str(exc))
        raise InternalError(f"store failure: {exc.__class__.__name__}") from exc


def _sqlstate(exc: DBAPIError) -> str | None:
    orig = exc.orig
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
