"""``MemoryFeedStore``: the in-memory twin of ``sql.feeds.SqlFeedStore`` (same behaviour suite,
tests/store/test_feed_store.py). A ``MemoryStore`` holds one as ``feeds``. Every method runs
without awaiting in between, so each is atomic on the event loop."""

from __future__ import annotations

import copy
import dataclasses

from whisk.store.clock import wall_clock_ms
from whisk.store.ports import FeedRegistration, FeedStatus


class MemoryFeedStore:
    def __init__(self) -> None:
        self._feeds: dict[tuple[str, str], FeedRegistration] = {}

    async def put_feed(self, registration: FeedRegistration) -> None:
        self._feeds[(registration.namespace, registration.trigger)] = copy.deepcopy(registration)

    async def get_feed(self, namespace: str, trigger: str) -> FeedRegistration | None:
        found = self._feeds.get((namespace, trigger))
        return None if found is None else copy.deepcopy(found)

    async def delete_feed(self, namespace: str, trigger: str) -> bool:
        return self._feeds.pop((namespace, trigger), None) is not None

    async def list_feeds(
        self, provider: str, status: FeedStatus | None = None
    ) -> list[FeedRegistration]:
        found = [
            copy.deepcopy(f)
            for f in self._feeds.values()
            if f.provider == provider and (status is None or f.status == status)
        ]
        return sorted(found, key=lambda f: f.registration_id)

    async def due_feeds(
        self, provider: str, now_ms: int, limit: int = 100
    ) -> list[FeedRegistration]:
        due = [
            copy.deepcopy(f)
            for f in self._feeds.values()
            if f.provider == provider
            and f.status == FeedStatus.ACTIVE
            and f.next_fire_ms is not None
            and f.next_fire_ms <= now_ms
            and f.lease_expiry_ms <= now_ms
        ]
        due.sort(key=lambda f: (f.next_fire_ms or 0, f.registration_id))
        return due[:limit]

    async def claim_feed(
        self,
        registration: FeedRegistration,
        *,
        next_fire_ms: int | None,
        status: FeedStatus,
        owner: str,
        lease_expiry_ms: int,
        now_ms: int,
        reason: str = "",
    ) -> bool:
        key = (registration.namespace, registration.trigger)
        current = self._feeds.get(key)
        if (
            current is None
            or current.registration_id != registration.registration_id
            or current.status != FeedStatus.ACTIVE
            or current.next_fire_ms is None
            or current.next_fire_ms != registration.next_fire_ms
            or current.lease_expiry_ms > now_ms
        ):
            return False
        self._feeds[key] = dataclasses.replace(
            current,
            next_fire_ms=next_fire_ms,
            status=status,
            fires=current.fires + 1,
            lease_owner=owner,
            lease_expiry_ms=lease_expiry_ms,
        )
        if status != FeedStatus.ACTIVE:
            self._feeds[key] = dataclasses.replace(
                self._feeds[key], reason=reason, changed_ms=now_ms
            )
        return True

    async def release_feed(self, registration_id: str, owner: str) -> None:
        for key, feed in self._feeds.items():
            if feed.registration_id == registration_id and feed.lease_owner == owner:
                self._feeds[key] = dataclasses.replace(feed, lease_expiry_ms=0)

    async def set_feed_status(
        self,
        registration_id: str,
        status: FeedStatus,
        reason: str = "",
        changed_ms: int | None = None,
    ) -> None:
        when = wall_clock_ms() if changed_ms is None else changed_ms
        for key, feed in self._feeds.items():
            if feed.registration_id == registration_id:
                self._feeds[key] = dataclasses.replace(
                    feed, status=status, reason=reason, changed_ms=when
                )
