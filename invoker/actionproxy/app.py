"""Routes of the proxy: ``POST /init`` and ``POST /run``; every answer is JSON."""

from __future__ import annotations

import json
from pathlib import Path

from .errors import ProxyError
from .executor import Executor
from .init_handler import InitHandler
from .logs import SentinelWriter
from .run_handler import RunHandler


class ProxyApp:
    def __init__(self, executor: Executor, concurrency: int, work_root: Path | None = None) -> None:
        self.executor = executor
        self._init = InitHandler(executor, work_root)
        self._run = RunHandler(executor, self._init.ready, SentinelWriter(), concurrency)

    def dispatch(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        """Answer one request: (status, JSON body)."""
        route = path.split("?", 1)[0]
        try:
            if route not in ("/init", "/run"):
                raise ProxyError(404, f"Not found: {route}")
            if method != "POST":
                raise ProxyError(405, f"Method not allowed: {method}")
            message = _parse(body)
            if route == "/run":
                return 200, self._run.handle(message)
            return 200, json.dumps(self._init.handle(message)).encode()
        except ProxyError as exc:
            return exc.status, _error_body(exc.error)

    def close(self) -> None:
        self.executor.close()


def _parse(body: bytes) -> object:
    try:
        return json.loads(body) if body else {}
    except ValueError as exc:
        raise ProxyError(400, f"The request body is not valid JSON: {exc}") from exc


def _error_body(error: object) -> bytes:
    try:
        return json.dumps({"error": error}, ensure_ascii=False, allow_nan=False).encode()
    except (TypeError, ValueError):
        return json.dumps({"error": str(error)}).encode()
