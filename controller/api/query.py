"""Query-parameter parsing with OpenWhisk's rules and messages (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from whisk.errors import InvalidArgument


@dataclass(frozen=True, slots=True)
class Page:
    skip: int
    limit: int
    count: bool


def parse_bool(query: Mapping[str, str], name: str, default: bool = False) -> bool:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.lower()
    if lowered in ("true", "yes", "1"):
        return True
    if lowered in ("false", "no", "0"):
        return False
    raise InvalidArgument(f"The value '{raw}' is not a boolean for parameter '{name}'.")


def parse_int(query: Mapping[str, str], name: str, collection: str) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidArgument(f"The value '{raw}' is not an integer for {collection}.") from None


def parse_page(
    query: Mapping[str, str], collection: str, default_limit: int, max_limit: int
) -> Page:
    skip = parse_int(query, "skip", collection)
    if skip is not None and skip < 0:
        raise InvalidArgument(f"The value '{skip}' is not in the range of 0 to ∞ for {collection}.")
    limit = parse_int(query, "limit", collection)
    if limit is None:
        limit = default_limit
    elif limit < 0 or limit > max_limit:
        raise InvalidArgument(
            f"The value '{limit}' is not in the range of 0 to {max_limit} for {collection}."
        )
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
