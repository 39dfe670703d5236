"""Runs a native action: an executable started once per activation, as OpenWhisk's docker
skeleton (``openwhisk/dockerskeleton``, ``wsk --native``) runs it.

The code is an executable named ``exec``: a script with a shebang (plain text), or the ``exec``
file at the root of a zip (a script or a compiled program). With no code at all, the image's
own executable runs (``/action/exec``: an image made ``FROM openwhisk/dockerskeleton`` puts its
program there). Per run, the parameters go to the executable as JSON in its first argument
(when they fit in one: ``MAX_ARG_STRLEN``) and on its stdin; the action's ``__OW_*`` variables
are in its environment. The **last line of stdout** is the result, a JSON object or array;
every other line of stdout, and all of stderr, is copied to the proxy's own streams (the
activation's logs) once the program has exited. A last line that is not an object or an array
is a developer error with the skeleton's message; the exit code itself decides nothing (as in
the skeleton), but a non-zero one is noted in the logs.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from .errors import NOT_DICT, ProxyError
from .executor import Outcome

SOURCE_NAME = "exec"
DEFAULT_EXEC = "/action/exec"  # the image's own executable, run when no code was sent
MAX_ARG_STRLEN = 131071  # longer parameters come on stdin only (linux/binfmts.h)
INIT_FAILED = "The action failed to generate or locate a binary. See logs for details."


class NativeExecutor:
    source_name = SOURCE_NAME
    non_object_error = NOT_DICT
    code_required = False  # no code: the image's own executable
    init_error: str | None = INIT_FAILED  # every init failure answers this; details to the logs

    def __init__(self, default_exec: str | None = DEFAULT_EXEC) -> None:
        self._default = Path(default_exec) if default_exec else None
        self._exec: Path | None = None
        self._cwd: Path | None = None
        self._env: dict[str, str] = {}

    def load(self, root: Path, main: str, env: Mapping[str, str]) -> None:
        """Find the executable under ``root`` (``main`` is not used, as in the skeleton)."""
        target = root / SOURCE_NAME
        if not target.exists() and not any(root.iterdir()) and self._default is not None:
            target = self._default  # no code was sent
        if not target.is_file():
            raise ProxyError(502, f"There is no executable file '{SOURCE_NAME}' in the action.")
        if target.parent == root:
            # a text action is written without modes, and zips often lose them
            target.chmod(target.stat().st_mode | stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP)
        if not os.access(target, os.X_OK):
            raise ProxyError(502, f"The action's '{target.name}' is not executable.")
        self._exec, self._cwd, self._env = target, target.parent, dict(env)

    def run(self, value: object, env: Mapping[str, str]) -> Outcome:
        if self._exec is None:
            raise ProxyError(500, "no action defined yet")
        argument = json.dumps(value)
        argv = [str(self._exec)]
        if len(argument) <= MAX_ARG_STRLEN:
            argv.append(argument)
        try:
            child = subprocess.run(
                argv,
                input=argument.encode(),
                capture_output=True,
                cwd=self._cwd,
                env={**os.environ, **self._env, **env},
                check=False,
            )
        except OSError as exc:  # e.g. no shebang and not a program: "Exec format error"
            _log(sys.stdout, f"The action could not be started: {exc}\n")
            return Outcome(ok=False, result=NOT_DICT)
        logs, last = split_result(child.stdout.decode("utf-8", errors="replace"))
        _log(sys.stdout, logs)
        _log(sys.stderr, child.stderr.decode("utf-8", errors="replace"))
        if child.returncode != 0:
            _log(sys.stderr, f"The action exited with code {child.returncode}.\n")
        try:
            result = json.loads(last)
        except ValueError:
            result = None
        if isinstance(result, dict | list):
            return Outcome(ok=True, result=result)
        _log(sys.stdout, last + "\n")  # as the skeleton: the line that was not a result
        return Outcome(ok=False, result=NOT_DICT)

    def close(self) -> None:
        return None


def split_result(stdout: str) -> tuple[str, str]:
    """``(logs, last line)``: the last line of ``stdout`` (a trailing newline ends it, it does
    not start an empty one), stripped; the logs are everything before it, newline included."""
    cut = stdout.rfind("\n", 0, max(0, len(stdout) - 1))
    if cut == -1:
        return "", stdout.strip()
    return stdout[: cut + 1], stdout[cut + 1 :].strip()


def _log(stream: object, text: str) -> None:
    if not text:
        return
    try:
        stream.write(text)  # type: ignore[attr-defined]
        stream.flush()  # type: ignore[attr-defined]
    except (OSError, ValueError):
        return
