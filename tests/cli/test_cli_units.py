"""The CLI's pure parts: names, values, kinds, config precedence and output shapes."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from cli import config as cfg
from cli.artifacts import ExecFlags, build_exec, infer_kind, saved_code
from cli.hints import hint_for
from cli.names import QualifiedName, parse_name
from cli.output import action_row, activation_table, go_duration, rule_row, truncate
from cli.params import parse_value, web_annotations
from whisk.errors import InvalidArgument


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello", QualifiedName("_", "hello")),
        ("pkg/hello", QualifiedName("_", "hello", "pkg")),
        ("/guest/hello", QualifiedName("guest", "hello")),
        ("/guest/pkg/hello", QualifiedName("guest", "hello", "pkg")),
        ("guest/pkg/hello", QualifiedName("guest", "hello", "pkg")),
    ],
)
def test_parse_name_reads_wsk_forms(text: str, expected: QualifiedName) -> None:
    assert parse_name(text, "_") == expected


def test_parse_name_refuses_empty_parts_and_packages_where_not_allowed() -> None:
    for bad in ("", "/", "a//b", "/only", "a/b/c/d"):
        with pytest.raises(InvalidArgument):
            parse_name(bad, "_")
    with pytest.raises(InvalidArgument):
        parse_name("pkg/trigger", "_", allow_package=False)


def test_parse_value_takes_json_when_it_parses_else_the_string() -> None:
    assert parse_value("5") == 5
    assert parse_value('{"a": [1]}') == {"a": [1]}
    assert parse_value("true") is True
    assert parse_value("hello world") == "hello world"


def test_web_annotations_follow_wsk_values() -> None:
    assert web_annotations("yes") == {"web-export": True, "raw-http": False, "final": True}
    assert web_annotations("raw") == {"web-export": True, "raw-http": True, "final": True}
    assert web_annotations("no") == {"web-export": False, "raw-http": False, "final": False}
    with pytest.raises(InvalidArgument):
        web_annotations("maybe")


def test_infer_kind_from_extension_and_refuses_zip_without_kind() -> None:
    assert infer_kind("a/b/hello.py") == "python:default"
    assert infer_kind("hello.js") == "nodejs:default"
    with pytest.raises(InvalidArgument, match="--kind"):
        infer_kind("bundle.zip")
    with pytest.raises(InvalidArgument, match="not a supported action runtime"):
        infer_kind("notes.txt")


def test_build_exec_sends_zips_as_base64(tmp_path: Path) -> None:
    archive = tmp_path / "bundle.zip"
    archive.write_bytes(b"PK\x03\x04binary\x00")
    exec_ = build_exec(ExecFlags(str(archive), kind="python:default"), "_")
    encoded = base64.b64encode(archive.read_bytes()).decode()
    assert exec_ == {"kind": "python:default", "code": encoded}


def test_build_exec_sequences_docker_and_no_change() -> None:
    seq = build_exec(ExecFlags("a, pkg/b,/other/c", sequence=True), "_")
    assert seq == {"kind": "sequence", "components": ["/_/a", "/_/pkg/b", "/other/c"]}
    assert build_exec(ExecFlags(None, docker="me/img:1"), "_") == {
        "kind": "blackbox",
        "image": "me/img:1",
    }
    assert build_exec(ExecFlags(None), "_") is None
    with pytest.raises(InvalidArgument):
        build_exec(ExecFlags(None, kind="python:3.11", docker="me/img"), "_")


def test_build_exec_native_is_the_skeleton_with_the_file_as_code(tmp_path: Path) -> None:
    script = tmp_path / "hello.sh"
    script.write_text('#!/bin/sh\necho \'{"ok": true}\'\n')
    archive = tmp_path / "hello.zip"
    archive.write_bytes(b"PK\x03\x04exec\x00")

    text = build_exec(ExecFlags(str(script), native=True), "_")
    zipped = build_exec(ExecFlags(str(archive), native=True), "_")

    assert text == {
        "kind": "blackbox",
        "image": "openwhisk/dockerskeleton",
        "code": script.read_text(),
    }
    assert zipped == {
        "kind": "blackbox",
        "image": "openwhisk/dockerskeleton",
        "code": base64.b64encode(archive.read_bytes()).decode(),
    }


def test_build_exec_native_needs_a_file_and_no_other_kind(tmp_path: Path) -> None:
    program = tmp_path / "hello"
    program.write_bytes(b"\x7fELF\x02\x01\x01\x00\xff\xfe")
    with pytest.raises(InvalidArgument, match="needs an executable"):
        build_exec(ExecFlags(None, native=True), "_")
    with pytest.raises(InvalidArgument, match="cannot be combined"):
        build_exec(ExecFlags(str(program), native=True, docker="me/img"), "_")
    with pytest.raises(InvalidArgument, match="named exec"):
        build_exec(ExecFlags(str(program), native=True), "_")


@pytest.mark.parametrize(
    ("given", "url"),
    [
        ("localhost:3233", "http://localhost:3233"),
        ("127.0.0.1:3233", "http://127.0.0.1:3233"),
        ("whisk.example.com", "https://whisk.example.com"),
        ("http://whisk.example.com:8080/", "http://whisk.example.com:8080"),
        ("https://localhost:3233", "https://localhost:3233"),
    ],
)
def test_host_url_adds_the_scheme_as_wsk(given: str, url: str) -> None:
    assert cfg.host_url(given) == url


def test_resolve_prefers_flags_then_environment_then_props() -> None:
    props = {"APIHOST": "props:1", "AUTH": "p:k", "NAMESPACE": "ns-props"}
    env = {"WHISK_AUTH": "e:k", "WHISK_NAMESPACE": "ns-env", "HOME": "/h"}
    resolved = cfg.resolve(props, env, cfg.Flags(apihost="flag:2"))
    assert (resolved.apihost, resolved.auth, resolved.namespace) == ("flag:2", "e:k", "ns-env")
    assert resolved.props_file == Path("/h/.wskprops")
    assert cfg.resolve({}, {"HOME": "/h"}, cfg.Flags()).namespace == "_"


def test_props_path_honours_wsk_config_file_even_when_empty() -> None:
    assert cfg.props_path({"WSK_CONFIG_FILE": "/x/props", "HOME": "/h"}) == Path("/x/props")
    assert cfg.props_path({"WSK_CONFIG_FILE": "", "HOME": "/h"}) is None


def test_list_rows_have_wsk_widths() -> None:
    action = {"namespace": "guest", "name": "hello",
              "annotations": [{"key": "exec", "value": "nodejs:20"}]}  # fmt: skip
    assert action_row(action) == "/guest/hello".ljust(70) + " private nodejs:20"
    assert rule_row({"namespace": "guest", "name": "r"}, "active") == (
        "/guest/r".ljust(70) + " " + "private".ljust(20) + " active"
    )


def test_go_duration_and_truncate_match_wsk() -> None:
    assert [go_duration(ms) for ms in (0, 12, 1500, 61_000, 3_600_000)] == [
        "0s", "12ms", "1.5s", "1m1s", "1h0m0s",
    ]  # fmt: skip
    assert truncate("abcdefghij", 20) == "abcdefghij"
    assert truncate("abcdefghijklmnopqrstuvwxyz", 10) == "abcde...yz"


def test_activation_table_columns_and_status_words() -> None:
    rows = [
        {"activationId": "a" * 32, "namespace": "guest", "name": "x", "version": "0.0.1",
         "start": 0, "duration": 12, "statusCode": 1,
         "annotations": [{"key": "kind", "value": "python:3.11"},
                         {"key": "initTime", "value": 3}]},
        {"activationId": "b" * 32, "namespace": "guest", "name": "y", "version": "0.0.2",
         "start": 0, "annotations": []},
    ]  # fmt: skip
    header, first, second = activation_table(rows)
    assert header.split() == ["Datetime", "Activation", "ID", "Kind", "Start", "Duration",
                              "Status", "Entity"]  # fmt: skip
    assert first.split()[2:] == ["a" * 32, "python:3.11", "cold", "12ms", "application",
                                 "error", "guest/x:0.0.1"]  # fmt: skip
    assert second.split()[2:] == ["b" * 32, "unknown", "warm", "0s", "pending", "guest/y:0.0.2"]
    assert header.index("Start") == first.index("cold")


def test_hints_name_the_next_step() -> None:
    assert "whisk action update" in (hint_for(409, "create", "action") or "")
    assert "whisk trigger list" in (hint_for(404, "get", "trigger") or "")
    assert "whisk property set --auth" in (hint_for(401, "list", "action") or "")
    assert hint_for(400, "create", "action") is None


@pytest.mark.parametrize(
    ("exec_doc", "expected"),
    [
        ({"kind": "nodejs:20", "code": "x"}, ("act.js", b"x")),
        ({"kind": "python:3.11", "code": "y"}, ("act.py", b"y")),
        ({"kind": "java:8", "code": "AAE=", "binary": True}, ("act.jar", b"\x00\x01")),
        ({"kind": "python:3.11", "code": "AAE=", "binary": True}, ("act.zip", b"\x00\x01")),
        ({"kind": "cobol:1", "code": "z"}, ("act.txt", b"z")),
        ({"kind": "blackbox", "image": "i", "code": "#!/bin/sh"}, ("act", b"#!/bin/sh")),
        ({"kind": "blackbox", "code": "AAE=", "binary": True}, ("act.zip", b"\x00\x01")),
    ],
)
def test_saved_code_names_the_file_by_kind(exec_doc: dict, expected: tuple[str, bytes]) -> None:
    assert saved_code(exec_doc, "act") == expected


@pytest.mark.parametrize(
    ("exec_doc", "message"),
    [
        ({"kind": "sequence", "components": []}, "Cannot save action sequences."),
        ({"kind": "blackbox", "image": "i"}, "Cannot save Docker images."),
        ({"kind": "python:3.11", "code": "%%%", "binary": True}, "not valid base64"),
    ],
)
def test_saved_code_refuses_what_has_no_code(exec_doc: dict, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        saved_code(exec_doc, "act")
