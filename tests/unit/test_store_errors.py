"""Driver errors as Whisk errors (``whisk.store.sql.engine.translated``): a PostgreSQL server
going away or starting up is ``Unavailable`` (503), not an internal error (500)."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError

from whisk.errors import ConcurrentModification, InternalError, Unavailable
from whisk.store.sql.engine import translated


class DriverError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


@pytest.mark.parametrize("state", ["57P03", "57P01", "08006"])
def test_a_server_away_is_unavailable(state: str) -> None:
    with pytest.raises(Unavailable), translated():
        raise DriverError(state)  # raw, as asyncpg raises it from a new connection
    with pytest.raises(Unavailable), translated():
        raise DBAPIError("SELECT 1", None, DriverError(state))


def test_other_failures_keep_their_meaning() -> None:
    with pytest.raises(ConcurrentModification), translated():
        raise DBAPIError("UPDATE", None, DriverError("40001"))
    with pytest.raises(InternalError), translated():
        raise DBAPIError("SELECT", None, DriverError("42P01"))
    with pytest.raises(KeyError), translated():
        raise KeyError("not a driver error")
