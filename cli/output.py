"""What wsk prints: ``ok:`` lines, 4-space JSON, list tables and the activation table.

Formatting is pure (``*_row``, ``to_json``, ``activation_table``); ``ok``/``show_json``/
``show_list`` write to stdout through click (colour is dropped when not a terminal)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

import click

from cli.params import annotation_value

ACTION_KEYS = (
    "namespace",
    "name",
    "version",
    "exec",
    "annotations",
    "parameters",
    "limits",
    "publish",
    "updated",
)
ACTIVATION_KEYS = (
    "namespace",
    "name",
    "version",
    "subject",
    "activationId",
    "cause",
    "start",
    "end",
    "duration",
    "statusCode",
    "response",
    "logs",
    "annotations",
    "publish",
)
STATUS_TEXT = ("success", "application error", "developer error", "internal error")
STATUS_FILTER = ("success", "application-error", "developer-error", "internal-error", "pending")


def to_json(value: Any, *, sort_keys: bool = False) -> str:
    return json.dumps(value, indent=4, ensure_ascii=False, sort_keys=sort_keys)


def ordered(doc: Any, keys: Sequence[str]) -> Any:
    """``doc`` with ``keys`` first in that order (typed records keep wsk's struct order)."""
    if not isinstance(doc, dict):
        return doc
    out = {k: doc[k] for k in keys if k in doc}
    out.update({k: v for k, v in doc.items() if k not in out})
    return out


def ok(text: str) -> None:
    click.echo(f"{click.style('ok:', fg='green')} {text}")


def bold(text: str) -> str:
    return click.style(text, bold=True)


def show_json(value: Any, *, sort_keys: bool = False, err: bool = False) -> None:
    click.echo(to_json(value, sort_keys=sort_keys), err=err)


def present_list(
    rows: list[dict[str, Any]],
    *,
    header: str,
    as_json: bool,
    name_sort: bool,
    render: Callable[[list[dict[str, Any]]], Iterable[str]],
    sort_key: Callable[[dict[str, Any]], Any] = lambda e: str(e.get("name")),
) -> None:
    """A list as wsk prints it (table, optionally sorted by name), or the raw JSON."""
    if as_json:
        show_json(rows)
        return
    show_list(header, render(sorted(rows, key=sort_key) if name_sort else rows))


def show_list(header: str, rows: Iterable[str]) -> None:
    click.echo(bold(header))
    for row in rows:
        click.echo(row)


# -- list rows -------------------------------------------------------------------------------


def fq(entity: dict[str, Any]) -> str:
    return f"/{entity.get('namespace', '')}/{entity.get('name', '')}"


def publish_state(entity: dict[str, Any]) -> str:
    return "shared" if entity.get("publish") else "private"


def action_row(action: dict[str, Any]) -> str:
    kind = annotation_value(action.get("annotations"), "exec", "")
    return f"{fq(action):<70} private {kind}"


def package_row(package: dict[str, Any]) -> str:
    return f"{fq(package):<70} {publish_state(package)}"


def trigger_row(trigger: dict[str, Any]) -> str:
    return f"{fq(trigger):<70} private"


def rule_row(rule: dict[str, Any], status: str = "") -> str:
    return f"{fq(rule):<70} {'private':<20} {status}".rstrip()


# -- activations -----------------------------------------------------------------------------


def go_duration(ms: int) -> str:
    """Milliseconds as Go's ``time.Duration`` prints them (``0s``, ``12ms``, ``1.5s``, ``2m3s``)."""
    if ms == 0:
        return "0s"
    if ms < 1000:
        return f"{ms}ms"
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds = f"{rest / 1000:.3f}".rstrip("0").rstrip(".")
    text = f"{seconds}s"
    if hours or minutes:
        text = f"{minutes}m{text}"
    if hours:
        text = f"{hours}h{text}"
    return text


def truncate(text: str, limit: int) -> str:
    """Longer than ``limit``: keep both ends with ``...`` in the middle, as wsk does."""
    if len(text) <= limit:
        return text
    head = limit // 2 + (limit % 2)
    tail = len(text) - limit // 2 + 3
    return text[:head] + "..." + text[tail:]


def status_of(summary: dict[str, Any]) -> str:
    """The filter word for a summary's ``statusCode`` (none while pending)."""
    code = summary.get("statusCode")
    if not isinstance(code, int):
        return "pending"
    return STATUS_FILTER[code] if 0 <= code < 4 else STATUS_FILTER[0]


def _status_text(summary: dict[str, Any]) -> str:
    code = summary.get("statusCode")
    if not isinstance(code, int):
        return "pending"
    return STATUS_TEXT[code] if 0 < code < 4 else STATUS_TEXT[0]


def activation_table(summaries: Sequence[dict[str, Any]]) -> list[str]:
    """``activation list`` lines: header, then one row per summary (local time of ``start``)."""
    rows = []
    for a in summaries:
        notes = a.get("annotations")
        kind = annotation_value(notes, "kind") or "unknown"
        start = "cold" if annotation_value(notes, "initTime") is not None else "warm"
        duration = go_duration(int(a.get("duration") or 0))
        when = datetime.fromtimestamp(int(a.get("start", 0)) / 1000).strftime("%Y-%m-%d %H:%M:%S")
        entity = (
            f"{truncate(str(a.get('namespace', '')), 20)}/"
            f"{truncate(str(a.get('name', '')), 30)}:{truncate(str(a.get('version', '')), 20)}"
        )
        rows.append(
            (when, str(a.get("activationId", "")), kind, start, duration, _status_text(a), entity)
        )
    kind_w = max([len("Kind"), *(len(r[2]) for r in rows)])
    status_w = max([len("Status"), *(len(r[5]) for r in rows)])

    def line(cells: Sequence[str]) -> str:
        return (
            f"{cells[0]:<19} {cells[1]:<32} {cells[2]:<{kind_w}} {cells[3]:<5} "
            f"{cells[4]:<10} {cells[5]:<{status_w}} {cells[6]}"
        )

    header = ("Datetime", "Activation ID", "Kind", "Start", "Duration", "Status", "Entity")
    return [line(header)] + [line(r) for r in rows]


# -- usage (metering) ------------------------------------------------------------------------

USAGE_HEADER = ("activations", "billed ms", "GB-seconds", "cold starts", "errors")


def _usage_cells(figures: dict[str, Any]) -> str:
    return (
        f"{figures.get('activations', 0):>12} {figures.get('billedMs', 0):>14} "
        f"{float(figures.get('gbSeconds', 0)):>16.6f} {figures.get('coldStarts', 0):>12} "
        f"{figures.get('errors', 0):>8}"
    )


def _usage_line(label: str, cells: str, width: int) -> str:
    return f"{label:<{width}} {cells}"


def usage_window(since: int | None, upto: int | None) -> str:
    if since is None and upto is None:
        return "all time"
    return " ".join(
        part
        for part in (
            f"since {since}" if since is not None else "",
            f"upto {upto}" if upto is not None else "",
        )
        if part
    )


def usage_table(
    label: str, rows: Sequence[tuple[str, dict[str, Any]]], total: dict[str, Any] | None
) -> list[str]:
    """A usage table: one line per (name, figures), then the total when given. GB-seconds
    are shown to 1e-6 (the figures in ``--json`` are exact)."""
    names = [name for name, _ in rows]
    width = max([len(label), len("total"), *(len(n) for n in names)]) + 2
    header = (
        f"{USAGE_HEADER[0]:>12} {USAGE_HEADER[1]:>14} {USAGE_HEADER[2]:>16} "
        f"{USAGE_HEADER[3]:>12} {USAGE_HEADER[4]:>8}"
    )
    lines = [bold(_usage_line(label, header, width))]
    lines += [_usage_line(name, _usage_cells(figures), width) for name, figures in rows]
    if total is not None:
        lines.append(_usage_line("total", _usage_cells(total), width))
    return lines
