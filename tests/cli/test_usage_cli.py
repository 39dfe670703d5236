"""``whisk namespace usage`` (through the API) and ``whisk admin usage`` (against the database)
print the metered usage as a table, and as JSON with ``-r``."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

from tests.cli.conftest import ROOT, Standalone, Wsk
from whisk.store import open_store
from whisk.usage import HOUR_MS, UsageDelta

T0 = 1_764_720_000_000  # an hour boundary


def _new_namespace(standalone: Standalone, name: str) -> str:
    env = {**os.environ, "HOME": str(standalone.home), "WHISK_DB_URL": standalone.db_url}
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "admin", "user", "create", name],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.strip().splitlines()[-1]


def _seed(db_url: str, deltas: list[UsageDelta]) -> None:
    async def write() -> None:
        store = (await open_store(db_url, migrate=False)).store
        try:
            await store.put_activations([], deltas)
        finally:
            await store.close()

    asyncio.run(write())


def test_namespace_usage_prints_a_table_per_action_and_json_with_r(
    standalone: Standalone, wsk: Wsk, unique: str
) -> None:
    key = _new_namespace(standalone, unique)
    _seed(
        standalone.db_url,
        [
            UsageDelta(unique, "hello", T0, 3, 30, 30 * 256, 1, 1),
            UsageDelta(unique, "tools/cat", T0 + HOUR_MS, 2, 1000, 1000 * 1024, 2, 0),
        ],
    )
    table = wsk("namespace", "usage", "-u", key)
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0] == f"Usage of namespace {unique} (all time)"
    assert lines[1].split() == ["action", "activations", "billed", "ms", "GB-seconds", "cold",
                                "starts", "errors"]  # fmt: skip
    assert lines[2].split() == ["hello", "3", "30", "0.007500", "1", "1"]
    assert lines[3].split() == ["tools/cat", "2", "1000", "1.000000", "2", "0"]
    assert lines[4].split() == ["total", "5", "1030", "1.007500", "3", "1"]

    raw = wsk("namespace", "usage", "-u", key, "-r", "--since", str(T0 + HOUR_MS))
    assert raw.exit_code == 0, raw.output
    report = json.loads(raw.stdout)
    assert (report["namespace"], report["since"], report["upto"]) == (unique, T0 + HOUR_MS, None)
    assert report["activations"] == 2 and [a["name"] for a in report["actions"]] == ["tools/cat"]

    bad = wsk("namespace", "usage", "-u", key, "--since", "10", "--upto", "5")
    assert bad.exit_code != 0


def test_admin_usage_lists_every_namespace(
    standalone: Standalone, bare_wsk: Wsk, unique: str
) -> None:
    _new_namespace(standalone, unique)
    _seed(standalone.db_url, [UsageDelta(unique, "x", T0, 4, 8, 8 * 128, 0, 2)])
    env = {"WHISK_DB_URL": standalone.db_url}
    table = bare_wsk("admin", "usage", "--since", str(T0), "--upto", str(T0 + 1), env=env)
    assert table.exit_code == 0, table.output
    mine = [line.split() for line in table.stdout.splitlines() if line.startswith(unique)]
    assert mine == [[unique, "4", "8", "0.001000", "0", "2"]]
    assert table.stdout.splitlines()[-1].startswith("total")

    raw = bare_wsk("admin", "usage", "-r", env=env)
    reports = {r["namespace"]: r for r in json.loads(raw.stdout)}
    assert reports[unique]["actions"][0]["name"] == "x"
    assert reports[unique]["gbSeconds"] == 8 * 128 / 1024 / 1000
