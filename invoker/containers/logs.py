"""Turning a container's output into OpenWhisk log lines (pure: no I/O, no clocks).

Three pieces, used by both factories:

- ``FrameDecoder`` splits Docker's multiplexed attach/log stream (8-byte header: stream byte,
  three zero bytes, big-endian payload size) into ``(stream, payload)`` frames;
  ``parse_json_file_line`` reads one line of Docker's json-file log driver.
- ``LineSplitter`` turns chunks of bytes per stream into whole ``LogLine``s.
- ``LogCollector`` decides what one activation's logs are: lines up to the sentinel on both
  streams, sentinels dropped, at most ``limit_bytes`` of stored lines, then OpenWhisk's
  truncation note.

Notes the collector adds (to stderr, like OpenWhisk):
``Logs were truncated because the total bytes size exceeds the limit of N bytes.`` when the
limit is hit, and ``There was an issue while collecting your logs. Data might be missing.`` when
the sentinels never came (``finish(incomplete=True)``).
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from invoker.containers.ports import CollectedLogs, LogLine
from whisk.entities.messages import LOG_FAILURE, truncate_logs

SENTINEL = "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX"
STDOUT = "stdout"
STDERR = "stderr"
STREAMS = (STDOUT, STDERR)
INCOMPLETE_NOTE = LOG_FAILURE
MAX_LINE_BYTES = 64 * 1024  # a longer line without a newline is cut into pieces of this size

_HEADER = struct.Struct(">BxxxL")
_STREAM_BY_BYTE = {0: "stdin", 1: STDOUT, 2: STDERR}


def rfc3339_nano(epoch_ns: int) -> str:
    """``2024-05-01T10:00:00.123456789Z`` from nanoseconds since the epoch."""
    seconds, nanos = divmod(epoch_ns, 1_000_000_000)
    return f"{_second(seconds)}.{nanos:09d}Z"


@lru_cache(maxsize=4)
def _second(seconds: int) -> str:
    """The formatted second, made once per second: every log line of a run needs it."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def parse_json_file_line(raw: bytes | str) -> LogLine:
    """One line of Docker's json-file driver: ``{"log": "text\\n", "stream": ..., "time": ...}``.
    Raises ``ValueError`` on anything else."""
    try:
        entry = json.loads(raw)
        text, stream, time = entry["log"], entry["stream"], entry["time"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not a json-file log line: {raw[:80]!r}") from exc
    if not isinstance(text, str) or stream not in STREAMS or not isinstance(time, str):
        raise ValueError(f"not a json-file log line: {raw[:80]!r}")
    return LogLine(time=time, stream=stream, text=text.removesuffix("\n"))


class FrameDecoder:
    """Feed bytes of a multiplexed stream; get back the complete frames seen so far."""

    def __init__(self) -> None:
        self._pending = bytearray()

    def feed(self, data: bytes) -> list[tuple[str, bytes]]:
        self._pending += data
        frames: list[tuple[str, bytes]] = []
        offset = 0
        pending = self._pending
        while len(pending) - offset >= _HEADER.size:
            kind, size = _HEADER.unpack_from(pending, offset)
            if kind not in _STREAM_BY_BYTE:
                raise ValueError(f"bad stream frame header: stream byte {kind}")
            end = offset + _HEADER.size + size
            if len(pending) < end:
                break
            frames.append((_STREAM_BY_BYTE[kind], bytes(pending[offset + _HEADER.size : end])))
            offset = end
        del pending[:offset]
        return frames

    @property
    def pending_bytes(self) -> int:
        return len(self._pending)


@dataclass
class LineSplitter:
    """Whole lines out of chunks per stream; ``flush`` emits unterminated tails (at EOF)."""

    max_line_bytes: int = MAX_LINE_BYTES
    _partial: dict[str, bytearray] = field(default_factory=dict)

    def feed(self, stream: str, data: bytes, time: str) -> list[LogLine]:
        buffer = self._partial.setdefault(stream, bytearray())
        buffer += data
        lines: list[LogLine] = []
        start = 0
        while True:
            newline = buffer.find(b"\n", start)
            if newline < 0:
                break
            lines.append(_line(time, stream, buffer[start:newline]))
            start = newline + 1
        while len(buffer) - start >= self.max_line_bytes:
            lines.append(_line(time, stream, buffer[start : start + self.max_line_bytes]))
            start += self.max_line_bytes
        del buffer[:start]
        return lines

    def flush(self, time: str) -> list[LogLine]:
        lines = [_line(time, s, bytes(b)) for s, b in self._partial.items() if b]
        self._partial.clear()
        return lines


def _line(time: str, stream: str, raw: bytes | bytearray) -> LogLine:
    text = bytes(raw).decode("utf-8", "replace").rstrip("\r")
    return LogLine(time=time, stream=stream, text=text)


def stored_size(line: LogLine) -> int:
    """What a line weighs against the log limit: its stored form in UTF-8 plus its newline
    (OpenWhisk weighs each log line as read, plus one byte for the newline), so the lines an
    activation keeps never add up to more than its limit."""
    return len(line.formatted().encode("utf-8")) + 1


@dataclass
class LogCollector:
    """One activation's logs. ``add`` each line in order until it returns True (the sentinel
    was seen on both streams), or until the caller stops waiting; then ``finish``.

    The limit counts ``stored_size`` of each kept line; the first line that would pass it is
    dropped with all after it, and OpenWhisk's truncation line ends the logs.

    Lines after the limit are still consumed (up to the sentinels) so the next activation
    starts clean, but not kept. ``limit_bytes == 0`` keeps nothing and adds no note.
    """

    limit_bytes: int
    lines: list[LogLine] = field(default_factory=list)
    size: int = 0
    truncated: bool = False
    seen: set[str] = field(default_factory=set)

    @property
    def done(self) -> bool:
        return len(self.seen) == len(STREAMS)

    def add(self, line: LogLine) -> bool:
        """Take one line; True when the activation's logs are complete."""
        text = line.text
        if text.endswith(SENTINEL):
            self.seen.add(line.stream)
            text = text.removesuffix(SENTINEL)
            if text:  # output without a final newline, glued to the sentinel
                self._keep(LogLine(line.time, line.stream, text))
            return self.done
        self._keep(line)
        return False

    def _keep(self, line: LogLine) -> None:
        if self.truncated or self.limit_bytes <= 0:
            return
        size = stored_size(line)
        if self.size + size > self.limit_bytes:
            self.truncated = True
            return
        self.size += size
        self.lines.append(line)

    def finish(self, time: str, incomplete: bool = False) -> CollectedLogs:
        """The collected logs, with OpenWhisk's notes; ``time`` stamps the notes."""
        lines = list(self.lines)
        if self.truncated:
            lines.append(LogLine(time, STDERR, truncate_logs(self.limit_bytes)))
        if incomplete and self.limit_bytes > 0:
            lines.append(LogLine(time, STDERR, INCOMPLETE_NOTE))
        return CollectedLogs(lines=lines, truncated=self.truncated, incomplete=incomplete)
