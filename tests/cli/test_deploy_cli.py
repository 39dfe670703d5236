"""``whisk deploy`` / ``whisk undeploy`` against a running standalone, with the manifests in
tests/cli/samples/.

The sample's alarm trigger uses the catalog's feed action ``/whisk.system/alarms/alarm``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.cli.conftest import Wsk

SAMPLES = Path(__file__).parent / "samples"
SAMPLE = str(SAMPLES / "manifest.yaml")
PLAIN = str(SAMPLES / "plain" / "manifest.yaml")
ENV = {"WHISK_SAMPLE_NAME": "Ann", "WHISK_SAMPLE_COUNT": "3", "WHISK_SAMPLE_LEVEL": "high"}
SAMPLE_STEPS = [
    "package demo",
    "action demo/hello",
    "action demo/shout",
    "sequence demo/greet_loud",
    "trigger poke",
    "trigger tick (feed /whisk.system/alarms/alarm)",
    "rule on_poke",
    "rule on_tick",
]


def _alarm_feed_exists(wsk: Wsk) -> bool:
    return wsk("action", "get", "/whisk.system/alarms/alarm", "--summary").exit_code == 0


def _doc(wsk: Wsk, noun: str, name: str) -> dict[str, Any]:
    result = wsk(noun, "get", name, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _progress(result_stdout: str) -> list[str]:
    return [line for line in result_stdout.splitlines() if line.startswith("[")]


def test_deploy_preview_lists_the_plan_and_changes_nothing(wsk: Wsk) -> None:
    result = wsk("deploy", "-m", SAMPLE, "--preview", env=ENV)
    assert result.exit_code == 0, result.output
    assert _progress(result.stdout) == [
        f"[{n}/8] {step} (create or update)" for n, step in enumerate(SAMPLE_STEPS, 1)
    ]
    assert wsk("package", "get", "demo").exit_code == 148


def test_deploy_sample_invoke_sequence_then_undeploy_removes_everything(wsk: Wsk) -> None:
    # every Whisk installs the /whisk.system catalog, alarms feed included
    assert _alarm_feed_exists(wsk)
    deployed = wsk("deploy", "-m", SAMPLE, env=ENV)
    assert deployed.exit_code == 0, deployed.output
    assert _progress(deployed.stdout) == [
        f"[{n}/8] {step} ... ok" for n, step in enumerate(SAMPLE_STEPS, 1)
    ]
    assert deployed.stdout.endswith(f"ok: deployed 8 entities from {SAMPLE}\n")
    tick = _doc(wsk, "trigger", "tick")
    assert {"key": "feed", "value": "/whisk.system/alarms/alarm"} in tick["annotations"]
    hello = _doc(wsk, "action", "demo/hello")
    assert hello["limits"] == {"timeout": 10000, "memory": 128, "logs": 5, "concurrency": 1}
    assert hello["parameters"] == [
        {"key": "name", "value": "Ann"},
        {"key": "punctuation", "value": ""},
    ]
    shout = _doc(wsk, "action", "demo/shout")
    assert {"key": "web-export", "value": True} in shout["annotations"]
    assert _doc(wsk, "trigger", "poke")["parameters"] == [{"key": "source", "value": "manual"}]

    invoked = wsk("action", "invoke", "demo/greet_loud", "-r")
    assert invoked.exit_code == 0, invoked.output
    assert json.loads(invoked.stdout) == {"text": "HELLO, ANN!"}

    removed = wsk("undeploy", "-m", SAMPLE, env=ENV)
    assert removed.exit_code == 0, removed.output
    assert _progress(removed.stdout)[:3] == [
        "[1/8] rule on_tick ... ok",
        "[2/8] rule on_poke ... ok",
        "[3/8] trigger tick ... ok",
    ]
    assert _progress(removed.stdout)[3:] == [
        "[4/8] trigger poke ... ok",
        "[5/8] sequence demo/greet_loud ... ok",
        "[6/8] action demo/shout ... ok",
        "[7/8] action demo/hello ... ok",
        "[8/8] package demo ... ok",
    ]
    for noun, name in [("package", "demo"), ("action", "demo/hello"), ("trigger", "poke")]:
        assert wsk(noun, "get", name).exit_code == 148, (noun, name)


def test_deploy_twice_changes_nothing_but_versions(wsk: Wsk) -> None:
    first = wsk("deploy", "-m", PLAIN, env=ENV)
    assert first.exit_code == 0, first.output
    assert _progress(first.stdout) == [
        "[1/3] action plain_echo ... ok",
        "[2/3] trigger plain_ping ... ok",
        "[3/3] rule plain_rule ... ok",
    ]
    names = [("action", "plain_echo"), ("trigger", "plain_ping"), ("rule", "plain_rule")]
    before = {name: _doc(wsk, noun, name) for noun, name in names}
    second = wsk("deploy", "-m", PLAIN, env=ENV)
    assert second.exit_code == 0, second.output
    after = {name: _doc(wsk, noun, name) for noun, name in names}

    def stable(doc: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in doc.items() if k not in ("version", "updated")}

    for _, name in names:
        assert stable(after[name]) == stable(before[name]), name
    assert after["plain_echo"]["version"] != before["plain_echo"]["version"]
    # deployment.yaml (found next to the manifest) overrode and added inputs
    assert after["plain_echo"]["parameters"] == [{"key": "name", "value": "deployment"}]
    assert after["plain_ping"]["parameters"] == [
        {"key": "level", "value": "high"},
        {"key": "extra", "value": 3},
    ]
    assert after["plain_rule"]["status"] == "active"
    fired = wsk("trigger", "fire", "plain_ping")
    assert fired.exit_code == 0, fired.output
    assert re.fullmatch(r"ok: triggered /_/plain_ping with id [0-9a-f]{32}\n", fired.stdout)
    assert wsk("undeploy", "-m", PLAIN, env=ENV).exit_code == 0
    assert wsk("action", "get", "plain_echo").exit_code == 148


def test_deploy_bad_manifest_names_file_line_and_key(wsk: Wsk, tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text("packages:\n  bad:\n    actions:\n      hello:\n        funtion: a.py\n")
    result = wsk("deploy", "-m", str(manifest))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith(
        f"error: {manifest}:5: packages.bad.actions.hello.funtion: unknown key 'funtion'"
    )
    assert result.stdout == ""
    assert wsk("package", "get", "bad").exit_code == 148


def test_deploy_missing_function_file_stops_at_that_action(wsk: Wsk, tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(
        "packages:\n  default:\n    actions:\n      gone:\n        function: a.py\n"
    )
    result = wsk("deploy", "-m", str(manifest))
    assert result.exit_code == 1
    assert _progress(result.stdout) == ["[1/1] action gone ... failed"]
    assert result.stderr.splitlines()[0] == (
        f"error: {manifest}:4: packages.default.actions.gone.function: "
        f"'{tmp_path / 'a.py'}' does not exist"
    )


def test_deploy_without_a_manifest_here_says_how_to_give_one(wsk: Wsk, tmp_path: Path) -> None:
    result = wsk("deploy", "-m", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 1
    assert (
        result.stderr.splitlines()[0]
        == f"error: The manifest '{tmp_path / 'nope.yaml'}' does not exist."
    )


FEED = 'def main(args):\n    print(args["lifecycleEvent"], args.get("cron"))\n    return {}\n'


def test_deploy_feed_trigger_registers_with_its_feed_once_per_deploy(
    wsk: Wsk, unique: str, tmp_path: Path
) -> None:
    # Given a feed action of our own (the alarms feed may not be installed)
    (tmp_path / "feed.py").write_text(FEED)
    created = wsk("action", "create", f"{unique}-feed", str(tmp_path / "feed.py"))
    assert created.exit_code == 0, created.output
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(
        f"packages:\n  default:\n    triggers:\n      {unique}:\n"
        f"        feed: {unique}-feed\n        inputs: {{cron: '* * * * *'}}\n"
    )
    # When the manifest is deployed twice, then undeployed
    for command in ("deploy", "deploy", "undeploy"):
        result = wsk(command, "-m", str(manifest))
        assert result.exit_code == 0, result.output
        assert _progress(result.stdout)[0].endswith(" ... ok")
    # Then the feed saw CREATE, (DELETE, CREATE) for the redeploy, and DELETE
    listed = wsk("activation", "list", f"{unique}-feed", "--json", "--limit", "10")
    ids = [a["activationId"] for a in sorted(json.loads(listed.stdout), key=lambda a: a["start"])]
    events = [wsk("activation", "logs", i, "--strip").stdout.strip() for i in ids]
    assert events == ["CREATE * * * * *", "DELETE None", "CREATE * * * * *", "DELETE None"]
    assert wsk("trigger", "get", unique).exit_code == 148
