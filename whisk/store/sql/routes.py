"""``SqlRouteStore``: the API gateway's APIs in the shared database (the ``RouteStore`` port),
so that every controller serves the same routes.

``actions`` is kept as text, one action name per line between newlines (``\\n/ns/a\\n``), so
that "the APIs calling this action" is a portable ``LIKE`` (escaped) on any database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, delete, select
from sqlalchemy.engine import Connection

from whisk.store.ports import StoredApi
from whisk.store.sql.store import SqlStore
from whisk.store.sql.tables import api_routes as apis


def _joined(actions: tuple[str, ...]) -> str:
    return "\n" + "".join(f"{name}\n" for name in actions)


def _api(row: Row[Any]) -> StoredApi:
    return StoredApi(
        namespace=row.namespace,
        base_path=row.base_path,
        name=row.name,
        swagger=dict(row.swagger),
        actions=tuple(name for name in row.actions.split("\n") if name),
        updated_ms=row.updated_ms,
    )


class SqlRouteStore:
    def __init__(self, store: SqlStore) -> None:
        self._store = store

    async def put_api(self, api: StoredApi) -> None:
        values = {
            "namespace": api.namespace,
            "base_path": api.base_path,
            "name": api.name,
            "swagger": api.swagger,
            "actions": _joined(api.actions),
            "updated_ms": api.updated_ms,
        }
        same = delete(apis).where(
            apis.c.namespace == api.namespace, apis.c.base_path == api.base_path
        )

        def work(conn: Connection) -> None:
            conn.execute(same)
            conn.execute(apis.insert().values(**values))

        await self._store.transaction(work)

    async def get_api(self, namespace: str, base_path: str) -> StoredApi | None:
        query = select(apis).where(apis.c.namespace == namespace, apis.c.base_path == base_path)

        def work(conn: Connection) -> StoredApi | None:
            row = conn.execute(query).first()
            return None if row is None else _api(row)

        return await self._store.read(work)  # type: ignore[no-any-return]

    async def list_apis(self, namespace: str) -> list[StoredApi]:
        query = select(apis).where(apis.c.namespace == namespace).order_by(apis.c.base_path)
        return await self._store.read(  # type: ignore[no-any-return]
            lambda conn: [_api(r) for r in conn.execute(query)]
        )

    async def delete_api(self, namespace: str, base_path: str) -> bool:
        statement = delete(apis).where(apis.c.namespace == namespace, apis.c.base_path == base_path)
        count = await self._store.write_one(lambda conn: conn.execute(statement).rowcount)
        return bool(count)

    async def apis_calling(self, action: str) -> list[StoredApi]:
        query = (
            select(apis)
            .where(apis.c.actions.contains(f"\n{action}\n", autoescape=True))
            .order_by(apis.c.namespace, apis.c.base_path)
        )
        return await self._store.read(  # type: ignore[no-any-return]
            lambda conn: [_api(r) for r in conn.execute(query)]
        )
