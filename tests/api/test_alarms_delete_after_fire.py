"""``deleteAfterFire`` of the ``once`` alarm, run on the memory and SQLite stores: a registration
made through the feed lifecycle, one provider tick at the due time, then what is left, read
through the REST API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from controller.feeds.after_fire import TriggerRemover
from controller.feeds.alarms import AlarmsConfig, AlarmsProvider
from controller.feeds.firing import FeedFirer
from controller.feeds.lifecycle import ALARMS, FeedLifecycle
from controller.feeds.schedule import AfterFire
from controller.firing import TriggerFirer
from controller.invocation import InvocationConfig, InvocationService
from controller.runner import ActionRunner
from controller.throttle import MemoryThrottleCounter
from tests.api.conftest import Api, action_body
from whisk.entities.namespace_limits import NamespaceLimits
from whisk.errors import InvalidArgument
from whisk.messages import ActivationMessage
from whisk.store.cache import CachingStore
from whisk.store.ports import EntityKey, FeedStatus, FeedStore, Identity

NS = "/api/v1/namespaces/_"
T0 = 1_900_000_000_000  # the clock at CREATE
DUE = T0 + 5_000  # the once date; the provider ticks at DUE


class RecordingScheduler:
    """The load balancer's publish, kept in process: records what the rules invoke."""

    def __init__(self) -> None:
        self.published: list[ActivationMessage] = []
        self.seen = asyncio.Event()

    async def publish(
        self, message: ActivationMessage, *, namespace: str, action: str, **_: Any
    ) -> asyncio.Future[Any]:
        self.published.append(message)
        self.seen.set()
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


@dataclass
class Feeds:
    api: Api
    feeds: FeedStore
    owner: Identity
    scheduler: RecordingScheduler
    firer: TriggerFirer
    provider: AlarmsProvider

    async def once(self, trigger: str, **params: Any) -> dict[str, Any]:
        return await self.lifecycle("CREATE", trigger, date=DUE, **params)

    async def lifecycle(self, event: str, trigger: str, **params: Any) -> dict[str, Any]:
        body = {"lifecycleEvent": event, "triggerName": f"/_/{trigger}", **params}
        return await FeedLifecycle(self.api.store, self.feeds, lambda: T0).handle(
            ALARMS, "once", body, self.owner
        )

    async def status(self, path: str) -> int:
        return (await self.api.guest.call("GET", f"{NS}/{path}")).status


@pytest.fixture
async def feeds(api: Api) -> AsyncIterator[Feeds]:
    owner = await api.store.get_identity("guest")
    assert owner is not None
    registrations = api.persistence.feeds
    scheduler = RecordingScheduler()
    throttles = MemoryThrottleCounter()
    invocations = InvocationService(
        store=api.store, scheduler=scheduler, throttles=throttles, config=InvocationConfig()
    )
    firer = ActionRunner(api.store, invocations, throttles).firer
    provider = AlarmsProvider(
        registrations,
        FeedFirer(api.store, firer, lambda _: NamespaceLimits()),
        AlarmsConfig(owner="controller0"),
        clock_ms=lambda: DUE,
        remover=TriggerRemover(api.store, registrations),
    )
    await api.guest.call("PUT", f"{NS}/actions/hello", action_body())
    for trigger in ("t", "keep"):
        resp = await api.guest.call("PUT", f"{NS}/triggers/{trigger}", {})
        assert resp.status == 200
    for rule, trigger in (("r1", "t"), ("r2", "t"), ("elsewhere", "keep")):
        body = {"trigger": f"/_/{trigger}", "action": "/_/hello"}
        assert (await api.guest.call("PUT", f"{NS}/rules/{rule}", body)).status == 200
    try:
        yield Feeds(api, registrations, owner, scheduler, firer, provider)
    finally:
        await firer.close()


async def fire_due(feeds: Feeds) -> None:
    assert await feeds.provider.run_once() == 1
    await asyncio.wait_for(feeds.scheduler.seen.wait(), 30)  # the fire reached the rules
    assert feeds.scheduler.published[0].action.name == "hello"


async def test_once_delete_after_fire_true_deletes_trigger_and_registration(
    feeds: Feeds,
) -> None:
    assert await feeds.once("t", deleteAfterFire=True) == {"status": "success"}
    await fire_due(feeds)
    assert await feeds.status("triggers/t") == 404
    assert await feeds.feeds.get_feed("guest", "t") is None
    for rule in ("r1", "r2", "elsewhere"):  # rules are kept
        assert await feeds.status(f"rules/{rule}") == 200
    assert await feeds.status("triggers/keep") == 200


async def test_once_delete_after_fire_rules_deletes_trigger_and_its_rules(
    feeds: Feeds,
) -> None:
    await feeds.once("t", deleteAfterFire="rules")
    await fire_due(feeds)
    assert await feeds.status("triggers/t") == 404
    assert await feeds.status("rules/r1") == 404
    assert await feeds.status("rules/r2") == 404
    assert await feeds.feeds.get_feed("guest", "t") is None
    assert await feeds.status("rules/elsewhere") == 200  # another trigger's rule
    assert await feeds.status("triggers/keep") == 200
    assert await feeds.provider.run_once() == 0


async def test_once_delete_after_fire_false_keeps_trigger_and_disables_registration(
    feeds: Feeds,
) -> None:
    await feeds.once("t", deleteAfterFire="false")
    await fire_due(feeds)
    assert await feeds.status("triggers/t") == 200
    assert await feeds.status("rules/r1") == 200
    reg = await feeds.feeds.get_feed("guest", "t")
    assert reg is not None and reg.status is FeedStatus.DISABLED
    assert await feeds.provider.run_once() == 0
    # READ as the alarms provider answers after a once fire: inactive since the fire, why
    status = (await feeds.lifecycle("READ", "t"))["status"]
    assert status["active"] is False
    assert status["dateChanged"] == DUE
    assert status["reason"] == {
        "kind": "AUTO",
        "message": "Automatically disabled after firing once",
    }


async def test_once_delete_after_fire_with_the_trigger_already_gone(feeds: Feeds) -> None:
    await feeds.once("t", deleteAfterFire="rules")
    assert (await feeds.api.guest.call("DELETE", f"{NS}/triggers/t")).status == 200
    assert await feeds.provider.run_once() == 0  # nothing to fire, and no error
    assert await feeds.feeds.get_feed("guest", "t") is None
    assert feeds.scheduler.published == []


async def test_once_delete_after_fire_refused_at_create_and_update(feeds: Feeds) -> None:
    with pytest.raises(InvalidArgument, match="deleteAfterFire"):
        await feeds.once("t", deleteAfterFire="sometimes")
    assert await feeds.feeds.get_feed("guest", "t") is None
    await feeds.once("t")
    with pytest.raises(InvalidArgument, match="deleteAfterFire"):
        await feeds.lifecycle("UPDATE", "t", deleteAfterFire=2)
    reg = await feeds.feeds.get_feed("guest", "t")
    assert reg is not None and "deleteAfterFire" not in reg.params


async def test_once_delete_after_fire_drops_cached_entities(feeds: Feeds) -> None:
    """Through the controller's caching store the deleted keys leave its cache, as an API
    delete's do."""
    cache = CachingStore(feeds.api.store, ttl_seconds=3600)
    await feeds.once("t", deleteAfterFire="rules")
    keys = [EntityKey("guest", name) for name in ("t", "r1", "r2")]
    for key in keys:  # warm the cache
        assert await cache.get(key) is not None
    reg = await feeds.feeds.get_feed("guest", "t")
    assert reg is not None
    removed = await TriggerRemover(cache, feeds.feeds).remove(
        reg, AfterFire.DELETE_TRIGGER_AND_RULES
    )
    assert removed.trigger and removed.registration
    assert sorted(removed.rules) == ["r1", "r2"]
    for key in keys:
        assert await cache.get(key) is None
