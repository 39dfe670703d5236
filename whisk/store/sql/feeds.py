"""``SqlFeedStore``: feed registrations in the shared database (the ``FeedStore`` port), so that
every controller sees the same registrations and claims each due fire exactly once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.engine import Connection

from whisk.store.clock import wall_clock_ms
from whisk.store.ports import FeedRegistration, FeedStatus
from whisk.store.sql.store import SqlStore
from whisk.store.sql.tables import feed_registrations as feeds


def _row_of(reg: FeedRegistration) -> dict[str, Any]:
    return {
        "id": reg.registration_id,
        "provider": reg.provider,
        "feed": reg.feed,
        "namespace": reg.namespace,
        "trigger": reg.trigger,
        "params": reg.params,
        "status": reg.status.value,
        "next_fire_ms": reg.next_fire_ms,
        "fires": reg.fires,
        "reason": reg.reason,
        "created_ms": reg.created_ms,
        "changed_ms": reg.changed_ms,
        "lease_owner": reg.lease_owner,
        "lease_expiry_ms": reg.lease_expiry_ms,
    }


def _registration(row: Row[Any]) -> FeedRegistration:
    return FeedRegistration(
        registration_id=row.id,
        provider=row.provider,
        feed=row.feed,
        namespace=row.namespace,
        trigger=row.trigger,
        params=dict(row.params),
        status=FeedStatus(row.status),
        next_fire_ms=row.next_fire_ms,
        fires=row.fires,
        reason=row.reason,
        created_ms=row.created_ms,
        changed_ms=row.changed_ms,
        lease_owner=row.lease_owner,
        lease_expiry_ms=row.lease_expiry_ms,
    )


class SqlFeedStore:
    def __init__(self, store: SqlStore) -> None:
        self._store = store

    async def put_feed(self, registration: FeedRegistration) -> None:
        values = _row_of(registration)
        same_trigger = delete(feeds).where(
            feeds.c.namespace == registration.namespace, feeds.c.trigger == registration.trigger
        )

        def work(conn: Connection) -> None:
            conn.execute(same_trigger)
            conn.execute(delete(feeds).where(feeds.c.id == registration.registration_id))
            conn.execute(feeds.insert().values(**values))

        await self._store.transaction(work)

    async def get_feed(self, namespace: str, trigger: str) -> FeedRegistration | None:
        query = select(feeds).where(feeds.c.namespace == namespace, feeds.c.trigger == trigger)

        def work(conn: Connection) -> FeedRegistration | None:
            row = conn.execute(query).first()
            return None if row is None else _registration(row)

        return await self._store.read(work)  # type: ignore[no-any-return]

    async def delete_feed(self, namespace: str, trigger: str) -> bool:
        statement = delete(feeds).where(feeds.c.namespace == namespace, feeds.c.trigger == trigger)
        count = await self._store.write_one(lambda conn: conn.execute(statement).rowcount)
        return bool(count)

    async def list_feeds(
        self, provider: str, status: FeedStatus | None = None
    ) -> list[FeedRegistration]:
        query = select(feeds).where(feeds.c.provider == provider).order_by(feeds.c.id)
        if status is not None:
            query = query.where(feeds.c.status == status.value)
        return await self._store.read(  # type: ignore[no-any-return]
            lambda conn: [_registration(r) for r in conn.execute(query)]
        )

    async def due_feeds(
        self, provider: str, now_ms: int, limit: int = 100
    ) -> list[FeedRegistration]:
        query = (
            select(feeds)
            .where(
                feeds.c.provider == provider,
                feeds.c.status == FeedStatus.ACTIVE.value,
                feeds.c.next_fire_ms.is_not(None),
                feeds.c.next_fire_ms <= now_ms,
                feeds.c.lease_expiry_ms <= now_ms,
            )
            .order_by(feeds.c.next_fire_ms, feeds.c.id)
            .limit(limit)
        )
        return await self._store.read(  # type: ignore[no-any-return]
            lambda conn: [_registration(r) for r in conn.execute(query)]
        )

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
        if registration.next_fire_ms is None:
            return False
        changed = {} if status == FeedStatus.ACTIVE else {"reason": reason, "changed_ms": now_ms}
        statement = (
            update(feeds)
            .where(
                feeds.c.id == registration.registration_id,
                feeds.c.status == FeedStatus.ACTIVE.value,
                feeds.c.next_fire_ms == registration.next_fire_ms,
                feeds.c.lease_expiry_ms <= now_ms,
            )
            .values(
                next_fire_ms=next_fire_ms,
                status=status.value,
                fires=feeds.c.fires + 1,
                lease_owner=owner,
                lease_expiry_ms=lease_expiry_ms,
                **changed,
            )
        )
        count = await self._store.write_one(lambda conn: conn.execute(statement).rowcount)
        return bool(count == 1)

    async def release_feed(self, registration_id: str, owner: str) -> None:
        statement = (
            update(feeds)
            .where(feeds.c.id == registration_id, feeds.c.lease_owner == owner)
            .values(lease_expiry_ms=0)
        )
        await self._store.write_one(lambda conn: conn.execute(statement))

    async def set_feed_status(
        self,
        registration_id: str,
        status: FeedStatus,
        reason: str = "",
        changed_ms: int | None = None,
    ) -> None:
        when = wall_clock_ms() if changed_ms is None else changed_ms
        statement = (
            update(feeds)
            .where(feeds.c.id == registration_id)
            .values(status=status.value, reason=reason, changed_ms=when)
        )
        await self._store.write_one(lambda conn: conn.execute(statement))
