"""Runs a Node.js action in a long-lived ``node launcher.js`` child.

Runs go to the child's stdin as JSON lines ``{"id", "msg"}``; results come back as JSON lines
on a pipe whose fd number the child gets in WHISK_RESULT_FD, matched by id, so several runs can
be in flight at once. The child's stdout and stderr are the proxy's own (the container's logs).
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from .errors import NOT_DICT_NODE, ProxyError
from .executor import Outcome

LAUNCHER = Path(__file__).with_name("launcher.js")
SOURCE_NAME = "index.js"


class _Waiter:
    __slots__ = ("event", "reply")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.reply: dict[str, object] | None = None


class NodeExecutor:
    source_name = SOURCE_NAME
    non_object_error = NOT_DICT_NODE
    code_required = True
    init_error: str | None = None

    def __init__(self, node: str = "node") -> None:
        self._node = node
        self._child: subprocess.Popen[bytes] | None = None
        self._results: object = None
        self._waiters: dict[int, _Waiter] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._exited: str | None = None

    def load(self, root: Path, main: str, env: Mapping[str, str]) -> None:
        entry = _entry_file(root)
        node = shutil.which(self._node)
        if node is None:
            raise ProxyError(502, f"The Node.js runtime ({self._node}) is not installed.")
        child_env = {**os.environ, **env, "WHISK_ACTION_ROOT": str(root), "WHISK_ACTION_MAIN": main}
        if entry is not None:
            child_env["WHISK_ACTION_FILE"] = entry
        read_fd, write_fd = os.pipe()
        child_env["WHISK_RESULT_FD"] = str(write_fd)
        try:
            self._child = subprocess.Popen(
                [node, str(LAUNCHER)],
                stdin=subprocess.PIPE,
                env=child_env,
                cwd=root,
                pass_fds=(write_fd,),
            )
        finally:
            os.close(write_fd)
        self._results = os.fdopen(read_fd, "rb")
        ack = self._read_line()
        if ack is None or not ack.get("ok"):
            error = ack.get("error") if ack else "The Node.js launcher exited during start-up."
            self.close()
            raise ProxyError(502, error)
        threading.Thread(target=self._read_results, name="node-results", daemon=True).start()

    def run(self, value: object, env: Mapping[str, str]) -> Outcome:
        child = self._child
        if child is None or child.stdin is None:
            raise ProxyError(500, "no action defined yet")
        msg = {key[len("__OW_") :].lower(): text for key, text in env.items()}
        msg["value"] = value  # type: ignore[assignment]
        waiter = _Waiter()
        with self._lock:
            if self._exited is not None:
                raise ProxyError(502, self._exited)
            run_id = next(self._ids)
            self._waiters[run_id] = waiter
            try:
                child.stdin.write(json.dumps({"id": run_id, "msg": msg}).encode() + b"\n")
                child.stdin.flush()
            except OSError as exc:
                self._waiters.pop(run_id, None)
                raise ProxyError(502, f"The Node.js launcher is gone: {exc}") from exc
        waiter.event.wait()
        reply = waiter.reply
        if reply is None:
            raise ProxyError(502, self._exited or "The Node.js launcher exited.")
        if reply.get("ok"):
            return Outcome(ok=True, result=reply.get("result"))
        return Outcome(ok=False, result=reply.get("error"))

    def close(self) -> None:
        child, self._child = self._child, None
        if child is not None:
            if child.stdin is not None:
                child.stdin.close()
            try:
                child.wait(timeout=2)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()

    def _read_line(self) -> dict[str, object] | None:
        line = self._results.readline()  # type: ignore[attr-defined]
        if not line:
            return None
        try:
            reply = json.loads(line)
        except ValueError:
            return {"ok": False, "error": "The Node.js launcher wrote an invalid result line."}
        return reply if isinstance(reply, dict) else None

    def _read_results(self) -> None:
        while True:
            reply = self._read_line()
            if reply is None:
                break
            with self._lock:
                waiter = self._waiters.pop(reply.get("id"), None)  # type: ignore[arg-type]
            if waiter is not None:
                waiter.reply = reply
                waiter.event.set()
        child = self._child
        code = child.wait() if child is not None else None
        with self._lock:
            self._exited = f"The Node.js launcher exited unexpectedly (exit code {code})."
            waiters, self._waiters = self._waiters, {}
        for waiter in waiters.values():
            waiter.event.set()
        print(self._exited, file=sys.stderr, flush=True)


def _entry_file(root: Path) -> str | None:
    """The file to require: ``index.js`` for a source action; a zip (package.json main or
    index.js) is required as a directory."""
    if (root / "package.json").is_file():
        return None
    if (root / SOURCE_NAME).is_file():
        return SOURCE_NAME
    raise ProxyError(502, "Zip file does not include mandatory files (package.json or index.js).")
