"""One behaviour suite for feed registrations: memory, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from whisk.store.ports import FeedRegistration, FeedStatus, Persistence


def registration(**overrides: Any) -> FeedRegistration:
    values: dict[str, Any] = {
        "registration_id": "r1",
        "provider": "alarms",
        "feed": "interval",
        "namespace": "guest",
        "trigger": "tick",
        "params": {"minutes": 1, "trigger_payload": {"a": [1, 2]}},
        "next_fire_ms": 60_000,
        "created_ms": 1_000,
    }
    values.update(overrides)
    return FeedRegistration(**values)


async def test_feed_store_puts_gets_and_deletes_by_trigger(persistence: Persistence) -> None:
    feeds = persistence.feeds
    await feeds.put_feed(registration())
    assert await feeds.get_feed("guest", "tick") == registration()
    assert await feeds.get_feed("guest", "other") is None
    assert await feeds.delete_feed("guest", "tick") is True
    assert await feeds.delete_feed("guest", "tick") is False
    assert await feeds.get_feed("guest", "tick") is None


async def test_feed_store_put_replaces_the_triggers_registration(persistence: Persistence) -> None:
    feeds = persistence.feeds
    await feeds.put_feed(registration())
    await feeds.put_feed(registration(registration_id="r2", params={"minutes": 5}))
    found = await feeds.get_feed("guest", "tick")
    assert found is not None and found.registration_id == "r2"
    assert found.params == {"minutes": 5}
    assert [f.registration_id for f in await feeds.list_feeds("alarms")] == ["r2"]


async def test_feed_store_lists_by_provider_and_status(persistence: Persistence) -> None:
    feeds = persistence.feeds
    await feeds.put_feed(registration())
    await feeds.put_feed(
        registration(registration_id="k1", provider="kafka", trigger="t2", next_fire_ms=None)
    )
    await feeds.put_feed(registration(registration_id="r3", trigger="t3"))
    await feeds.set_feed_status("r3", FeedStatus.PAUSED, "paused by the owner")
    assert [f.registration_id for f in await feeds.list_feeds("alarms")] == ["r1", "r3"]
    active = await feeds.list_feeds("alarms", FeedStatus.ACTIVE)
    assert [f.registration_id for f in active] == ["r1"]
    kafka = await feeds.list_feeds("kafka")
    assert [f.registration_id for f in kafka] == ["k1"]
    paused = await feeds.get_feed("guest", "t3")
    assert paused is not None and paused.reason == "paused by the owner"


async def test_feed_store_due_feeds_are_active_due_and_unleased(persistence: Persistence) -> None:
    feeds = persistence.feeds
    await feeds.put_feed(registration(registration_id="a", trigger="a", next_fire_ms=1_000))
    await feeds.put_feed(registration(registration_id="b", trigger="b", next_fire_ms=9_000))
    await feeds.put_feed(
        registration(registration_id="c", trigger="c", next_fire_ms=500, lease_expiry_ms=8_000)
    )
    await feeds.put_feed(registration(registration_id="d", trigger="d", next_fire_ms=None))
    await feeds.put_feed(registration(registration_id="e", trigger="e", next_fire_ms=100))
    await feeds.set_feed_status("e", FeedStatus.DISABLED)
    assert [f.registration_id for f in await feeds.due_feeds("alarms", 5_000)] == ["a"]
    assert [f.registration_id for f in await feeds.due_feeds("alarms", 9_000)] == ["c", "a", "b"]


async def test_feed_store_claim_moves_the_schedule_once(persistence: Persistence) -> None:
    feeds = persistence.feeds
    await feeds.put_feed(registration(next_fire_ms=1_000))
    (due,) = await feeds.due_feeds("alarms", 2_000)
    claim = {
        "next_fire_ms": 61_000,
        "status": FeedStatus.ACTIVE,
        "lease_expiry_ms": 70_000,  # c0 is busy with it until then
        "now_ms": 2_000,
    }
    assert await feeds.claim_feed(due, owner="c0", **claim) is True
    assert await feeds.claim_feed(due, owner="c1", **claim) is False  # already moved on
    found = await feeds.get_feed("guest", "tick")
    assert found is not None
    assert (found.next_fire_ms, found.fires, found.lease_owner) == (61_000, 1, "c0")
    assert await feeds.due_feeds("alarms", 61_000) == []  # due, but leased
    await feeds.release_feed(due.registration_id, "c1")  # not the owner: no effect
    assert await feeds.due_feeds("alarms", 61_000) == []
    await feeds.release_feed(due.registration_id, "c0")
    assert [f.fires for f in await feeds.due_feeds("alarms", 61_000)] == [1]


async def test_feed_store_concurrent_claims_have_one_winner(persistence: Persistence) -> None:
    feeds = persistence.feeds
    await feeds.put_feed(registration(next_fire_ms=1_000))
    (due,) = await feeds.due_feeds("alarms", 2_000)
    results = await asyncio.gather(
        *(
            feeds.claim_feed(
                due,
                next_fire_ms=None,
                status=FeedStatus.DISABLED,
                owner=f"c{i}",
                lease_expiry_ms=9_000,
                now_ms=2_000,
            )
            for i in range(6)
        )
    )
    assert sorted(results) == [False] * 5 + [True]
    found = await feeds.get_feed("guest", "tick")
    assert found is not None and found.status == FeedStatus.DISABLED and found.fires == 1


async def test_feed_store_claim_refuses_a_leased_or_replaced_registration(
    persistence: Persistence,
) -> None:
    feeds = persistence.feeds
    leased = registration(next_fire_ms=1_000, lease_expiry_ms=5_000)
    await feeds.put_feed(leased)
    kwargs: dict[str, Any] = {
        "next_fire_ms": 2_000,
        "status": FeedStatus.ACTIVE,
        "owner": "c0",
        "lease_expiry_ms": 9_000,
    }
    assert await feeds.claim_feed(leased, now_ms=3_000, **kwargs) is False
    await feeds.put_feed(dataclasses.replace(leased, registration_id="new", lease_expiry_ms=0))
    assert await feeds.claim_feed(leased, now_ms=6_000, **kwargs) is False  # old id


async def test_feed_store_last_claim_and_status_changes_record_reason_and_time(
    persistence: Persistence,
) -> None:
    feeds = persistence.feeds
    await feeds.put_feed(registration(created_ms=500, next_fire_ms=1_000))
    (due,) = await feeds.due_feeds("alarms", 2_000)
    assert due.changed_ms == 0  # unchanged since creation

    # a claim that keeps it active changes neither reason nor time
    kept = await feeds.claim_feed(
        due, next_fire_ms=61_000, status=FeedStatus.ACTIVE, owner="c0",
        lease_expiry_ms=0, now_ms=2_000, reason="ignored",
    )  # fmt: skip
    assert kept
    found = await feeds.get_feed("guest", "tick")
    assert found is not None and (found.reason, found.changed_ms) == ("", 0)

    # the last fire disables it, with its reason and when
    last = await feeds.claim_feed(
        found, next_fire_ms=None, status=FeedStatus.DISABLED, owner="c0",
        lease_expiry_ms=0, now_ms=61_500, reason="Automatically disabled after firing once",
    )  # fmt: skip
    assert last
    found = await feeds.get_feed("guest", "tick")
    assert found is not None
    assert (found.status, found.changed_ms) == (FeedStatus.DISABLED, 61_500)
    assert found.reason == "Automatically disabled after firing once"

    await feeds.set_feed_status(found.registration_id, FeedStatus.ACTIVE, "", changed_ms=70_000)
    found = await feeds.get_feed("guest", "tick")
    assert found is not None and (found.status, found.changed_ms) == (FeedStatus.ACTIVE, 70_000)
