"""The log protocol: the sentinel line written to stdout and stderr after every activation."""

from __future__ import annotations

import sys
import threading

SENTINEL = "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX"


class SentinelWriter:
    """Flushes user output, then writes the sentinel line on both streams, one run at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def end_of_activation(self) -> None:
        line = SENTINEL + "\n"
        with self._lock:
            # User code may have swapped sys.stdout: flush what it wrote, then write the sentinel
            # on the process's real streams, which are the container's log streams.
            for current, real in ((sys.stdout, sys.__stdout__), (sys.stderr, sys.__stderr__)):
                for stream in dict.fromkeys((current, real)):
                    _flush(stream)
                if real is not None:
                    _write(real, line)


def _flush(stream: object) -> None:
    try:
        stream.flush()  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        # A closed or broken stream must not turn a finished run into a failure.
        return


def _write(stream: object, line: str) -> None:
    try:
        stream.write(line)  # type: ignore[attr-defined]
        stream.flush()  # type: ignore[attr-defined]
    except (OSError, ValueError):
        return


def redirect_to_fifos(directory: str) -> bool:
    """Send this process's stdout and stderr (and its children's) into the FIFOs named
    ``stdout`` and ``stderr`` that the invoker made in ``directory``, where it reads them
    directly instead of through the container engine. Streams without a FIFO are left alone.
    Returns whether anything was redirected."""
    import os
    import stat

    redirected = False
    for name, fd in (("stdout", 1), ("stderr", 2)):
        path = os.path.join(directory, name)
        try:
            if not stat.S_ISFIFO(os.stat(path).st_mode):
                continue
        except OSError:
            continue
        stream = sys.stdout if fd == 1 else sys.stderr
        _flush(stream)
        target = os.open(path, os.O_WRONLY)  # the invoker holds the read end open
        os.dup2(target, fd)
        os.close(target)
        redirected = True
    return redirected
