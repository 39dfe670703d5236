"""The entity store's behaviour, run against every implementation (see conftest.store)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from whisk.errors import AlreadyExists, ConcurrentModification, NotFound, WrongCollection
from whisk.store.ports import Collection, Delete, EntityKey, Put, Store

NS = "guest"


def put(
    name: str,
    *,
    package: str | None = None,
    collection: Collection = Collection.ACTIONS,
    revision: int | None = None,
    namespace: str = NS,
    **doc: Any,
) -> Put:
    return Put(
        collection,
        EntityKey(namespace, name, package),
        {"name": name, **doc},
        expected_revision=revision,
    )


async def test_entity_store_create_then_get_round_trips_the_document(store: Store) -> None:
    doc = {"exec": {"kind": "python:3", "code": "def main(a): return a"}, "n": [1, 2.5, None]}
    created = await store.put(Put(Collection.ACTIONS, EntityKey(NS, "hello"), doc))

    assert created.revision == 1
    assert created.updated > 0
    fetched = await store.get(EntityKey(NS, "hello"))
    assert fetched == created
    assert fetched is not None and fetched.doc == doc


async def test_entity_store_get_of_missing_key_is_none(store: Store) -> None:
    assert await store.get(EntityKey(NS, "nothing")) is None


async def test_entity_store_keeps_packaged_and_root_entities_apart(store: Store) -> None:
    await store.put(put("a", v=1))
    await store.put(put("a", package="p", v=2))

    root = await store.get(EntityKey(NS, "a"))
    inner = await store.get(EntityKey(NS, "a", "p"))
    assert root is not None and root.doc["v"] == 1 and root.key.package is None
    assert inner is not None and inner.doc["v"] == 2 and inner.key.package == "p"


async def test_entity_store_update_bumps_revision_and_updated(store: Store) -> None:
    first = await store.put(put("a", v=1))
    second = await store.put(put("a", revision=1, v=2))
    third = await store.put(put("a", revision=2, v=3))

    assert (first.revision, second.revision, third.revision) == (1, 2, 3)
    assert first.updated < second.updated < third.updated
    assert await store.get(EntityKey(NS, "a")) == third


async def test_entity_store_create_over_same_collection_is_already_exists(store: Store) -> None:
    await store.put(put("a"))
    with pytest.raises(AlreadyExists):
        await store.put(put("a"))


async def test_entity_store_create_over_other_collection_is_wrong_collection(
    store: Store,
) -> None:
    await store.put(put("a", collection=Collection.TRIGGERS))
    with pytest.raises(WrongCollection):
        await store.put(put("a", collection=Collection.ACTIONS))


async def test_entity_store_update_of_other_collection_is_wrong_collection(store: Store) -> None:
    await store.put(put("a", collection=Collection.TRIGGERS))
    with pytest.raises(WrongCollection):
        await store.put(put("a", collection=Collection.ACTIONS, revision=1))


async def test_entity_store_update_with_stale_revision_is_concurrent_modification(
    store: Store,
) -> None:
    await store.put(put("a"))
    await store.put(put("a", revision=1))
    with pytest.raises(ConcurrentModification):
        await store.put(put("a", revision=1, v="lost"))
    stored = await store.get(EntityKey(NS, "a"))
    assert stored is not None and stored.revision == 2 and "v" not in stored.doc


async def test_entity_store_update_of_missing_key_is_concurrent_modification(
    store: Store,
) -> None:
    with pytest.raises(ConcurrentModification):
        await store.put(put("gone", revision=1))
    assert await store.get(EntityKey(NS, "gone")) is None


async def test_entity_store_delete_returns_the_entity_and_removes_it(store: Store) -> None:
    created = await store.put(put("a"))
    deleted = await store.delete(Delete(EntityKey(NS, "a"), expected_revision=1))

    assert deleted == created
    assert await store.get(EntityKey(NS, "a")) is None
    again = await store.put(put("a"))
    assert again.revision == 1


async def test_entity_store_delete_without_revision_deletes_any(store: Store) -> None:
    await store.put(put("a"))
    await store.put(put("a", revision=1))
    deleted = await store.delete(Delete(EntityKey(NS, "a")))
    assert deleted.revision == 2


async def test_entity_store_delete_of_missing_key_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.delete(Delete(EntityKey(NS, "a")))
    with pytest.raises(NotFound):
        await store.delete(Delete(EntityKey(NS, "a"), expected_revision=3))


async def test_entity_store_delete_with_stale_revision_is_concurrent_modification(
    store: Store,
) -> None:
    await store.put(put("a"))
    await store.put(put("a", revision=1))
    with pytest.raises(ConcurrentModification):
        await store.delete(Delete(EntityKey(NS, "a"), expected_revision=1))
    assert await store.get(EntityKey(NS, "a")) is not None


async def test_entity_store_concurrent_updates_from_one_revision_let_exactly_one_win(
    store: Store,
) -> None:
    await store.put(put("a", v=0))
    # Given: several writers that all read revision 1
    writers = [store.put(put("a", revision=1, v=i)) for i in range(1, 6)]

    # When: they write at once
    outcomes = await asyncio.gather(*writers, return_exceptions=True)

    # Then: one wins, the others see a conflict, and the winner's document is stored
    winners = [o for o in outcomes if not isinstance(o, BaseException)]
    losers = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(winners) == 1, outcomes
    assert all(isinstance(o, ConcurrentModification) for o in losers), losers
    stored = await store.get(EntityKey(NS, "a"))
    assert stored == winners[0]
    assert stored is not None and stored.revision == 2


async def test_entity_store_concurrent_creates_let_exactly_one_win(store: Store) -> None:
    outcomes = await asyncio.gather(
        *(store.put(put("a", v=i)) for i in range(4)), return_exceptions=True
    )
    winners = [o for o in outcomes if not isinstance(o, BaseException)]
    assert len(winners) == 1, outcomes
    assert all(isinstance(o, AlreadyExists) for o in outcomes if o not in winners)


async def test_entity_store_commit_applies_all_writes_in_order(store: Store) -> None:
    await store.put(put("old"))
    results = await store.commit(
        [
            put("p", collection=Collection.PACKAGES),
            put("a", package="p"),
            put("old", revision=1, v=2),
            Delete(EntityKey(NS, "old"), expected_revision=2),
        ]
    )

    assert [r.key.path for r in results] == ["guest/p", "guest/p/a", "guest/old", "guest/old"]
    assert [r.revision for r in results] == [1, 1, 2, 2]
    assert await store.get(EntityKey(NS, "p")) == results[0]
    assert await store.get(EntityKey(NS, "a", "p")) == results[1]
    assert await store.get(EntityKey(NS, "old")) is None


async def test_entity_store_commit_with_a_failing_write_applies_none(store: Store) -> None:
    await store.put(put("taken"))
    kept = await store.put(put("kept", v=1))

    with pytest.raises(AlreadyExists):
        await store.commit([put("fresh"), put("kept", revision=1, v=2), put("taken")])

    assert await store.get(EntityKey(NS, "fresh")) is None
    assert await store.get(EntityKey(NS, "kept")) == kept


async def test_entity_store_commit_with_stale_delete_applies_none(store: Store) -> None:
    await store.put(put("a"))
    with pytest.raises(ConcurrentModification):
        await store.commit([put("b"), Delete(EntityKey(NS, "a"), expected_revision=7)])
    assert await store.get(EntityKey(NS, "b")) is None
    assert await store.get(EntityKey(NS, "a")) is not None


async def test_entity_store_commit_of_nothing_is_nothing(store: Store) -> None:
    assert await store.commit([]) == []


async def test_entity_store_list_is_newest_first_per_collection(store: Store) -> None:
    for name in ["a", "b", "c"]:
        await store.put(put(name))
    await store.put(put("t", collection=Collection.TRIGGERS))
    await store.put(put("a", revision=1))  # a becomes the newest

    listed = await store.list(NS, Collection.ACTIONS)
    assert [e.key.name for e in listed] == ["a", "c", "b"]
    assert await store.count(NS, Collection.ACTIONS) == 3
    triggers = await store.list(NS, Collection.TRIGGERS)
    assert [e.key.name for e in triggers] == ["t"]


async def test_entity_store_list_filters_by_package(store: Store) -> None:
    await store.put(put("root1"))
    await store.put(put("in_p", package="p"))
    await store.put(put("in_q", package="q"))
    await store.put(put("root2"))

    root = await store.list(NS, Collection.ACTIONS)
    in_p = await store.list(NS, Collection.ACTIONS, package="p")
    every = await store.list(NS, Collection.ACTIONS, all_packages=True)

    assert [e.key.name for e in root] == ["root2", "root1"]
    assert [(e.key.package, e.key.name) for e in in_p] == [("p", "in_p")]
    assert [e.key.name for e in every] == ["root2", "in_q", "in_p", "root1"]
    assert await store.count(NS, Collection.ACTIONS) == 2
    assert await store.count(NS, Collection.ACTIONS, package="p") == 1
    assert await store.count(NS, Collection.ACTIONS, package="none") == 0
    assert await store.count(NS, Collection.ACTIONS, all_packages=True) == 4


async def test_entity_store_list_is_per_namespace(store: Store) -> None:
    await store.put(put("a"))
    await store.put(put("b", namespace="other"))
    assert [e.key.name for e in await store.list(NS, Collection.ACTIONS)] == ["a"]
    assert [e.key.name for e in await store.list("other", Collection.ACTIONS)] == ["b"]
    assert await store.count("nobody", Collection.ACTIONS) == 0


async def test_entity_store_list_skips_and_limits(store: Store) -> None:
    for i in range(7):
        await store.put(put(f"a{i}"))

    page = await store.list(NS, Collection.ACTIONS, skip=2, limit=3)
    everything = await store.list(NS, Collection.ACTIONS, limit=None)
    tail = await store.list(NS, Collection.ACTIONS, skip=5, limit=30)

    assert [e.key.name for e in page] == ["a4", "a3", "a2"]
    assert [e.key.name for e in everything] == [f"a{i}" for i in reversed(range(7))]
    assert [e.key.name for e in tail] == ["a1", "a0"]
    assert await store.list(NS, Collection.ACTIONS, skip=10) == []


async def test_entity_store_returned_documents_are_detached(store: Store) -> None:
    created = await store.put(put("a", params=[{"key": "x", "value": 1}]))
    created.doc["params"].append("mutated")
    fetched = await store.get(EntityKey(NS, "a"))
    assert fetched is not None
    fetched.doc["params"].append("mutated again")
    assert (await store.get(EntityKey(NS, "a"))).doc["params"] == [  # type: ignore[union-attr]
        {"key": "x", "value": 1}
    ]
