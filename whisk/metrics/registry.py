"""``Metrics``: one per process (standalone: one for its controller and its invoker), never a
module-level singleton. It holds OpenWhisk's per-action families, the system families the
controller and the invoker update, and the scrape-time readers they register.

Names, as OpenWhisk's user-events service has them (labels ``namespace``, ``initiator``,
``action``; ``kind`` and ``memory`` on the activations counter; ``status`` on the status one):

    openwhisk_action_activations_total   openwhisk_action_coldStarts_total
    openwhisk_action_status              openwhisk_action_memory (MB)
    openwhisk_action_duration_seconds    openwhisk_action_waitTime_seconds
    openwhisk_action_initTime_seconds    openwhisk_namespace_activations_total

and Whisk's own system figures (``whisk_*``): HTTP requests by route and status, throttled
requests by reason, plus whatever ``register_gauges`` / ``register_counters`` add (invoker
health, containers by state, pool memory, consumer lag, feed firings, queue depths).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.core import Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from whisk.entities.activation import Activation
from whisk.metrics.activations import ActionLabels, SeriesKey, labels_of, reading
from whisk.metrics.families import (
    DEFAULT_BUCKETS,
    Counts,
    Family,
    Gauges,
    Histogram,
    Histograms,
    Labels,
    Reading,
    ScrapeTime,
)

CONTENT_TYPE = CONTENT_TYPE_LATEST

ACTION = ("namespace", "initiator", "action")
ACTIVATION = (*ACTION, "kind", "memory")


class _Series:
    """Everything one action's recording touches, built on its first activation."""

    __slots__ = (
        "action",
        "activation",
        "duration",
        "init",
        "memory",
        "namespace",
        "statuses",
        "wait",
    )

    def __init__(self, metrics: Metrics, labels: ActionLabels) -> None:
        self.activation: Labels = tuple(labels)
        self.action: Labels = (labels.namespace, labels.initiator, labels.action)
        self.namespace: Labels = (labels.namespace,)
        self.memory = float(labels.memory)
        self.statuses: dict[str, Labels] = {}
        self.duration: Histogram = metrics.duration.of(self.action)
        self.wait: Histogram = metrics.wait_time.of(self.action)
        self.init: Histogram | None = None  # created on the first cold start, as OpenWhisk

    def status(self, status: str) -> Labels:
        labels = self.statuses.get(status)
        if labels is None:
            labels = self.statuses[status] = (*self.action, status)
        return labels


class Metrics:
    def __init__(self, *, process: bool = True, recording: bool = True) -> None:
        """``process``: add the client's process figures (CPU, memory, open files).
        ``recording=False`` (``WHISK_METRICS=off``): ``record_*`` do nothing and the
        controller installs no request-counting middleware; scrape-time figures remain."""
        self.recording = recording
        self._families: dict[str, Family] = {}
        self._series: dict[SeriesKey, _Series] = {}
        self.activations = self.counter(
            "openwhisk_action_activations_total", "Activations per action.", ACTIVATION
        )
        self.cold_starts = self.counter(
            "openwhisk_action_coldStarts_total", "Cold starts per action.", ACTION
        )
        self.status = self.counter(
            "openwhisk_action_status", "Activations per action and status.", (*ACTION, "status")
        )
        self.memory = self.gauge("openwhisk_action_memory", "Memory limit (MB).", ACTION)
        self.duration = self.histogram(
            "openwhisk_action_duration_seconds", "Run time of activations.", ACTION
        )
        self.wait_time = self.histogram(
            "openwhisk_action_waitTime_seconds", "Time activations waited to run.", ACTION
        )
        self.init_time = self.histogram(
            "openwhisk_action_initTime_seconds", "Initialisation time of cold starts.", ACTION
        )
        self.namespace_activations = self.counter(
            "openwhisk_namespace_activations_total", "Activations per namespace.", ("namespace",)
        )
        self.http_requests = self.counter(
            "whisk_http_requests_total",
            "HTTP requests by method, route (its pattern, not the URL) and status.",
            ("method", "route", "status"),
        )
        self.throttled = self.counter(
            "whisk_throttled_requests_total", "Requests refused with 429, by reason.", ("reason",)
        )
        self.registry = CollectorRegistry()
        self.registry.register(self)  # collect() is all it needs
        if process:
            ProcessCollector(registry=self.registry)

    # -- families -------------------------------------------------------------------------------

    def _add(self, family: Family) -> None:
        if family.name in self._families:
            raise ValueError(f"the metric {family.name} is already registered")
        self._families[family.name] = family

    def counter(self, name: str, documentation: str, labelnames: Labels) -> Counts:
        family = Counts(name, documentation, labelnames)
        self._add(family)
        return family

    def gauge(self, name: str, documentation: str, labelnames: Labels) -> Gauges:
        family = Gauges(name, documentation, labelnames)
        self._add(family)
        return family

    def histogram(
        self,
        name: str,
        documentation: str,
        labelnames: Labels,
        buckets: tuple[float, ...] = DEFAULT_BUCKETS,
    ) -> Histograms:
        family = Histograms(name, documentation, labelnames, buckets)
        self._add(family)
        return family

    def register_gauges(
        self, name: str, documentation: str, labelnames: Labels, read: Callable[[], Reading]
    ) -> None:
        """Gauges read at scrape time: ``read()`` returns ``(label values, value)`` pairs.
        Registering the same name again (same labels) adds a reader to that family."""
        self._scrape_time(name, documentation, labelnames, read, "gauge")

    def register_counters(
        self, name: str, documentation: str, labelnames: Labels, read: Callable[[], Reading]
    ) -> None:
        """Counters kept elsewhere (a plain dict of counts), read at scrape time."""
        self._scrape_time(name, documentation, labelnames, read, "counter")

    def _scrape_time(
        self,
        name: str,
        documentation: str,
        labelnames: Labels,
        read: Callable[[], Reading],
        kind: str,
    ) -> None:
        family = self._families.get(name)
        if isinstance(family, ScrapeTime):
            family.add_reader(labelnames, read, kind)
        else:
            self._add(ScrapeTime(name, documentation, labelnames, read, kind))

    def collect(self) -> Iterator[Metric]:
        for family in list(self._families.values()):
            yield from family.collect()

    # -- recording ------------------------------------------------------------------------------

    def record_activation(self, activation: Activation) -> None:
        """The figures of one completed activation record (a pending one adds nothing)."""
        if not self.recording:
            return
        read = reading(activation)
        if read is None:
            return
        series = self._series.get(read.key)
        if series is None:
            series = self._series[read.key] = _Series(self, labels_of(read.key))
            self.memory.set(series.action, series.memory)
        self.activations.inc(series.activation)
        self.namespace_activations.inc(series.namespace)
        self.status.inc(series.status(read.status))
        series.duration.observe(read.duration_s)
        series.wait.observe(read.wait_s)
        if read.init_s is not None:
            self.cold_starts.inc(series.action)
            if series.init is None:
                series.init = self.init_time.of(series.action)
            series.init.observe(read.init_s)

    def record_request(self, method: str, route: str, status: int) -> None:
        if not self.recording:
            return
        self.http_requests.inc((method, route, str(status)))

    def record_throttle(self, reason: str) -> None:
        self.throttled.inc((reason,))

    # -- exposition -----------------------------------------------------------------------------

    def exposition(self) -> bytes:
        """The Prometheus text format (0.0.4) of every family and the process figures."""
        text = generate_latest(self.registry)
        # The client names a counter's HELP/TYPE lines ``<name>_total``; OpenWhisk's
        # ``openwhisk_action_status`` has no suffix, so its lines must say so.
        return text.replace(b" openwhisk_action_status_total ", b" openwhisk_action_status ")
