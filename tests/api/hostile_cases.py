"""Hostile requests for tests/api/test_hostile_input.py, by category: each must be refused with a
4xx in OpenWhisk's ``{"error", "code"}`` shape and write nothing. Paths are sent as written
(percent-encoded, never normalised by the client)."""

from __future__ import annotations

import base64
import io
import os
import stat
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

NS = "/api/v1/namespaces/_"
PY = "def main(args):\n    return args\n"
MB = 1024 * 1024


@dataclass(frozen=True)
class Hostile:
    label: str
    method: str
    path: str
    body: Any = None  # sent as JSON unless raw is given
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    statuses: tuple[int, ...] = ()  # the exact 4xx expected, when it matters


def action(exec_: Any = None, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"exec": exec_ or {"kind": "python:3.11", "code": PY}}
    body.update(fields)
    return body


# -- entity names ------------------------------------------------------------------------------
BAD_NAMES = {
    "empty after a space": "%20",
    "leading space": "%20a",
    "trailing space": "a%20",
    "dot-dot, encoded": "%2E%2E",
    "slash, encoded": "a%2Fb",
    "NUL": "a%00b",
    "newline": "a%0Ab",
    "markup": "%3Cscript%3E",
    "257 characters": "a" * 257,
    "leading dash": "-a",
    "leading at": "@a",
    "percent": "a%25",
    "emoji": "%F0%9F%92%A9",
    "a letter outside ASCII": "%C3%BD",
    "a digit outside ASCII": "%C2%BE",
    "invalid UTF-8": "%C0%AF",
    "backslash": "a%5Cb",
}


def names() -> list[Hostile]:
    cases = []
    for label, name in BAD_NAMES.items():
        cases += [
            Hostile(f"action {label}", "PUT", f"{NS}/actions/{name}", action()),
            Hostile(f"package {label}", "PUT", f"{NS}/packages/{name}", {}),
            Hostile(f"trigger {label}", "PUT", f"{NS}/triggers/{name}", {}),
            Hostile(f"action in package {label}", "PUT", f"{NS}/actions/{name}/a", action()),
            Hostile(f"namespace {label}", "PUT", f"/api/v1/namespaces/{name}/actions/a", action()),
        ]
    return [
        *cases,
        Hostile("package named default", "PUT", f"{NS}/packages/default", {}, statuses=(400,)),
        Hostile("another's namespace", "PUT", "/api/v1/namespaces/other/actions/a", action()),
        Hostile("rule naming a missing trigger", "PUT", f"{NS}/rules/r",
                {"trigger": "t", "action": "a"}),
        Hostile("rule trigger with ..", "PUT", f"{NS}/rules/r", {"trigger": "../t", "action": "a"}),
        Hostile("sequence of a missing action", "PUT", f"{NS}/actions/s",
                action({"kind": "sequence", "components": ["/_/nope"]})),
        Hostile("sequence component with 4 parts", "PUT", f"{NS}/actions/s",
                action({"kind": "sequence", "components": ["/a/b/c/d"]})),
    ]  # fmt: skip


# -- query parameters -------------------------------------------------------------------------
def parameters() -> list[Hostile]:
    lists = [
        "skip=-1",
        "skip=abc",
        "skip=1e3",
        "skip=99999999999999999999",
        "skip=",
        "limit=201",
        "limit=-1",
        "limit=1.5",
        "count=maybe",
        "count=1",
        "count=",
    ]
    invoke = [
        "timeout=0",
        "timeout=-5",
        "timeout=abc",
        "timeout=999999999",
        "blocking=yes",
        "blocking=",
        "result=2",
    ]
    activations = [
        "since=-1",
        "since=abc",
        "upto=1.5",
        "since=99999999999999999999",
        "name=../x",
        "name=a/b/c",
        "name=",
        "docs=true&count=true",
        "since=5&upto=1",
    ]
    return [
        *(Hostile(f"list {q}", "GET", f"{NS}/actions?{q}") for q in lists),
        *(Hostile(f"invoke {q}", "POST", f"{NS}/actions/a?{q}", {}) for q in invoke),
        *(Hostile(f"activations {q}", "GET", f"{NS}/activations?{q}") for q in activations),
        Hostile("usage since > upto", "GET", f"{NS}/usage?since=5&upto=1"),
        Hostile("put overwrite=1", "PUT", f"{NS}/actions/a?overwrite=1", action()),
        Hostile("put overwrite=", "PUT", f"{NS}/triggers/t?overwrite=", {}),
        Hostile("delete force=2", "DELETE", f"{NS}/packages/p?force=2"),
        Hostile("activation id not hex", "GET", f"{NS}/activations/..%2F..%2Fetc"),
    ]  # fmt: skip


# -- annotations, parameters and the other fields of a PUT -------------------------------------
BAD_KEY_VALUES: dict[str, Any] = {
    "a string": "k=v",
    "an object": {"k": "v"},
    "a number in the list": [1],
    "no key": [{"value": 1}],
    "empty key": [{"key": "", "value": 1}],
    "numeric key": [{"key": 5, "value": 1}],
    "init not a Boolean": [{"key": "a", "value": 1, "init": "yes"}],
    "over 1 MiB": [{"key": "big", "value": "x" * (MB + 1)}],
}


def annotations() -> list[Hostile]:
    cases = []
    for label, value in BAD_KEY_VALUES.items():
        for field_name in ("annotations", "parameters"):
            cases += [
                Hostile(f"action {field_name} {label}", "PUT", f"{NS}/actions/a",
                        action(**{field_name: value})),
                Hostile(f"trigger {field_name} {label}", "PUT", f"{NS}/triggers/t",
                        {field_name: value}),
                Hostile(f"package {field_name} {label}", "PUT", f"{NS}/packages/p",
                        {field_name: value}),
            ]  # fmt: skip
    fields: dict[str, dict[str, Any]] = {
        "rate-limit not an object": {"annotations": [{"key": "rate-limit", "value": "fast"}]},
        "delAnnotations a string": {"delAnnotations": "a"},
        "delAnnotations numbers": {"delAnnotations": [1]},
        "version 1": {"version": "1"},
        "version a.b.c": {"version": "a.b.c"},
        "version a number": {"version": 5},
        "publish a string": {"publish": "yes"},
        "limits a list": {"limits": []},
        "memory 1 MB": {"limits": {"memory": 1}},
        "memory 99999 MB": {"limits": {"memory": 99999}},
        "memory true": {"limits": {"memory": True}},
        "memory 10^40": {"limits": {"memory": 10**40}},
        "timeout a string": {"limits": {"timeout": "1"}},
        "logs -1": {"limits": {"logs": -1}},
        "concurrency 0": {"limits": {"concurrency": 0}},
    }
    cases += [
        Hostile(f"action {k}", "PUT", f"{NS}/actions/a", action(**v)) for k, v in fields.items()
    ]
    execs: dict[str, Any] = {
        "exec a string": "print(1)",
        "unknown kind": {"kind": "cobol", "code": PY},
        "kind a number": {"kind": 5, "code": PY},
        "no code": {"kind": "python:3.11"},
        "code a number": {"kind": "python:3.11", "code": 5},
        "main a number": {"kind": "python:3.11", "code": PY, "main": 5},
        "blackbox without image": {"kind": "blackbox"},
        "components a string": {"kind": "sequence", "components": "a"},
        "no components": {"kind": "sequence", "components": []},
    }
    cases += [
        Hostile(f"action {k}", "PUT", f"{NS}/actions/a", {"exec": v}) for k, v in execs.items()
    ]
    return [
        *cases,
        Hostile("action without exec", "PUT", f"{NS}/actions/a", {}),
        Hostile("rule status bogus", "POST", f"{NS}/rules/r", {"status": "on"}),
    ]


# -- zip payloads ------------------------------------------------------------------------------
def zip_of(
    *entries: tuple[zipfile.ZipInfo | str, bytes], level: int = zipfile.ZIP_DEFLATED
) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", level) as archive:
        for info, data in entries:
            archive.writestr(info, data)
    return buf.getvalue()


def declared_size(data: bytes, size: int) -> bytes:
    """The archive with its first central-directory entry declaring ``size`` unpacked bytes."""
    at = data.index(b"PK\x01\x02") + 24
    return data[:at] + struct.pack("<I", size) + data[at + 4 :]


def symlink(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


def encrypted(data: bytes) -> bytes:
    """The archive with its last central-directory entry flagged as encrypted."""
    at = data.rindex(b"PK\x01\x02") + 8
    flags = struct.unpack("<H", data[at : at + 2])[0] | 0x1
    return data[:at] + struct.pack("<H", flags) + data[at + 2 :]


def zips() -> list[Hostile]:
    main = ("__main__.py", PY.encode())
    valid = zip_of(main)
    archives: dict[str, Callable[[], bytes]] = {
        "bomb: 9 x 64 MiB of zeros": lambda: zip_of(
            main, *((f"z{i}", bytes(64 * MB)) for i in range(9))
        ),
        "bomb: an entry declaring 4 GiB": lambda: declared_size(valid, 0xFFFFFFF0),
        "bomb: 50,001 entries": lambda: zip_of(
            main, *((f"e{i}", b"") for i in range(50_001)), level=zipfile.ZIP_STORED
        ),
        "traversal ../../etc/x": lambda: zip_of(main, ("../../etc/x", b"x")),
        "traversal a/../../x": lambda: zip_of(main, ("a/../../x", b"x")),
        "absolute /etc/passwd": lambda: zip_of(main, ("/etc/passwd", b"x")),
        "backslash ..\\..\\x": lambda: zip_of(main, ("..\\..\\x", b"x")),
        "drive C:/x": lambda: zip_of(main, ("C:/x", b"x")),
        "symlink to /etc/passwd": lambda: zip_of(main, symlink("link", "/etc/passwd")),
        "encrypted entry": lambda: encrypted(zip_of(main, ("secret", b"x"))),
        "truncated zip": lambda: valid[: len(valid) // 2 // 3 * 3],
        "random bytes": lambda: os.urandom(3000),
    }
    cases = [
        Hostile(
            f"zip {label}",
            "PUT",
            f"{NS}/actions/z",
            {
                "exec": {
                    "kind": "python:3.11",
                    "code": base64.b64encode(make()).decode(),
                    "binary": True,
                }
            },
            # 50,001 entries meet the test app's 4 MiB request limit first (413); the entry
            # count itself is checked in tests/unit/test_archive.py
            statuses=(400, 413),
        )
        for label, make in archives.items()
    ]
    return [
        *cases,
        Hostile("blackbox with a traversal zip", "PUT", f"{NS}/actions/z",
                {"exec": {"kind": "blackbox", "image": "x/y",
                          "code": base64.b64encode(zip_of(("../x", b"x"))).decode()}},
                statuses=(400,)),
        Hostile("four base64 letters as binary", "PUT", f"{NS}/actions/z",
                {"exec": {"kind": "python:3.11", "code": "AAAA", "binary": True}}, statuses=(400,)),
    ]  # fmt: skip


# -- bodies ------------------------------------------------------------------------------------
def bodies(max_request_bytes: int) -> list[Hostile]:
    json_ = {"Content-Type": "application/json"}
    raw: dict[str, bytes] = {
        "unclosed object": b"{",
        "unclosed array": b"[1,",
        "nul": b"nul",
        "trailing garbage": b'{"exec": {}}x',
        "byte order mark": b"\xef\xbb\xbf{}",
        "invalid UTF-8": b'{"exec": {"kind": "python:3.11", "code": "\xff\xfe"}}',
        "lone surrogate": b'{"exec": {"kind": "python:3.11", "code": "\\ud800"}}',
        "NaN": b'{"limits": {"memory": NaN}}',
        "1e400": b'{"exec": {"kind": "python:3.11", "code": "x"}, "limits": {"memory": 1e400}}',
        "nested 100,000 deep": b"[" * 100_000 + b"]" * 100_000,
        "nested in exec": b'{"exec": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        "NUL in the code": b'{"exec": {"kind": "python:3.11", "code": "x\\u0000"}}',
        "NUL in an annotation key": b'{"exec": {"kind": "python:3.11", "code": "x"}, '
        b'"annotations": [{"key": "\\u0000", "value": 1}]}',
        "a JSON array": b"[1, 2]",
        "a JSON string": b'"action"',
        "a JSON number": b"5",
    }
    cases = [
        Hostile(f"body {k}", "PUT", f"{NS}/actions/b", raw=v, headers=json_) for k, v in raw.items()
    ]
    code = PY.encode()
    typed = {
        "text/xml": b"<action><exec/></action>",
        "text/plain": b'{"exec": {"kind": "python:3.11", "code": "x"}}',
        "multipart/form-data; boundary=x": b"--x\r\n\r\n" + code + b"\r\n--x--",
        "image/png": b"\x89PNG\r\n",
    }
    cases += [
        Hostile(f"content type {t}", "PUT", f"{NS}/actions/b", raw=v, headers={"Content-Type": t},
                statuses=(415,))
        for t, v in typed.items()
    ]  # fmt: skip
    return [
        *cases,
        Hostile("body over the request limit", "PUT", f"{NS}/actions/b",
                raw=b" " * (max_request_bytes + 1), headers=json_, statuses=(413,)),
        Hostile("invoke nested 100,000 deep", "POST", f"{NS}/actions/b?blocking=true",
                raw=b"[" * 100_000 + b"]" * 100_000, headers=json_),
        Hostile("trigger parameter nested 100,000 deep", "PUT", f"{NS}/triggers/t",
                raw=b'{"parameters": [{"key": "a", "value": ' + b"[" * 100_000
                + b"]" * 100_000 + b"}]}", headers=json_),
        Hostile("trigger parameter with a NUL", "PUT", f"{NS}/triggers/t",
                {"parameters": [{"key": "a", "value": "a\u0000b"}]}, statuses=(400,)),
        Hostile("invoke payload with a NUL", "POST", f"{NS}/actions/b", {"a": "\u0000"},
                statuses=(400,)),
        Hostile("trigger with 10,000 annotations", "PUT", f"{NS}/triggers/t",
                {"annotations": [{"key": f"k{i}", "value": "v" * 200} for i in range(10_000)]}),
    ]  # fmt: skip
