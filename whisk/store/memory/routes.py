"""``MemoryRouteStore``: the in-memory twin of ``sql.routes.SqlRouteStore`` (same behaviour
suite, tests/store/test_route_store.py). A ``MemoryStore`` holds one as ``routes``."""

from __future__ import annotations

import copy

from whisk.store.ports import StoredApi


class MemoryRouteStore:
    def __init__(self) -> None:
        self._apis: dict[tuple[str, str], StoredApi] = {}

    async def put_api(self, api: StoredApi) -> None:
        self._apis[(api.namespace, api.base_path)] = copy.deepcopy(api)

    async def get_api(self, namespace: str, base_path: str) -> StoredApi | None:
        found = self._apis.get((namespace, base_path))
        return None if found is None else copy.deepcopy(found)

    async def list_apis(self, namespace: str) -> list[StoredApi]:
        return [copy.deepcopy(a) for k, a in sorted(self._apis.items()) if k[0] == namespace]

    async def delete_api(self, namespace: str, base_path: str) -> bool:
        return self._apis.pop((namespace, base_path), None) is not None

    async def apis_calling(self, action: str) -> list[StoredApi]:
        return [copy.deepcopy(a) for _, a in sorted(self._apis.items()) if action in a.actions]
