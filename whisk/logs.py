"""structlog set-up: JSON lines in services, a console renderer in the CLI.

Ids (transaction, activation) are bound with ``structlog.contextvars.bind_contextvars`` at the
edge of a request and appear on every line logged while it is handled. Their keys are one
spelling everywhere: ``transid`` for the transaction id (OpenWhisk's name) and
``activation_id``.
"""

from __future__ import annotations

import logging
import sys
from typing import Literal

import structlog

LogFormat = Literal["json", "console"]


def configure_logging(fmt: LogFormat = "json", level: str = "info") -> None:
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            # JSON needs the traceback as a string; the console renderer formats it itself
            *([structlog.processors.format_exc_info] if fmt == "json" else []),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
        ),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        # Once configured, a module's logger is built once (not on every call: the invoker
        # logs on its per-activation path). Configure before the first log line.
        cache_logger_on_first_use=True,
    )
