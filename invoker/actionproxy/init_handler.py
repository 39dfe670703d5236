"""``POST /init``: check the body, put the code on disk, load it once."""

from __future__ import annotations

import sys
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from . import errors
from .environment import init_environment
from .errors import ProxyError
from .executor import Executor
from .extractor import materialize


@dataclass(frozen=True)
class InitRequest:
    name: str
    main: str
    code: str | None
    binary: bool
    env: Mapping[str, str]

    @classmethod
    def from_message(cls, message: object) -> InitRequest:
        value = message.get("value") if isinstance(message, dict) else None
        if not isinstance(value, dict):
            raise ProxyError(403, errors.NO_CODE)
        code = value.get("code")
        if not isinstance(code, str) or not code:
            code = None
        main = value.get("main")
        return cls(
            name=str(value.get("name") or "action"),
            main=main if isinstance(main, str) and main else "main",
            code=code,
            binary=bool(value.get("binary", False)),
            env=init_environment(value.get("env")),
        )


class InitHandler:
    """Initialises the executor exactly once; a second /init is refused with 403."""

    def __init__(self, executor: Executor, work_root: Path | None = None) -> None:
        self._executor = executor
        self._work_root = work_root
        self._lock = threading.Lock()
        self._attempted = False
        self.ready = threading.Event()

    def handle(self, message: object) -> object:
        request = InitRequest.from_message(message)
        if request.code is None and self._executor.code_required:
            raise ProxyError(403, errors.NO_CODE)
        with self._lock:
            if self._attempted:
                raise ProxyError(403, errors.INIT_TWICE)
            self._attempted = True
            try:
                self._load(request)
            except ProxyError as exc:
                if self._executor.init_error is None:
                    raise
                print(exc.error, file=sys.stderr, flush=True)
                raise ProxyError(exc.status, self._executor.init_error) from exc
            self.ready.set()
        return {"ok": True}

    def _load(self, request: InitRequest) -> None:
        root = Path(tempfile.mkdtemp(prefix="action-", dir=self._work_root))
        if request.code is not None:
            materialize(request.code, request.binary, root, self._executor.source_name)
        self._executor.load(root, request.main, request.env)
