"""``POST /run``: one activation. Sets the ``__OW_*`` variables, calls the action, checks that
the result is a JSON object or array, and ends the activation's logs with the sentinel."""

from __future__ import annotations

import json
import threading

from . import errors
from .environment import run_environment
from .errors import ProxyError
from .executor import Executor
from .logs import SentinelWriter


class RunHandler:
    def __init__(
        self,
        executor: Executor,
        ready: threading.Event,
        sentinel: SentinelWriter,
        concurrency: int,
    ) -> None:
        self._executor = executor
        self._ready = ready
        self._sentinel = sentinel
        self._slots = threading.BoundedSemaphore(max(1, concurrency))

    def handle(self, message: object) -> bytes:
        """The JSON body of a 200 answer; failures raise ProxyError. Always ends the logs."""
        try:
            return self._run(message)
        finally:
            self._sentinel.end_of_activation()

    def _run(self, message: object) -> bytes:
        if not isinstance(message, dict):
            raise ProxyError(400, "The /run body must be a JSON object.")
        if not self._ready.is_set():
            raise ProxyError(500, errors.NOT_INITIALIZED)
        value = message.get("value", {})
        with self._slots:
            outcome = self._executor.run(value, run_environment(message))
        if not outcome.ok:
            raise ProxyError(502, outcome.result)
        if not isinstance(outcome.result, dict | list):
            raise ProxyError(502, self._executor.non_object_error)
        try:
            return json.dumps(outcome.result, ensure_ascii=False, allow_nan=False).encode()
        except (TypeError, ValueError) as exc:
            raise ProxyError(502, f"The action result is not valid JSON: {exc}") from exc
