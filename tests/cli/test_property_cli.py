"""``whisk property`` and the connection settings: props file, environment, flags, errors."""

from __future__ import annotations

from standalone.wskprops import read_wskprops
from tests.cli.conftest import Standalone, Wsk, free_port


def test_property_set_writes_the_props_file_with_wsk_lines(bare_wsk: Wsk) -> None:
    result = bare_wsk("property", "set", "--apihost", "localhost:1", "--auth", "u:k",
                      "--namespace", "guest")  # fmt: skip
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "ok: whisk auth set. Run 'whisk property get --auth' to see the new value.",
        "ok: whisk API host set to localhost:1",
        "ok: whisk namespace set to guest",
    ]
    assert read_wskprops(bare_wsk.props_file) == {
        "APIHOST": "localhost:1",
        "AUTH": "u:k",
        "NAMESPACE": "guest",
    }


def test_property_get_shows_each_property_tab_separated(bare_wsk: Wsk) -> None:
    bare_wsk("property", "set", "--apihost", "localhost:1", "--auth", "u:k", "--namespace", "ns")
    result = bare_wsk("property", "get", "--all")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[:4] == [
        "whisk API host\t\tlocalhost:1",
        "whisk auth\t\tu:k",
        "whisk namespace\t\tns",
        "whisk API version\tv1",
    ]
    assert lines[4].startswith("whisk CLI version\t")
    assert bare_wsk("property", "get", "--auth").stdout == "whisk auth\t\tu:k\n"


def test_property_unset_removes_only_the_named_keys(bare_wsk: Wsk) -> None:
    bare_wsk("property", "set", "--apihost", "localhost:1", "--auth", "u:k")
    result = bare_wsk("property", "unset", "--auth")
    assert result.exit_code == 0
    assert result.stdout == "ok: whisk auth unset.\n"
    assert read_wskprops(bare_wsk.props_file) == {"APIHOST": "localhost:1"}


def test_environment_overrides_the_props_file(bare_wsk: Wsk) -> None:
    bare_wsk("property", "set", "--apihost", "localhost:1", "--auth", "u:k")
    result = bare_wsk("property", "get", "--apihost", "--auth", "--namespace",
                      env={"WHISK_APIHOST": "env-host", "WHISK_AUTH": "e:k",
                           "WHISK_NAMESPACE": "env-ns"})  # fmt: skip
    assert result.stdout.splitlines() == [
        "whisk API host\t\tenv-host",
        "whisk auth\t\te:k",
        "whisk namespace\t\tenv-ns",
    ]


def test_property_get_namespace_asks_the_api_when_none_is_set(wsk: Wsk) -> None:
    result = wsk("property", "get", "--namespace")
    assert result.exit_code == 0
    assert result.stdout == "whisk namespace\t\tguest\n"


def test_commands_without_auth_say_how_to_configure_it(bare_wsk: Wsk) -> None:
    bare_wsk("property", "set", "--apihost", "localhost:1")
    result = bare_wsk("action", "list")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: The API key is not configured (--auth is required).",
        "Run 'whisk property set --auth UUID:KEY', or start 'whisk standalone', which writes its "
        "guest key to ~/.wskprops (and ~/.whisk/.wskprops).",
    ]


def test_unreachable_host_exits_3_with_a_hint(bare_wsk: Wsk) -> None:
    port = free_port()
    result = bare_wsk("action", "list", "--apihost", f"127.0.0.1:{port}", "--auth", "u:k")
    assert result.exit_code == 3
    first, hint = result.stderr.splitlines()
    assert first.startswith(f"error: Unable to reach http://127.0.0.1:{port}: ")
    assert "whisk standalone" in hint and "whisk property set --apihost" in hint


def test_global_flags_work_before_the_noun_and_after_the_command(
    standalone: Standalone, bare_wsk: Wsk
) -> None:
    host, key = standalone.apihost, standalone.auth
    before = bare_wsk("--apihost", host, "-u", key, "namespace", "list")
    after = bare_wsk("namespace", "list", "--apihost", host, "--auth", key)
    assert before.exit_code == after.exit_code == 0
    assert before.stdout == after.stdout == "namespaces\nguest\n"


def test_a_refused_key_exits_145_with_a_hint(standalone: Standalone, bare_wsk: Wsk) -> None:
    wrong = "00000000-0000-0000-0000-000000000000:" + "x" * 64
    result = bare_wsk("action", "list", "--apihost", standalone.apihost, "--auth", wrong)
    assert result.exit_code == 145  # 401 - 256
    first, hint = result.stderr.splitlines()
    assert first.startswith("error: Unable to obtain the list of actions: ")
    assert first.endswith(")") and "(code " in first
    assert "whisk property set --auth" in hint


def test_debug_prints_the_http_exchange_on_stderr(wsk: Wsk) -> None:
    result = wsk("namespace", "list", "--debug")
    assert result.exit_code == 0
    assert "REQUEST: [GET] http://localhost:" in result.stderr
    assert "RESPONSE: 200" in result.stderr
    assert result.stdout == "namespaces\nguest\n"
