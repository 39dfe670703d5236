"""The /whisk.system catalog: installed once per version, idempotent, utils behave like
OpenWhisk's."""

from __future__ import annotations

from typing import Any

from controller.catalog import install_catalog
from controller.catalog.definitions import PACKAGES, SYSTEM_NAMESPACE, source_of
from whisk.config import load_settings
from whisk.entities.common import EntityRules
from whisk.store.memory import MemoryStore
from whisk.store.ports import Collection, EntityKey, Identity


def rules_for(_identity: Identity) -> EntityRules:
    settings = load_settings({})
    return EntityRules(manifest=settings.load_manifest())


def run_source(name: str, args: dict[str, Any]) -> Any:
    for package in PACKAGES:
        for action in package.actions:
            if action.name == name:
                namespace: dict[str, Any] = {}
                exec(compile(source_of(action), action.source, "exec"), namespace)
                return namespace["main"](args)
    raise KeyError(name)


async def test_catalog_install_creates_published_packages_and_feeds() -> None:
    store = MemoryStore()
    assert await install_catalog(store, rules_for) == 4
    assert (await store.get_identity(SYSTEM_NAMESPACE)) is not None
    alarms = await store.get(EntityKey(SYSTEM_NAMESPACE, "alarms"))
    assert alarms is not None and alarms.doc["publish"] is True
    apimgmt = await store.get(EntityKey(SYSTEM_NAMESPACE, "apimgmt"))  # OpenWhisk's: not shared
    assert apimgmt is not None and apimgmt.doc["publish"] is False
    actions = await store.list(SYSTEM_NAMESPACE, Collection.ACTIONS, package="alarms")
    names = sorted(a.key.name for a in actions)
    assert names == ["alarm", "interval", "once"]
    for stored in actions:
        assert {"key": "feed", "value": True} in stored.doc["annotations"]
    kafka = await store.get(EntityKey(SYSTEM_NAMESPACE, "kafkaFeed", "messaging"))
    assert kafka is not None


async def test_catalog_install_is_idempotent_for_one_version() -> None:
    store = MemoryStore()
    await install_catalog(store, rules_for)
    before = await store.get(EntityKey(SYSTEM_NAMESPACE, "echo", "utils"))
    assert await install_catalog(store, rules_for) == 0
    after = await store.get(EntityKey(SYSTEM_NAMESPACE, "echo", "utils"))
    assert before is not None and after is not None and before.revision == after.revision


def test_utils_actions_behave_like_openwhisk() -> None:
    assert run_source("echo", {"a": 1}) == {"a": 1}
    assert run_source("cat", {"lines": ["a", "b"]}) == {"lines": ["a", "b"], "payload": "a\nb"}
    assert run_source("sort", {"lines": ["b", "a"]}) == {"length": 2, "lines": ["a", "b"]}
    assert run_source("head", {"lines": ["a", "b", "c"], "num": 2}) == {"lines": ["a", "b"]}
    assert run_source("split", {"payload": "a\nb"})["lines"] == ["a", "b"]
    assert run_source("split", {"payload": "a,b", "separator": ","})["lines"] == ["a", "b"]
    assert run_source("date", {})["date"].endswith("Z")
