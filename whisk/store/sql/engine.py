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
# The server going away or coming back: connection exceptions (class 08) and operator
# intervention (57P01 shut down by the administrator, 57P02 crash shutdown, 57P03 "the
# database system is starting up"). Found by the fault suite: a PostgreSQL restart gave a 500.
UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "57P")


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
        state = _sqlstate(exc)
        if state in RETRYABLE_SQLSTATES:
            log.info("store conflict", sqlstate=state)
            raise ConcurrentModification() from exc
        if exc.connection_invalidated or _server_away(state):
            log.warning("store unavailable", sqlstate=state, error=str(exc))
            raise Unavailable() from exc
        log.error("store failure", error=str(exc))
        raise InternalError(f"store failure: {exc.__class__.__name__}") from exc
    except Exception as exc:
        # the driver's own error when a new connection is refused (asyncpg raises
        # CannotConnectNowError through SQLAlchemy's pool unwrapped)
        state = getattr(exc, "sqlstate", None)
        if _server_away(state if isinstance(state, str) else None):
            log.warning("store unavailable", sqlstate=state, error=str(exc))
            raise Unavailable() from exc
        raise


def _sqlstate(exc: DBAPIError) -> str | None:
    orig = exc.orig
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def _server_away(sqlstate: str | None) -> bool:
    return sqlstate is not None and sqlstate.startswith(UNAVAILABLE_SQLSTATE_PREFIXES)
