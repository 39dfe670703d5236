"""The identity store's behaviour, run against every implementation (see conftest.store)."""

from __future__ import annotations

import dataclasses

import pytest

from whisk.errors import AlreadyExists, NotFound
from whisk.store.ports import Identity, Store


def identity(namespace: str = "guest", subject: str = "alice", **changes: object) -> Identity:
    base = Identity(
        subject=subject,
        namespace=namespace,
        uuid=f"uuid-{namespace}",
        key_hash=f"hash-{namespace}",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


async def test_identity_store_create_then_get_round_trips(store: Store) -> None:
    created = identity(limits={"invocationsPerMinute": 100}, blocked=True)
    await store.create_identity(created)

    assert await store.get_identity("guest") == created
    assert await store.get_identity_by_uuid("uuid-guest") == created


async def test_identity_store_get_of_unknown_is_none(store: Store) -> None:
    assert await store.get_identity("nobody") is None
    assert await store.get_identity_by_uuid("no-such-uuid") is None


async def test_identity_store_defaults_round_trip(store: Store) -> None:
    await store.create_identity(identity())
    fetched = await store.get_identity("guest")
    assert fetched is not None
    assert fetched.blocked is False
    assert fetched.limits == {}


async def test_identity_store_namespace_is_unique(store: Store) -> None:
    await store.create_identity(identity())
    with pytest.raises(AlreadyExists):
        await store.create_identity(identity(subject="bob", uuid="another-uuid"))
    fetched = await store.get_identity("guest")
    assert fetched is not None and fetched.subject == "alice"


async def test_identity_store_uuid_is_unique(store: Store) -> None:
    await store.create_identity(identity())
    with pytest.raises(AlreadyExists):
        await store.create_identity(identity(namespace="other", uuid="uuid-guest"))
    assert await store.get_identity("other") is None


async def test_identity_store_lists_by_subject(store: Store) -> None:
    await store.create_identity(identity("zeta", subject="alice"))
    await store.create_identity(identity("alpha", subject="alice"))
    await store.create_identity(identity("bobs", subject="bob"))

    alice = await store.list_identities("alice")
    everyone = await store.list_identities()

    assert [i.namespace for i in alice] == ["alpha", "zeta"]
    assert [i.namespace for i in everyone] == ["alpha", "bobs", "zeta"]
    assert await store.list_identities("carol") == []


async def test_identity_store_update_replaces_key_blocked_and_limits(store: Store) -> None:
    await store.create_identity(identity(limits={"concurrentInvocations": 5}))
    changed = identity(
        uuid="new-uuid", key_hash="new-hash", blocked=True, limits={"firesPerMinute": 7}
    )

    await store.update_identity(changed)

    assert await store.get_identity("guest") == changed
    assert await store.get_identity_by_uuid("uuid-guest") is None
    assert await store.get_identity_by_uuid("new-uuid") == changed


async def test_identity_store_update_of_unknown_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.update_identity(identity("nobody"))


async def test_identity_store_update_to_a_taken_uuid_is_already_exists(store: Store) -> None:
    await store.create_identity(identity("a"))
    await store.create_identity(identity("b"))
    with pytest.raises(AlreadyExists):
        await store.update_identity(identity("b", uuid="uuid-a"))
    assert await store.get_identity("b") == identity("b")


async def test_identity_store_delete_removes_and_frees_the_uuid(store: Store) -> None:
    await store.create_identity(identity())
    await store.delete_identity("guest")

    assert await store.get_identity("guest") is None
    await store.create_identity(identity("other", uuid="uuid-guest"))


async def test_identity_store_delete_of_unknown_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.delete_identity("nobody")
