"""``/namespaces/{ns}/actions``: list, get, create/update, delete, invoke."""

from __future__ import annotations

from aiohttp import web

from controller.api.auth import basic_credentials, require_own, resolve_namespace
from controller.api.http import (
    controller,
    identity,
    json_response,
    read_json,
    read_json_sized,
    tid,
)
from controller.api.query import parse_bool, parse_page, parse_timeout
from controller.apigw.cleanup import forget_action
from controller.entities import existing_for_put, key_of, load, locked, save
from controller.invocation import check_payload
from controller.requests import InvocationRequest, InvokeOutcome
from controller.resolve import resolve_action, resolve_package
from controller.traffic import check_rate_limit_annotation, traffic_key
from whisk.entities.action import Action
from whisk.entities.activation import StatusCode
from whisk.entities.exec import MAX_SEQUENCE_LENGTH, SequenceExec
from whisk.entities.names import FullyQualifiedName
from whisk.errors import (
    Forbidden,
    InvalidArgument,
    NotFound,
    Unavailable,
    WrongCollection,
)
from whisk.store.ports import Collection, Delete, EntityStore, Identity

COLLECTION = "actions"
STATUS_BY_CODE = {
    StatusCode.SUCCESS: 200,
    StatusCode.APPLICATION_ERROR: 502,
    StatusCode.DEVELOPER_ERROR: 502,
    StatusCode.WHISK_ERROR: 500,
}


def request_api_key(request: web.Request) -> str | None:
    creds = basic_credentials(request.headers.get("Authorization"))
    return f"{creds[0]}:{creds[1]}" if creds else None


def _fqn(request: web.Request, namespace: str) -> FullyQualifiedName:
    info = request.match_info
    return FullyQualifiedName(namespace, info["name"], info.get("package"))


async def list_actions(request: web.Request) -> web.Response:
    ctl, who = controller(request), await identity(request)
    namespace = resolve_namespace(who, request.match_info["ns"])
    page = parse_page(
        request.query, COLLECTION, ctl.settings.list_default_limit, ctl.settings.list_max_limit
    )
    package = request.match_info.get("package")
    if package is not None:
        resolved = await resolve_package(ctl.store, who, FullyQualifiedName(namespace, package))
        namespace, package = resolved.package.fqn.namespace, resolved.package.fqn.name
        kwargs = {"package": package}
    else:
        if namespace != who.namespace:
            raise Forbidden()
        kwargs = {"all_packages": True}
    if page.count:
        total = await ctl.store.count(namespace, Collection.ACTIONS, **kwargs)  # type: ignore[arg-type]
        return json_response({COLLECTION: total})
    stored = await ctl.store.list(
        namespace,
        Collection.ACTIONS,
        skip=page.skip,
        limit=page.limit,
        **kwargs,  # type: ignore[arg-type]
    )
    return json_response([Action.from_stored(s.doc, s.updated).summary_json() for s in stored])


async def get_action(request: web.Request) -> web.Response:
    ctl, who = controller(request), await identity(request)
    fqn = _fqn(request, resolve_namespace(who, request.match_info["ns"]))
    resolved = await resolve_action(ctl.store, who, fqn)
    include_code = parse_bool(request.query, "code", default=True)
    body = resolved.action.to_json(include_code=include_code)
    if resolved.package is not None and resolved.package.binding is not None:
        body["parameters"] = resolved.parameters.to_json()
    if parse_bool(request.query, "stats"):
        body["stats"] = ctl.traffic.snapshot(traffic_key(resolved.action.fqn))
    return json_response(body)


async def put_action(request: web.Request) -> web.Response:
    ctl, who = controller(request), await identity(request)
    fqn = _fqn(request, require_own(who, request.match_info["ns"]))
    overwrite = parse_bool(request.query, "overwrite")
    body = await read_json(request)
    if fqn.package is not None:
        package_fqn = FullyQualifiedName(fqn.namespace, fqn.package)
        package = await load(ctl.store, Collection.PACKAGES, package_fqn)
        if package.entity.is_binding:
            raise InvalidArgument("Operation not permitted on package binding.")
    previous = await existing_for_put(ctl.store, Collection.ACTIONS, fqn, overwrite)
    action = Action.from_put(fqn, body, ctl.rules_for(who), previous.entity if previous else None)
    problem = check_rate_limit_annotation(action.annotations)
    if problem is not None:
        raise InvalidArgument(problem)
    if isinstance(action.exec, SequenceExec):
        await check_sequence(ctl.store, who, action)
    action = locked(action, ctl.settings.parameter_encryption)
    stored = await save(ctl.store, Collection.ACTIONS, action, previous)
    return json_response(stored.to_json())


async def delete_action(request: web.Request) -> web.Response:
    ctl, who = controller(request), await identity(request)
    fqn = _fqn(request, require_own(who, request.match_info["ns"]))
    loaded = await load(ctl.store, Collection.ACTIONS, fqn)
    await ctl.store.delete(Delete(key_of(fqn), loaded.revision))
    await forget_action(ctl.persistence.routes, fqn.namespace, fqn.package, fqn.name)  # its routes
    return json_response(loaded.entity.to_json())


async def invoke_action(request: web.Request) -> web.StreamResponse:
    ctl, who = controller(request), await identity(request)
    fqn = _fqn(request, resolve_namespace(who, request.match_info["ns"]))
    query = request.query
    blocking = parse_bool(query, "blocking")
    result_only = parse_bool(query, "result")
    timeout = parse_timeout(query, ctl.settings.max_blocking_wait_ms)
    limits = ctl.limits_for(who)
    body, size = await read_json_sized(request)
    payload = check_payload(body, limits.max_payload_bytes, size)
    resolved = await resolve_action(ctl.store, who, fqn)  # entitlement before availability
    runner = ctl.runner
    if runner is None:
        raise Unavailable(
            "Invocation is not available: this controller has no invocation path configured."
        )
    outcome = await runner.run(
        InvocationRequest(
            identity=who,
            limits=limits,
            resolved=resolved,
            payload=payload,
            blocking=blocking,
            wait_ms=timeout,
            tid=tid(request),
            api_key=request_api_key(request),
        )
    )
    return render_outcome(outcome, result_only)


def render_outcome(outcome: InvokeOutcome, result_only: bool) -> web.Response:
    """200 success; 502 application or developer error; 500 whisk error; 202 not finished.

    As OpenWhisk, a result that is a JSON array is the whole body (with or without
    ``result=true``); otherwise the body is the activation, or its result with ``result=true``.
    """
    headers = {"x-openwhisk-activation-id": outcome.activation_id}
    activation = outcome.activation
    if activation is None or activation.response is None:
        return json_response({"activationId": outcome.activation_id}, 202, headers)
    status = STATUS_BY_CODE[activation.response.status_code]
    result = activation.response.result
    if isinstance(result, list):
        return json_response(result, status, headers)
    body = activation.to_extended_json()
    return json_response(body["response"]["result"] if result_only else body, status, headers)


async def check_sequence(store: EntityStore, who: Identity, sequence: Action) -> None:
    """Every component exists, the sequence does not contain itself, and it is at most
    ``MAX_SEQUENCE_LENGTH`` atomic actions long once nested sequences are inlined."""
    assert isinstance(sequence.exec, SequenceExec)

    async def atomic_count(components: tuple[FullyQualifiedName, ...], seen: frozenset[str]) -> int:
        total = 0
        for component in components:
            if str(component) in seen:
                raise InvalidArgument("Sequence may not refer to itself.")
            try:
                action = (await resolve_action(store, who, component)).action
            except (NotFound, Forbidden, WrongCollection):
                raise InvalidArgument("Sequence component does not exist.") from None
            if isinstance(action.exec, SequenceExec):
                total += await atomic_count(action.exec.components, seen | {str(action.fqn)})
            else:
                total += 1
            if total > MAX_SEQUENCE_LENGTH:
                raise InvalidArgument("Too many actions in the sequence.")
        return total

    await atomic_count(sequence.exec.components, frozenset({str(sequence.fqn)}))


def add_routes(app: web.Application) -> None:
    base = "/api/v1/namespaces/{ns}/actions"
    app.router.add_get(base, list_actions)
    app.router.add_get(base + "/", list_actions)
    app.router.add_get(base + "/{package}/", list_actions)
    for path in (base + "/{name}", base + "/{package}/{name}"):
        app.router.add_get(path, get_action)
        app.router.add_put(path, put_action)
        app.router.add_delete(path, delete_action)
        app.router.add_post(path, invoke_action)
