"""Log lines through FIFOs in the socket directory (what the proxy's ``--log-dir`` writes)."""

from __future__ import annotations

import os
from pathlib import Path

from invoker.containers.fifo_logs import FifoLogs, make_fifos
from invoker.containers.log_buffer import LogBuffer
from invoker.containers.logs import SENTINEL

INVOKER_DIR = Path(__file__).resolve().parents[2] / "invoker"


async def test_fifo_lines_reach_the_buffer_up_to_the_sentinels(tmp_path: Path) -> None:
    make_fifos(tmp_path, None)
    logs, fifos = LogBuffer(), FifoLogs()
    await fifos.follow(tmp_path, logs)
    try:
        # what the proxy does: open the write ends and write an activation's output
        for name, text in (("stdout", "hello\n"), ("stderr", "oops\n")):
            fd = os.open(tmp_path / name, os.O_WRONLY)
            os.write(fd, f"{text}{SENTINEL}\n".encode())
            os.close(fd)  # our own write end keeps the reader from seeing end-of-file
        collected = await logs.collect(10 * 1024 * 1024, wait_for_sentinel=True)
        assert [(line.stream, line.text) for line in collected.lines] == [
            ("stdout", "hello"),
            ("stderr", "oops"),
        ]
        assert not collected.incomplete
    finally:
        fifos.close()


async def test_proxy_redirects_into_fifos(tmp_path: Path) -> None:
    import subprocess
    import sys

    make_fifos(tmp_path, None)
    logs, fifos = LogBuffer(), FifoLogs()
    await fifos.follow(tmp_path, logs)
    code = (
        "import sys\n"
        "from actionproxy.logs import SentinelWriter, redirect_to_fifos\n"
        f"assert redirect_to_fifos({str(tmp_path)!r})\n"
        "print('from the proxy')\n"
        "SentinelWriter().end_of_activation()\n"
    )
    try:
        done = subprocess.run(  # noqa: ASYNC221 (a short child, the readers are already armed)
            [sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(INVOKER_DIR)},
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert done.stdout == ""  # everything went to the FIFO
        collected = await logs.collect(1024 * 1024, wait_for_sentinel=True)
        assert [line.text for line in collected.lines] == ["from the proxy"]
    finally:
        fifos.close()
