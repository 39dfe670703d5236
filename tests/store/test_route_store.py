"""One behaviour suite for the API gateway's APIs: memory, SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from whisk.store.ports import Persistence, StoredApi


def api(**overrides: Any) -> StoredApi:
    values: dict[str, Any] = {
        "namespace": "guest",
        "base_path": "/hello",
        "name": "Hello API",
        "swagger": {"swagger": "2.0", "basePath": "/hello", "paths": {"/world": {"get": {}}}},
        "actions": ("/guest/hello",),
        "updated_ms": 1_000,
    }
    values.update(overrides)
    return StoredApi(**values)


async def test_route_store_puts_gets_and_deletes_by_base_path(persistence: Persistence) -> None:
    routes = persistence.routes
    await routes.put_api(api())
    assert await routes.get_api("guest", "/hello") == api()
    assert await routes.get_api("guest", "/other") is None
    assert await routes.get_api("other", "/hello") is None
    assert await routes.delete_api("guest", "/hello") is True
    assert await routes.delete_api("guest", "/hello") is False
    assert await routes.get_api("guest", "/hello") is None


async def test_route_store_put_replaces_the_api_of_the_base_path(persistence: Persistence) -> None:
    routes = persistence.routes
    await routes.put_api(api())
    await routes.put_api(api(name="Renamed", actions=("/guest/a", "/guest/p/b"), updated_ms=2))
    found = await routes.get_api("guest", "/hello")
    assert found is not None
    assert (found.name, found.actions, found.updated_ms) == (
        "Renamed",
        ("/guest/a", "/guest/p/b"),
        2,
    )
    assert len(await routes.list_apis("guest")) == 1


async def test_route_store_lists_a_namespaces_apis_by_base_path(persistence: Persistence) -> None:
    routes = persistence.routes
    await routes.put_api(api(base_path="/zoo"))
    await routes.put_api(api(base_path="/club"))
    await routes.put_api(api(namespace="other", base_path="/mine"))
    assert [a.base_path for a in await routes.list_apis("guest")] == ["/club", "/zoo"]
    assert [a.base_path for a in await routes.list_apis("other")] == ["/mine"]
    assert await routes.list_apis("nobody") == []


async def test_route_store_finds_the_apis_calling_an_action_exactly(
    persistence: Persistence,
) -> None:
    # given actions whose names are prefixes of, or LIKE wildcards for, one another
    routes = persistence.routes
    await routes.put_api(api(base_path="/a", actions=("/guest/hello", "/guest/p/x_y")))
    await routes.put_api(api(base_path="/b", actions=("/guest/hello2",)))
    await routes.put_api(api(namespace="other", base_path="/c", actions=("/guest/hello",)))
    await routes.put_api(api(base_path="/d", actions=()))
    calling = await routes.apis_calling("/guest/hello")
    assert [(a.namespace, a.base_path) for a in calling] == [("guest", "/a"), ("other", "/c")]
    assert [a.base_path for a in await routes.apis_calling("/guest/p/x_y")] == ["/a"]
    assert await routes.apis_calling("/guest/p/x%y") == []
    assert await routes.apis_calling("/guest/p/xzy") == []
    assert await routes.apis_calling("/guest/hell") == []


async def test_route_store_keeps_the_document_as_given(persistence: Persistence) -> None:
    doc = {
        "swagger": "2.0",
        "basePath": "/club",
        "info": {"title": "Book Club", "version": "1.0.0"},
        "paths": {"/books/{isbn}": {"get": {"parameters": [{"name": "isbn", "in": "path"}]}}},
        "x-ibm-configuration": {"cors": {"enabled": False}},
    }
    routes = persistence.routes
    await routes.put_api(api(base_path="/club", swagger=doc))
    found = await routes.get_api("guest", "/club")
    assert found is not None and found.swagger == doc
