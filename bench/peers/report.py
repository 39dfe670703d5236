"""Pure formatting of the bench's figures: the machine line, one line per peer and round,
and the two tables (ratios to the floor of the same round; absolute values), as medians
over the rounds."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from stats import median

FLOOR = "aiohttp"
Round = dict[str, dict[str, float]]


def cpu_model() -> str:
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                return text.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def machine(when: str) -> str:
    one, five, fifteen = os.getloadavg()
    return (
        f"machine ({when}): {os.cpu_count()} cores, {cpu_model()}, "
        f"load average {one:.2f} {five:.2f} {fifteen:.2f}"
    )


def round_lines(figures: Round, order: Sequence[str]) -> list[str]:
    out = []
    for name in order:
        f = figures[name]
        text = (
            f"  {name:<18} p50 {f['p50']:7.2f} ms  p99 {f['p99']:7.2f} ms  "
            f"32 clients {f['rate32']:7.0f}/s"
        )
        if "completed" in f:
            text += f"  accepted {f['accepted']:6.0f}/s -> completed {f['completed']:6.0f}/s"
        if "fanout" in f:
            text += f"  fan-out {f['fanout']:6.0f} rule activations/s"
        out.append(text)
    return out


# (column, the peer's figure, the floor's figure it is divided by)
COLUMNS: list[tuple[str, str, str]] = [
    ("warm blocking p50, 1 client", "p50", "p50"),
    ("p99, 1 client", "p99", "p50"),
    ("32 clients, blocking", "rate32", "rate32"),
    ("non-blocking accepted -> completed", "completed", "rate32"),
    ("trigger fan-out, rule activations", "fanout", "rate32"),
]


def _median_of(rounds: Sequence[Round], name: str, pick: Callable[[Round], float]) -> float | None:
    values = [pick(r) for r in rounds if name in r]
    return median(values) if values else None


def _table(rounds: Sequence[Round], labels: dict[str, str], cell: Callable[..., str]) -> list[str]:
    names = [n for n in labels if any(n in r for r in rounds)]
    used = [c for c in COLUMNS if any(c[1] in r.get(n, {}) for r in rounds for n in names)]
    out = [
        "| same function, same client, one run | " + " | ".join(c[0] for c in used) + " |",
        "|---" * (len(used) + 1) + "|",
    ]
    for name in names:
        cells = []
        for _, key, floor_key in used:
            if not all(key in r.get(name, {key: 0}) for r in rounds):
                cells.append("-")
                continue
            cells.append(cell(rounds, name, key, floor_key))
        out.append(f"| {labels[name]} | " + " | ".join(cells) + " |")
    return out


def ratio_table(rounds: Sequence[Round], labels: dict[str, str]) -> list[str]:
    """Each figure divided by the floor's in the same round: latencies (p50 and p99) as x the
    hop, the floor's 1-client p50 (lower is better); rates as x the floor's 32-client rate
    (higher is better)."""

    def cell(rounds: Sequence[Round], name: str, key: str, floor_key: str) -> str:
        value = _median_of(rounds, name, lambda r: r[name][key] / r[FLOOR][floor_key])
        return "-" if value is None else f"{value:.2f}x"

    return [
        "ratios to the bare aiohttp floor of the same round (latency, p50 and p99: x the "
        "floor's 1-client p50, the hop, lower is better; throughput: x the floor's 32-client "
        "rate, higher is better)",
        *_table(rounds, labels, cell),
    ]


def value_table(rounds: Sequence[Round], labels: dict[str, str]) -> list[str]:
    def cell(rounds: Sequence[Round], name: str, key: str, floor_key: str) -> str:
        value = _median_of(rounds, name, lambda r: r[name][key])
        if value is None:
            return "-"
        return f"{value:.2f} ms" if key in ("p50", "p99") else f"{value:,.0f} /s"

    return ["absolute figures (noisy on a shared machine)", *_table(rounds, labels, cell)]
