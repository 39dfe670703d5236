"""Runs a Python action inside the proxy process: the code is executed once in a fresh module,
then ``main(value)`` is called for each run, in the thread that serves the request.

In-process calls cost no IPC per run; concurrent runs (``--concurrency`` > 1) are concurrent
threads. ``__OW_*`` variables live in ``os.environ``, which the process shares: with several
runs at once each sees the values of the latest run started (as in OpenWhisk's runtimes).
"""

from __future__ import annotations

import asyncio
import inspect
import os
import site
import sys
import threading
import traceback
import types
from collections.abc import Callable, Mapping
from pathlib import Path

from .errors import NOT_DICT, ProxyError
from .executor import Outcome

MODULE_NAME = "__whisk_action__"
SOURCE_NAME = "__main__.py"


class PythonExecutor:
    source_name = SOURCE_NAME
    non_object_error = NOT_DICT
    code_required = True
    init_error: str | None = None

    def __init__(self) -> None:
        self._main: Callable[[object], object] | None = None
        self._env_lock = threading.Lock()
        self._run_keys: set[str] = set()

    def load(self, root: Path, main: str, env: Mapping[str, str]) -> None:
        """Import the action under ``root``; raise ProxyError(502) when it cannot be loaded."""
        os.environ.update(env)
        entry = root / SOURCE_NAME
        if not entry.is_file():
            raise ProxyError(502, "Zip file does not include mandatory files (__main__.py).")
        for site_packages in sorted(root.glob("virtualenv/lib/python*/site-packages")):
            site.addsitedir(str(site_packages))
        sys.path.insert(0, str(root))
        os.chdir(root)
        module = types.ModuleType(MODULE_NAME)
        module.__file__ = str(entry)
        sys.modules[MODULE_NAME] = module
        try:
            code = compile(entry.read_text(encoding="utf-8"), str(entry), "exec")
            exec(code, module.__dict__)
        except BaseException as exc:
            traceback.print_exc()
            reason = _describe(exc)
            if not isinstance(exc, SyntaxError):
                reason = f"{type(exc).__name__}: {reason}"
            raise ProxyError(502, f"Initialization has failed due to: {reason}") from exc
        function = getattr(module, main, None)
        if not callable(function):
            raise ProxyError(502, f"The action has no function named '{main}'.")
        self._main = function

    def run(self, value: object, env: Mapping[str, str]) -> Outcome:
        if self._main is None:
            raise ProxyError(500, "no action defined yet")
        self._set_run_env(env)
        try:
            result = self._main(value)
            if inspect.isawaitable(result):
                result = asyncio.run(_await(result))
        except Exception as exc:
            # as OpenWhisk's Python launcher: the traceback to the logs and {"error": str(exc)}
            # as the result, which the invoker records as an application error
            print(traceback.format_exc(), file=sys.stderr)
            return Outcome(ok=True, result={"error": str(exc)})
        except BaseException as exc:  # SystemExit too: the process must stay up.
            traceback.print_exc()
            return Outcome(ok=False, result=_describe(exc))
        return Outcome(ok=True, result=result)

    def close(self) -> None:
        return None

    def _set_run_env(self, env: Mapping[str, str]) -> None:
        with self._env_lock:
            for key in self._run_keys - env.keys():
                os.environ.pop(key, None)
            os.environ.update(env)
            self._run_keys = set(env)


async def _await(awaitable: object) -> object:
    return await awaitable  # type: ignore[misc]


def _describe(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, SystemExit):
        return f"The action called exit ({exc.code})."
    if isinstance(exc, SyntaxError):
        return f"{type(exc).__name__}: {exc.msg} ({exc.filename}, line {exc.lineno})"
    return text if text else type(exc).__name__
