"""``whisk action run --local``: the action proxy without a server. Process mode everywhere;
Docker mode (the runtime images) is marked ``docker``: skipped without an engine on a laptop,
failing when CI=true (fixture ``docker_engine`` from tests/integration/conftest.py)."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cli.local import event_payload
from tests.cli.conftest import Wsk
from tests.integration.conftest import docker_engine  # noqa: F401 (a fixture)

LOG_LINE = re.compile(r"  \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z +(stdout|stderr): (.*)")
SAMPLE_DIR = Path(__file__).parent / "samples" / "src" / "hello"
ECHO_PY = 'def main(args):\n    print("got", sorted(args))\n    return {"args": args}\n'
ECHO_JS = 'function main(p) { console.error("node", Object.keys(p).length); return {args: p}; }\n'


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def _logs(stderr: str) -> list[tuple[str, str]]:
    found = (LOG_LINE.fullmatch(line) for line in stderr.splitlines())
    return [(m.group(1), m.group(2)) for m in found if m]


def _json_docs(text: str) -> list[Any]:
    decoder, docs, index = json.JSONDecoder(), [], 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        doc, index = decoder.raw_decode(text, index)
        docs.append(doc)
    return docs


# -- simulated events (pure) ---------------------------------------------------------------------

NOW = datetime(2024, 5, 1, 10, 0, 0, 123000, tzinfo=UTC)


def test_event_payload_alarm_spreads_trigger_payload_under_params() -> None:
    payload = event_payload("alarm", {"trigger_payload": {"job": "nightly"}, "x": 1}, NOW)
    assert payload == {
        "type": "alarm",
        "date": "2024-05-01T10:00:00.123Z",
        "job": "nightly",
        "x": 1,
    }


def test_event_payload_kafka_is_one_message_batch() -> None:
    (message,) = event_payload("kafka", {}, NOW)["messages"]
    assert set(message) == {"topic", "partition", "offset", "key", "value"}


def test_event_payload_http_params_override_the_request() -> None:
    payload = event_payload("http", {"__ow_method": "post", "name": "x"}, NOW)
    assert payload["__ow_method"] == "post"
    assert payload["__ow_path"] == ""
    assert payload["__ow_headers"]["host"] == "localhost"
    assert payload["name"] == "x"


def test_event_payload_none_is_the_params() -> None:
    assert event_payload(None, {"a": 1}, NOW) == {"a": 1}


# -- process mode --------------------------------------------------------------------------------


def test_local_run_python_prints_result_logs_and_duration(bare_wsk: Wsk, tmp_path: Path) -> None:
    path = _write(tmp_path, "echo.py", ECHO_PY)
    result = bare_wsk("action", "run", "--local", path, "--no-docker", "-p", "n", "5")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"args": {"n": 5}}
    lines = result.stderr.splitlines()
    assert lines[0] == "starting python runtime (process sandbox: no isolation)"
    assert _logs(result.stderr) == [("stdout", "got ['n']")]
    assert re.fullmatch(r"success in \d+(ms|s|\.\d+s) \(init \d+(ms|s|\.\d+s)\)", lines[-1])


def test_local_run_nodejs_with_an_event(bare_wsk: Wsk, tmp_path: Path) -> None:
    path = _write(tmp_path, "echo.js", ECHO_JS)
    result = bare_wsk("action", "run", "--local", path, "--no-docker", "--event", "alarm")
    assert result.exit_code == 0, result.output
    args = json.loads(result.stdout)["args"]
    assert args["type"] == "alarm"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", args["date"])
    assert (
        result.stderr.splitlines()[0] == "starting nodejs runtime (process sandbox: no isolation)"
    )
    assert _logs(result.stderr) == [("stderr", "node 2")]


def test_local_run_directory_with_kind(bare_wsk: Wsk) -> None:
    result = bare_wsk("action", "run", "--local", str(SAMPLE_DIR), "--kind", "python:3.11",
                      "--no-docker", "-p", "name", "Bob")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"text": "Hi, Bob"}


def test_local_run_application_error_exits_246(bare_wsk: Wsk, tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.py", 'def main(args):\n    return {"error": "bad input"}\n')
    result = bare_wsk("action", "run", "--local", path, "--no-docker")
    assert result.exit_code == 246
    assert json.loads(result.stdout) == {"error": "bad input"}
    assert result.stderr.splitlines()[-1] == "error: bad input"


def test_local_run_syntax_error_is_a_developer_error(bare_wsk: Wsk, tmp_path: Path) -> None:
    path = _write(tmp_path, "syntax.py", "def main(args)\n    return {}\n")
    result = bare_wsk("action", "run", "--local", path, "--no-docker")
    assert result.exit_code == 246
    assert "action developer error in" in result.stderr
    assert "SyntaxError" in json.loads(result.stdout)["error"]


def test_local_run_needs_local_flag(bare_wsk: Wsk, tmp_path: Path) -> None:
    result = bare_wsk("action", "run", _write(tmp_path, "a.py", ECHO_PY))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: Only --local runs are supported")


def test_local_run_watch_runs_again_when_the_file_changes(bare_wsk: Wsk, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    source = tmp_path / "watched.py"
    version = 'def main(args):\n    open(args["marker"], "a").write("x")\n    return {{"v": {}}}\n'
    source.write_text(version.format(1))

    def edit_after_first_run() -> None:
        for _ in range(1200):  # the first run writes the marker (at most 2 minutes)
            if marker.exists():
                break
            time.sleep(0.1)
        source.write_text(version.format(2))
        later = time.time() + 10
        os.utime(source, (later, later))

    editor = threading.Thread(target=edit_after_first_run)
    editor.start()
    try:
        result = bare_wsk("action", "run", "--local", str(source), "--no-docker", "--watch",
                          "--watch-runs", "2", "-p", "marker", str(marker))  # fmt: skip
    finally:
        editor.join()
    assert result.exit_code == 0, result.output
    assert _json_docs(result.stdout) == [{"v": 1}, {"v": 2}]
    assert f"{source} changed: running again" in result.stderr.splitlines()


# -- docker mode ---------------------------------------------------------------------------------


@pytest.mark.docker
@pytest.mark.parametrize(
    ("name", "text", "family", "log"),
    [("echo.py", ECHO_PY, "python", ("stdout", "got ['n']")),
     ("echo.js", ECHO_JS, "nodejs", ("stderr", "node 1"))],
)  # fmt: skip
def test_local_run_in_the_runtime_image(
    docker_engine: None,  # noqa: F811
    bare_wsk: Wsk,
    tmp_path: Path,
    name: str,
    text: str,
    family: str,
    log: tuple[str, str],
) -> None:
    path = _write(tmp_path, name, text)
    result = bare_wsk("action", "run", "--local", path, "--docker", "-p", "n", "5")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"args": {"n": 5}}
    image = "action-python-v3.11" if family == "python" else "action-nodejs-v20"
    first = result.stderr.splitlines()[0]
    assert first == f"starting {family} runtime (docker image whisk/{image}:latest)"
    assert _logs(result.stderr) == [log]
