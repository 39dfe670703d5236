"""Metric families kept as plain dicts, rendered only when Prometheus scrapes.

The per-activation and per-request path is a dict lookup and an addition: no locks (one event
loop owns them), no label validation per call. ``collect`` turns them into
``prometheus_client`` families at scrape time.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

import structlog
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric

log = structlog.get_logger(__name__)

Labels = tuple[str, ...]
Reading = Iterable[tuple[Labels, float]]

# The Prometheus client's default buckets, as OpenWhisk's user-events histograms use them.
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)


class Family(Protocol):
    name: str

    def collect(self) -> Iterator[Metric]: ...


def _check_labels(labelnames: Labels, labels: Labels, name: str) -> None:
    if len(labels) != len(labelnames):
        raise ValueError(f"{name} takes labels {labelnames}, got {labels}")


class Counts:
    """Counters by label values. The exposed name is ``name`` exactly (OpenWhisk's
    ``openwhisk_action_status`` has no ``_total``)."""

    def __init__(self, name: str, documentation: str, labelnames: Labels) -> None:
        self.name, self.documentation, self.labelnames = name, documentation, labelnames
        self.values: dict[Labels, float] = {}

    def inc(self, labels: Labels, amount: float = 1.0) -> None:
        values = self.values
        values[labels] = values.get(labels, 0.0) + amount

    def collect(self) -> Iterator[Metric]:
        yield counter_family(self.name, self.documentation, self.labelnames, self.values.items())


class Gauges:
    """Gauges by label values, set on the hot path (``openwhisk_action_memory``)."""

    def __init__(self, name: str, documentation: str, labelnames: Labels) -> None:
        self.name, self.documentation, self.labelnames = name, documentation, labelnames
        self.values: dict[Labels, float] = {}

    def set(self, labels: Labels, value: float) -> None:
        self.values[labels] = value

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(self.name, self.documentation, labels=self.labelnames)
        for labels, value in self.values.items():
            family.add_metric(labels, value)
        yield family


class Histogram:
    """One series: per-bucket counts (not cumulative until rendered), sum and count."""

    __slots__ = ("bounds", "counts", "sum")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)  # the last one is +Inf
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.sum += value

    def cumulative(self) -> list[tuple[str, float]]:
        out, total = [], 0
        for bound, count in zip((*map(repr, self.bounds), "+Inf"), self.counts, strict=True):
            total += count
            out.append((bound, float(total)))
        return out


class Histograms:
    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: Labels,
        buckets: tuple[float, ...] = DEFAULT_BUCKETS,
    ) -> None:
        if list(buckets) != sorted(set(buckets)):
            raise ValueError(f"{name}: buckets must increase")
        self.name, self.documentation, self.labelnames = name, documentation, labelnames
        self.buckets = buckets
        self.series: dict[Labels, Histogram] = {}

    def of(self, labels: Labels) -> Histogram:
        series = self.series.get(labels)
        if series is None:
            _check_labels(self.labelnames, labels, self.name)
            series = self.series[labels] = Histogram(self.buckets)
        return series

    def observe(self, labels: Labels, value: float) -> None:
        self.of(labels).observe(value)

    def collect(self) -> Iterator[Metric]:
        family = HistogramMetricFamily(self.name, self.documentation, labels=self.labelnames)
        for labels, series in self.series.items():
            family.add_metric(labels, series.cumulative(), series.sum)
        yield family


class ScrapeTime:
    """Gauges or counters whose values ``read`` returns when Prometheus scrapes: the pool's
    containers, the balancer's invoker health, a queue's depth. Several readers may feed one
    family (standalone's controller and invoker both have consumers with a lag). A failing
    reader is logged and left out, so one broken reader never fails the scrape."""

    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: Labels,
        read: Callable[[], Reading],
        kind: str = "gauge",
    ) -> None:
        if kind not in ("gauge", "counter"):
            raise ValueError(f"{name}: a scrape-time family is a gauge or a counter, not {kind}")
        self.name, self.documentation, self.labelnames = name, documentation, labelnames
        self.readers, self.kind = [read], kind

    def add_reader(self, labelnames: Labels, read: Callable[[], Reading], kind: str) -> None:
        if labelnames != self.labelnames or kind != self.kind:
            raise ValueError(f"{self.name} is a {self.kind} with labels {self.labelnames}")
        self.readers.append(read)

    def collect(self) -> Iterator[Metric]:
        readings: list[tuple[Labels, float]] = []
        for read in self.readers:
            try:
                readings.extend(read())
            except Exception:
                log.exception("reading a metric failed", metric=self.name)
        if self.kind == "counter":
            yield counter_family(self.name, self.documentation, self.labelnames, readings)
            return
        family = GaugeMetricFamily(self.name, self.documentation, labels=self.labelnames)
        for labels, value in readings:
            family.add_metric(labels, value)
        yield family


def counter_family(name: str, documentation: str, labelnames: Labels, readings: Reading) -> Metric:
    """A counter family whose samples carry ``name`` as given (with or without ``_total``)."""
    family = Metric(name.removesuffix("_total"), documentation, "counter")
    for labels, value in readings:
        family.add_sample(name, dict(zip(labelnames, labels, strict=True)), value)
    return family
