"""``whisk package``, ``whisk namespace`` and ``whisk list`` against a running standalone."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Wsk

HELLO = 'def main(args):\n    return {"greeting": "hello"}\n'


def test_package_create_update_get_delete(wsk: Wsk, unique: str) -> None:
    created = wsk("package", "create", unique, "-p", "color", "red", "--shared", "yes")
    assert (created.exit_code, created.stdout) == (0, f"ok: created package {unique}\n")
    updated = wsk("package", "update", unique, "-p", "color", "blue")
    assert updated.stdout == f"ok: updated package {unique}\n"
    got = wsk("package", "get", unique)
    head, _, body = got.stdout.partition("\n")
    assert head == f"ok: got package {unique}"
    doc = json.loads(body)
    assert (doc["publish"], doc["parameters"]) == (True, [{"key": "color", "value": "blue"}])
    listed = wsk("package", "list", "--limit", "200").stdout.splitlines()
    assert listed[0] == "packages"
    assert f"{f'/guest/{unique}':<70} shared" in listed
    deleted = wsk("package", "delete", unique)
    assert deleted.stdout == f"ok: deleted package {unique}\n"


def test_package_bind_creates_a_binding(wsk: Wsk, unique: str) -> None:
    wsk("package", "create", unique, "-p", "color", "red")
    bound = wsk("package", "bind", unique, f"{unique}-b", "-p", "color", "green")
    assert (bound.exit_code, bound.stdout) == (0, f"ok: created binding {unique}-b\n")
    doc = json.loads(wsk("package", "get", f"{unique}-b", "--json").stdout)
    assert doc["binding"] == {"namespace": "guest", "name": unique}
    missing = wsk("package", "bind", f"{unique}-none", f"{unique}-c")
    assert missing.exit_code == 144
    assert missing.stderr.startswith(f"error: Unable to create binding '{unique}-c': ")


def test_package_delete_with_actions_exits_153_and_says_what_to_do(
    wsk: Wsk, unique: str, tmp_path: Path
) -> None:
    wsk("package", "create", unique)
    code = tmp_path / "hello.py"
    code.write_text(HELLO)
    wsk("action", "create", f"{unique}/a", str(code))
    result = wsk("package", "delete", unique)
    assert result.exit_code == 153
    assert result.stderr.splitlines()[1] == (
        "Delete the package's actions first ('whisk action list PACKAGE')."
    )
    summary = wsk("package", "get", unique, "--summary").stdout.splitlines()
    assert summary == [
        f"package /guest/{unique}",
        "   (parameters: none defined)",
        f" action /guest/{unique}/a",
    ]


def test_package_refresh_says_there_is_nothing_to_refresh(wsk: Wsk) -> None:
    result = wsk("package", "refresh")
    assert result.exit_code == 0
    assert result.stdout.startswith("ok: nothing to refresh in namespace _: Whisk has no ")


def test_namespace_list_and_get(wsk: Wsk, unique: str, tmp_path: Path) -> None:
    assert wsk("namespace", "list").stdout == "namespaces\nguest\n"
    code = tmp_path / "hello.py"
    code.write_text(HELLO)
    wsk("action", "create", f"{unique}-a", str(code))
    wsk("trigger", "create", f"{unique}-t")
    assert wsk("rule", "create", unique, f"{unique}-t", f"{unique}-a").exit_code == 0
    got = wsk("namespace", "get")
    assert got.exit_code == 0, got.output
    lines = got.stdout.splitlines()
    assert lines[0] == "Entities in namespace: default"
    headers = [line for line in lines if line in ("packages", "actions", "triggers", "rules")]
    assert headers == ["packages", "actions", "triggers", "rules"]
    assert any(line.startswith(f"/guest/{unique}-a ") and "python:" in line for line in lines)
    assert f"{f'/guest/{unique}':<70} {'private':<20} active" in lines
    assert wsk("list").stdout == got.stdout
    raw = json.loads(wsk("list", "--json").stdout)
    assert set(raw) == {"packages", "actions", "triggers", "rules"}


def test_configured_namespace_qualifies_unqualified_names(wsk: Wsk, unique: str) -> None:
    wsk("property", "set", "--namespace", "guest")
    wsk("trigger", "create", unique)
    assert wsk("list").stdout.splitlines()[0] == "Entities in namespace: guest"
    other = wsk("trigger", "get", unique, env={"WHISK_NAMESPACE": "someone-else"})
    assert other.exit_code == 147  # 403 - 256: not this key's namespace
    assert "whisk namespace list" in other.stderr.splitlines()[1]
