"""Prometheus metrics with OpenWhisk's user-event names (``registry.Metrics``, one per
process), recorded from completed activation records and read by scrape-time collectors."""

from whisk.metrics.activations import ActionLabels, ActivationFigures, figures_of
from whisk.metrics.families import Reading
from whisk.metrics.registry import CONTENT_TYPE, Metrics

__all__ = [
    "CONTENT_TYPE",
    "ActionLabels",
    "ActivationFigures",
    "Metrics",
    "Reading",
    "figures_of",
]
