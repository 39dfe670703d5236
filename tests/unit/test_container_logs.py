"""Container output -> OpenWhisk log lines: frames, json-file lines, line splitting, collection."""

from __future__ import annotations

import asyncio
import struct

import pytest

from invoker.containers.log_buffer import LogBuffer
from invoker.containers.logs import (
    INCOMPLETE_NOTE,
    SENTINEL,
    FrameDecoder,
    LineSplitter,
    LogCollector,
    parse_json_file_line,
    rfc3339_nano,
    stored_size,
)
from invoker.containers.ports import LogLine
from whisk.entities.messages import truncate_logs

T = "2024-05-01T10:00:00.000000001Z"


def frame(stream: int, payload: bytes) -> bytes:
    return struct.pack(">BxxxL", stream, len(payload)) + payload


def out(text: str) -> LogLine:
    return LogLine(T, "stdout", text)


def err(text: str) -> LogLine:
    return LogLine(T, "stderr", text)


# -- timestamps and json-file ---------------------------------------------------------------


def test_rfc3339_nano_keeps_nine_digits() -> None:
    assert rfc3339_nano(1_714_557_600_000_000_001) == "2024-05-01T10:00:00.000000001Z"
    assert rfc3339_nano(1_714_557_600_120_000_000) == "2024-05-01T10:00:00.120000000Z"


def test_rfc3339_nano_follows_the_second_back_and_forth() -> None:
    # the formatted second is cached: a later, then an earlier, then a far second again
    assert rfc3339_nano(1_714_557_601_000_000_000) == "2024-05-01T10:00:01.000000000Z"
    assert rfc3339_nano(1_714_557_600_999_999_999) == "2024-05-01T10:00:00.999999999Z"
    assert rfc3339_nano(0) == "1970-01-01T00:00:00.000000000Z"
    assert rfc3339_nano(1_714_557_601_500_000_000) == "2024-05-01T10:00:01.500000000Z"


def test_parse_json_file_line_reads_docker_entry() -> None:
    raw = b'{"log":"hello world\\n","stream":"stderr","time":"2024-05-01T10:00:00.5Z"}'

    assert parse_json_file_line(raw) == LogLine("2024-05-01T10:00:00.5Z", "stderr", "hello world")


@pytest.mark.parametrize(
    "raw",
    [b"not json", b'{"log": "x"}', b'{"log": 1, "stream": "stdout", "time": "t"}', b"[]"],
)
def test_parse_json_file_line_rejects_other_shapes(raw: bytes) -> None:
    with pytest.raises(ValueError):
        parse_json_file_line(raw)


def test_log_line_formatted_pads_time_like_openwhisk() -> None:
    assert out("hi").formatted() == f"{T:<30} stdout: hi"


# -- multiplexed frames ---------------------------------------------------------------------


def test_frame_decoder_splits_frames_of_both_streams() -> None:
    decoder = FrameDecoder()

    frames = decoder.feed(frame(1, b"a\n") + frame(2, b"b\n"))

    assert frames == [("stdout", b"a\n"), ("stderr", b"b\n")]


def test_frame_decoder_waits_for_a_frame_cut_across_chunks() -> None:
    data = frame(1, b"hello\n") + frame(2, b"oops\n")
    decoder = FrameDecoder()

    got = [f for i in range(len(data)) for f in decoder.feed(data[i : i + 1])]

    assert got == [("stdout", b"hello\n"), ("stderr", b"oops\n")]
    assert decoder.pending_bytes == 0


def test_frame_decoder_rejects_an_unknown_stream_byte() -> None:
    with pytest.raises(ValueError):
        FrameDecoder().feed(frame(7, b"x"))


# -- lines ----------------------------------------------------------------------------------


def test_line_splitter_joins_partial_lines_per_stream() -> None:
    splitter = LineSplitter()

    first = splitter.feed("stdout", b"hel", T)
    second = splitter.feed("stderr", b"e1\ne", T)
    third = splitter.feed("stdout", b"lo\nwor", T)
    tail = splitter.flush(T)

    assert first == []
    assert second == [err("e1")]
    assert third == [out("hello")]
    assert sorted(tail, key=lambda line: line.stream) == [err("e"), out("wor")]


def test_line_splitter_cuts_a_line_longer_than_the_maximum() -> None:
    splitter = LineSplitter(max_line_bytes=4)

    lines = splitter.feed("stdout", b"abcdefghij", T)

    assert [line.text for line in lines] == ["abcd", "efgh"]
    assert [line.text for line in splitter.flush(T)] == ["ij"]


def test_line_splitter_decodes_utf8_split_across_chunks() -> None:
    splitter = LineSplitter()
    data = "café\n".encode()

    lines = splitter.feed("stdout", data[:4], T) + splitter.feed("stdout", data[4:], T)

    assert lines == [out("café")]


# -- collecting one activation --------------------------------------------------------------


def test_collector_stops_at_sentinel_on_both_streams_and_drops_them() -> None:
    collector = LogCollector(limit_bytes=1000)

    done = [collector.add(line) for line in [out("a"), out(SENTINEL), err("b"), err(SENTINEL)]]

    assert done == [False, False, False, True]
    assert collector.finish(T).lines == [out("a"), err("b")]


def test_collector_keeps_text_glued_to_a_sentinel() -> None:
    collector = LogCollector(limit_bytes=1000)

    collector.add(out("no newline" + SENTINEL))

    assert collector.finish(T).lines == [out("no newline")]


def test_collector_truncates_at_limit_and_adds_openwhisk_note() -> None:
    # each line weighs its stored form plus a newline: 30 + 1 + "stdout: " + text + 1
    weight = len(out("12345").formatted()) + 1
    assert stored_size(out("12345")) == weight == 45
    collector = LogCollector(limit_bytes=2 * weight)

    for line in [out("12345"), out("67890"), out("x"), out(SENTINEL)]:
        collector.add(line)
    done = collector.add(err(SENTINEL))
    logs = collector.finish("now")

    assert done
    assert logs.truncated
    assert logs.lines == [
        out("12345"),
        out("67890"),
        LogLine(
            "now",
            "stderr",
            "Logs were truncated because the total bytes size exceeds the limit of 90 bytes.",
        ),
    ]


def test_collector_never_keeps_more_than_the_limit_of_stored_lines() -> None:
    limit = 10_000
    collector = LogCollector(limit_bytes=limit)

    for i in range(1000):
        collector.add(out(f"line {i:04d} " + "x" * 40))
    logs = collector.finish(T)

    kept = logs.lines[:-1]
    assert sum(len(line.formatted()) + 1 for line in kept) <= limit
    assert len(kept) == limit // stored_size(kept[0])  # cut at the limit, not before it
    assert logs.lines[-1].text == truncate_logs(limit)


def test_collector_counts_bytes_not_characters() -> None:
    weight = stored_size(out("éé"))
    assert weight == stored_size(out("ab")) + 2
    collector = LogCollector(limit_bytes=weight + 1)

    collector.add(out("éé"))
    collector.add(out(""))

    assert collector.finish(T).lines[:-1] == [out("éé")]  # then the truncation note


def test_collector_with_zero_limit_keeps_nothing_and_adds_no_note() -> None:
    collector = LogCollector(limit_bytes=0)

    for line in [out("a"), out(SENTINEL), err(SENTINEL)]:
        collector.add(line)
    logs = collector.finish(T, incomplete=True)

    assert logs.lines == []
    assert not logs.truncated


def test_collector_marks_incomplete_collection() -> None:
    collector = LogCollector(limit_bytes=100)
    collector.add(out("a"))

    logs = collector.finish("now", incomplete=True)

    assert logs.incomplete
    assert logs.lines == [out("a"), LogLine("now", "stderr", INCOMPLETE_NOTE)]


# -- the buffer between a reader and the collector --------------------------------------------


async def test_log_buffer_hands_each_activation_its_own_lines() -> None:
    buffer = LogBuffer()
    buffer.append([out("one"), out(SENTINEL), err(SENTINEL), out("two"), err(SENTINEL)])
    buffer.append([out(SENTINEL)])

    first = await buffer.collect(1000, wait_for_sentinel=True)
    second = await buffer.collect(1000, wait_for_sentinel=True)

    assert first.lines == [out("one")]
    assert second.lines == [out("two")]
    assert not first.incomplete and not second.incomplete


async def test_log_buffer_without_sentinel_returns_what_arrived() -> None:
    buffer = LogBuffer()
    buffer.append([out("a"), err("b")])

    logs = await buffer.collect(1000, wait_for_sentinel=False)

    assert logs.lines == [out("a"), err("b")]
    assert not logs.incomplete


async def test_log_buffer_waits_for_lines_written_later() -> None:
    buffer = LogBuffer()
    buffer.append([out("early")])
    collecting = asyncio.ensure_future(buffer.collect(1000, True))
    await asyncio.sleep(0)

    buffer.append([out("late"), out(SENTINEL), err(SENTINEL)])
    logs = await collecting

    assert logs.lines == [out("early"), out("late")]


async def test_log_buffer_incomplete_when_output_ends_before_sentinels() -> None:
    buffer = LogBuffer()
    buffer.append([out("a"), out(SENTINEL)])
    buffer.close()

    logs = await buffer.collect(1000, wait_for_sentinel=True)

    assert logs.incomplete
    assert logs.lines[:1] == [out("a")]
    assert logs.lines[-1].text == INCOMPLETE_NOTE


async def test_log_buffer_incomplete_when_idle_too_long() -> None:
    buffer = LogBuffer(idle_timeout_s=0.01)
    buffer.append([out("a")])

    logs = await buffer.collect(1000, wait_for_sentinel=True)

    assert logs.incomplete
    assert [line.text for line in logs.lines] == ["a", INCOMPLETE_NOTE]


async def test_log_buffer_second_collector_waits_for_the_first() -> None:
    # two runs in one container: the one that comes second gets the lines after the first's
    buffer = LogBuffer()
    buffer.append([out("one")])
    first = asyncio.ensure_future(buffer.collect(1000, True))
    await asyncio.sleep(0)
    second = asyncio.ensure_future(buffer.collect(1000, True))
    await asyncio.sleep(0)

    buffer.append([out(SENTINEL), err(SENTINEL), out("two"), out(SENTINEL), err(SENTINEL)])

    assert (await first).lines == [out("one")]
    assert (await second).lines == [out("two")]


async def test_log_buffer_without_waiting_behind_a_waiting_collector() -> None:
    buffer = LogBuffer()
    waiting = asyncio.ensure_future(buffer.collect(1000, True))
    await asyncio.sleep(0)
    peek = asyncio.ensure_future(buffer.collect(1000, wait_for_sentinel=False))
    await asyncio.sleep(0)

    buffer.append([out("a"), out(SENTINEL), err(SENTINEL), err("b")])

    assert (await waiting).lines == [out("a")]
    logs = await peek
    assert logs.lines == [err("b")]
    assert not logs.incomplete
