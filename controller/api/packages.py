"""``/namespaces/{ns}/packages``: list, get (with actions and feeds), create/update/bind,
delete (``force`` removes contained actions in the same transaction)."""

from __future__ import annotations

from aiohttp import web

from controller.api.auth import require_own, resolve_namespace
from controller.api.http import controller, identity, json_response, read_json
from controller.api.query import parse_bool, parse_page
from controller.entities import existing_for_put, key_of, load, locked, save
from controller.resolve import resolve_package
from whisk.entities import messages as ow
from whisk.entities.action import Action
from whisk.entities.names import FullyQualifiedName, check_package_name
from whisk.entities.package import Package
from whisk.errors import Conflict, Forbidden, InvalidArgument, NotEmpty
from whisk.store.ports import Collection, Delete

COLLECTION = "packages"


def _fqn(request: web.Request, namespace: str) -> FullyQualifiedName:
    return FullyQualifiedName(namespace, check_package_name(request.match_info["name"]))


async def list_packages(request: web.Request) -> web.Response:
    ctl, who = controller(request), await identity(request)
    namespace = resolve_namespace(who, request.match_info["ns"])
    page = parse_page(
        request.query, COLLECTION, ctl.settings.list_default_limit, ctl.settings.list_max_limit
    )
    if namespace == who.namespace:
        if page.count:
            return json_response(
                {COLLECTION: await ctl.store.count(namespace, Collection.PACKAGES)}
            )
        stored = await ctl.store.list(
            namespace, Collection.PACKAGES, skip=page.skip, limit=page.limit
        )
        packages = [Package.from_stored(s.doc, s.updated) for s in stored]
    else:  # another namespace: only what it publishes
        stored = await ctl.store.list(namespace, Collection.PACKAGES, limit=None)
        decoded = (Package.from_stored(s.doc, s.updated) for s in stored)
        published = [p for p in decoded if p.publish]
        if page.count:
            return json_response({COLLECTION: len(published)})
        packages = published[page.skip : page.skip + page.limit]
    return json_response([p.summary_json() for p in packages])


async def get_package(request: web.Request) -> web.Response:
    ctl, who = controller(request), await identity(request)
    fqn = _fqn(request, resolve_namespace(who, request.match_info["ns"]))
    resolved = await resolve_package(ctl.store, who, fqn)
    shown = resolved.binding or resolved.package
    body = shown.to_json()
    body["parameters"] = resolved.parameters.to_json()
    contents = await ctl.store.list(
        resolved.package.fqn.namespace,
        Collection.ACTIONS,
        package=resolved.package.fqn.name,
        limit=None,
    )
    actions = [Action.from_stored(s.doc, s.updated) for s in contents]
    body["actions"] = [_member(a) for a in actions if "feed" not in a.annotations]
    body["feeds"] = [_member(a) for a in actions if "feed" in a.annotations]
    return json_response(body)


def _member(action: Action) -> dict[str, object]:
    return {
        "name": action.fqn.name,
        "version": str(action.version),
        "annotations": action.annotations.to_json(),
    }


async def put_package(request: web.Request) -> web.Response:
    ctl, who = controller(request), await identity(request)
    fqn = _fqn(request, require_own(who, request.match_info["ns"]))
    overwrite = parse_bool(request.query, "overwrite")
    body = await read_json(request)
    previous = await existing_for_put(ctl.store, Collection.PACKAGES, fqn, overwrite)
    package = Package.from_put(fqn, body, ctl.rules_for(who), previous.entity if previous else None)
    if package.binding is not None:
        await _check_binding(request, package)
    package = locked(package, ctl.settings.parameter_encryption)
    stored = await save(ctl.store, Collection.PACKAGES, package, previous)
    return json_response(stored.to_json())


async def _check_binding(request: web.Request, package: Package) -> None:
    ctl, who = controller(request), await identity(request)
    assert package.binding is not None
    target_stored = await ctl.store.get(key_of(package.binding.fqn))
    if target_stored is None:
        raise InvalidArgument(ow.BINDING_DOES_NOT_EXIST)
    if target_stored.collection != Collection.PACKAGES:
        raise Conflict(ow.REQUESTED_BINDING_IS_NOT_VALID)
    target = Package.from_stored(target_stored.doc)
    if target.is_binding:
        raise InvalidArgument(ow.BINDING_CANNOT_REFERENCE_BINDING)
    if target.fqn.namespace != who.namespace and not target.publish:
        raise Forbidden()
    if target.fqn == package.fqn:
        raise InvalidArgument("A package cannot be bound to itself.")


async def delete_package(request: web.Request) -> web.Response:
    ctl, who = controller(request), await identity(request)
    fqn = _fqn(request, require_own(who, request.match_info["ns"]))
    force = parse_bool(request.query, "force")
    loaded = await load(ctl.store, Collection.PACKAGES, fqn)
    contents = await ctl.store.list(fqn.namespace, Collection.ACTIONS, package=fqn.name, limit=None)
    if contents and not force:
        n = len(contents)
        raise NotEmpty(
            f"Package not empty (contains {n} {'entity' if n == 1 else 'entities'}). "
            "Set force param or delete package contents."
        )
    writes = [Delete(s.key, s.revision) for s in contents]
    writes.append(Delete(key_of(fqn), loaded.revision))
    await ctl.store.commit(writes)
    return json_response(loaded.entity.to_json())


def add_routes(app: web.Application) -> None:
    base = "/api/v1/namespaces/{ns}/packages"
    app.router.add_get(base, list_packages)
    app.router.add_get(base + "/", list_packages)
    path = base + "/{name}"
    app.router.add_get(path, get_package)
    app.router.add_put(path, put_package)
    app.router.add_delete(path, delete_package)
