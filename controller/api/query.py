"""Query-parameter parsing with OpenWhisk's rules and messages (pure).

A value that does not parse, the empty value included, answers 400 with OpenWhisk's framing,
``The query parameter '<name>' was malformed:\\n<why>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from whisk.entities import messages as ow
from whisk.errors import InvalidArgument

_TRUE = "true"
_FALSE = "false"


@dataclass(frozen=True, slots=True)
class Page:
    skip: int
    limit: int
    count: bool


def malformed(name: str, why: str) -> InvalidArgument:
    return InvalidArgument(ow.malformed_query(name, why))


def parse_bool(query: Mapping[str, str], name: str, default: bool = False) -> bool:
    """``true`` or ``false`` in any case (the served document's enum; ``True`` is what Python
    clients send); absent is ``default``. Anything else, the empty value included, is a 400:
    a flag that does not say what it means is not guessed at."""
    raw = query.get(name)
    if raw is None:
        return default
    lowered = raw.lower()
    if lowered == _TRUE:
        return True
    if lowered == _FALSE:
        return False
    raise malformed(name, f"'{raw}' is not a valid Boolean value")


INT64_MAX = 2**63 - 1  # what the stores hold (OpenWhisk's Long): beyond it is not a number here


def _int(raw: str) -> int | None:
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if -INT64_MAX - 1 <= value <= INT64_MAX else None


def parse_int(query: Mapping[str, str], name: str, collection: str) -> int | None:
    raw = query.get(name)
    if raw is None:
        return None
    value = _int(raw)
    if value is None:
        raise malformed(name, ow.argument_not_integer(collection, raw))
    return value


def parse_epoch(query: Mapping[str, str], name: str) -> int | None:
    """``since`` / ``upto``: epoch milliseconds (OpenWhisk's text says seconds)."""
    raw = query.get(name)
    if raw is None:
        return None
    value = _int(raw)
    if value is None or value < 0:
        raise malformed(name, ow.bad_epoch(raw))
    return value


def parse_timeout(query: Mapping[str, str], max_ms: int) -> int | None:
    """The invoke ``timeout``: an integer of milliseconds in 1..``max_ms``."""
    raw = query.get("timeout")
    if raw is None:
        return None
    value = _int(raw)
    if value is None or not 0 < value <= max_ms:
        raise malformed("timeout", ow.invalid_timeout(max_ms))
    return value


def parse_page(
    query: Mapping[str, str], collection: str, default_limit: int, max_limit: int
) -> Page:
    skip = parse_int(query, "skip", collection)
    if skip is not None and skip < 0:
        raise malformed("skip", ow.list_skip_out_of_range(collection, skip))
    limit = parse_int(query, "limit", collection)
    if limit is None:
        limit = default_limit
    elif limit < 0 or limit > max_limit:
        raise malformed("limit", ow.list_limit_out_of_range(collection, limit, max_limit))
    elif limit == 0:
        limit = max_limit
    return Page(skip or 0, limit, parse_bool(query, "count"))


def parse_window(query: Mapping[str, str], collection: str) -> tuple[int | None, int | None]:
    """``since`` and ``upto`` (epoch ms, inclusive, each optional) of a time window."""
    since = parse_int(query, "since", collection)
    upto = parse_int(query, "upto", collection)
    for name, value in (("since", since), ("upto", upto)):
        if value is not None and value < 0:
            raise InvalidArgument(
                f"The value '{value}' is not in the range of 0 to ∞ for parameter '{name}'."
            )
    if since is not None and upto is not None and since > upto:
        raise InvalidArgument(f"The parameter 'since' ({since}) is after 'upto' ({upto}).")
    return since, upto
