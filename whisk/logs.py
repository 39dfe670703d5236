"""structlog set-up: JSON lines in services, a console renderer in the CLI.

Ids (transaction, activation) are bound with ``structlog.contextvars.bind_contextvars`` at the
edge of a request and appear on every line logged while it is handled. Their keys are one
spelling everywhere: ``transid`` for the transaction id (OpenWhisk's name) and
``activation_id``.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Literal, TextIO

import structlog

LogFormat = Literal["json", "console"]


class SafePrintLogger(structlog.PrintLogger):
    """A ``PrintLogger`` whose failed writes are dropped and counted, never raised: a full
    disk (or a closed pipe) under the log must not fail the code that logs. Found by the fault
    suite: with an invoker's log disk full, every ``log`` call raised ``OSError`` and the
    activations in its hands never completed. The first line written after a loss says how
    many lines were dropped."""

    dropped = 0  # lines lost by every instance of this process (they share the file)

    def msg(self, message: str) -> None:
        try:
            if lost := SafePrintLogger.dropped:
                # a new line first: the last failed write may have stopped in mid-line
                super().msg(f'\n{{"event": "log lines dropped", "dropped": {lost}}}')
                SafePrintLogger.dropped = 0
            super().msg(message)
        except (OSError, ValueError):  # ValueError: the file was closed
            SafePrintLogger.dropped += 1

    log = debug = info = warn = warning = msg
    fatal = failure = err = error = critical = exception = msg


class SafePrintLoggerFactory:
    def __init__(self, file: TextIO) -> None:
        self._file = file

    def __call__(self, *args: Any) -> SafePrintLogger:
        return SafePrintLogger(self._file)


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
        logger_factory=SafePrintLoggerFactory(sys.stderr),
        # Once configured, a module's logger is built once (not on every call: the invoker
        # logs on its per-activation path). Configure before the first log line.
        cache_logger_on_first_use=True,
    )
