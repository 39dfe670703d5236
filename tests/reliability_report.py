"""Tables the reliability suite prints at the end of a run (fault table, load figures, hostile
actions, fuzzing): tests add rows with ``report``; ``tests/conftest.py`` prints every table in
pytest's terminal summary, so they show in CI's log without ``-s``."""

from __future__ import annotations

from collections.abc import Sequence

TABLES: dict[str, tuple[Sequence[str], list[Sequence[object]]]] = {}


def report(table: str, header: Sequence[str], row: Sequence[object]) -> None:
    """Add ``row`` to ``table`` (created with ``header`` on its first row)."""
    TABLES.setdefault(table, (header, []))[1].append(row)


def render(table: str) -> str:
    header, rows = TABLES[table]
    cells = [[str(c) for c in header]] + [[_cell(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells if i < len(r)) for i in range(len(header))]
    lines = [f"== {table} =="]
    for r in cells:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip())
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)
