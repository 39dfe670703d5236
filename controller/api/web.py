"""``/api/v1/web/{ns}/{pkg}/{action}[.ext][/path]``: web actions, for any HTTP client.

No key is needed: the action must be annotated ``web-export``, and it runs as its owner's
identity (the owner's limits and throttles). ``require-whisk-auth`` may ask for a Whisk key
or a shared secret. The decisions are in ``controller/webactions/``; here we only read the
request, invoke (always blocking) and write the response, with CORS headers on every answer
unless the action handles OPTIONS itself (``web-custom-options``).
"""

from __future__ import annotations

import structlog
from aiohttp import web
from multidict import CIMultiDict

from controller.api.errors import error_response, translate
from controller.api.http import AUTH_KEY, controller, metrics_of, route_of, tid, too_large
from controller.context import Controller
from controller.requests import InvocationRequest
from controller.resolve import ResolvedAction, resolve_action
from controller.traffic import traffic_key
from controller.webactions.auth import AuthKind, auth_requirement
from controller.webactions.cors import cors_headers
from controller.webactions.paths import WebPath, parse_web_path
from controller.webactions.request import METHODS, WebRequest, build_input
from controller.webactions.response import NOT_READY, WebResponse, render_activation
from whisk.entities.names import FullyQualifiedName
from whisk.errors import (
    Forbidden,
    InvalidArgument,
    NotFound,
    PayloadTooLarge,
    Unauthenticated,
    Unavailable,
    WhiskError,
    WrongCollection,
)
from whisk.store.ports import Identity

log = structlog.get_logger(__name__)

ACTIVATION_HEADER = "x-openwhisk-activation-id"
SECRET_HEADER = "X-Require-Whisk-Auth"


class _Reply:
    """Headers every answer to this request carries, errors included."""

    def __init__(self, request: web.Request) -> None:
        self.headers: dict[str, str] = cors_headers(
            request.headers.get("Access-Control-Request-Headers")
        )

    def error(self, request: web.Request, exc: WhiskError) -> web.Response:
        status = translate(exc, route_of(request), metrics_of(request))
        if status >= 500:
            log.warning("web action failed", status=status, error=exc.message)
        return error_response(status, exc.message, tid(request), self.headers)


async def web_action(request: web.Request) -> web.StreamResponse:
    reply = _Reply(request)
    try:
        return await _serve(request, reply)
    except WhiskError as exc:
        return reply.error(request, exc)


async def _serve(request: web.Request, reply: _Reply) -> web.StreamResponse:
    if request.method not in METHODS:
        raise web.HTTPMethodNotAllowed(request.method, sorted(METHODS))
    ctl = controller(request)
    path = parse_web_path(request.match_info["path"])
    owner, resolved = await _load(ctl, path)
    notes = resolved.action.annotations
    key = traffic_key(resolved.action.fqn)
    await ctl.traffic.admit("web action", key, notes)  # counts its own 429s
    with ctl.traffic.counting(key) as counted:
        response = await _run(request, reply, ctl, path, owner, resolved)
        counted.failed = response.status >= 500
    return response


async def _run(
    request: web.Request,
    reply: _Reply,
    ctl: Controller,
    path: WebPath,
    owner: Identity,
    resolved: ResolvedAction,
) -> web.StreamResponse:
    notes = resolved.action.annotations
    if notes.is_truthy("web-custom-options"):
        reply.headers = {}
    elif request.method == "OPTIONS":
        return web.Response(status=200, headers=reply.headers)
    user = await _check_caller(request, notes.get("require-whisk-auth"))
    limits = ctl.limits_for(owner)
    body = await _read_body(request, limits.max_payload_bytes)
    payload = build_input(
        WebRequest(
            method=request.method,
            headers=tuple(request.headers.items()),
            query_string=request.query_string,
            body=body,
            extra_path=path.extra_path,
            user=user,
        ),
        raw=notes.is_truthy("raw-http"),
        final=notes.is_truthy("final"),
        defined=resolved.parameters.keys(),
    )
    runner = ctl.runner
    if runner is None:
        raise Unavailable()
    outcome = await runner.run(
        InvocationRequest(
            identity=owner,
            limits=limits,
            resolved=resolved,
            payload=payload,
            blocking=True,
            wait_ms=None,
            tid=tid(request),
        )
    )
    reply.headers[ACTIVATION_HEADER] = outcome.activation_id
    activation = outcome.activation
    if activation is None or activation.response is None:
        return error_response(202, NOT_READY, tid(request), reply.headers)
    rendered = render_activation(
        path.extension,
        path.extra_path,
        activation.response.status_code,
        activation.response.result,
    )
    return _to_aiohttp(rendered, reply.headers)


async def _load(ctl: Controller, path: WebPath) -> tuple[Identity, ResolvedAction]:
    """The owner's identity and the action, which must exist and be web-exported."""
    owner = await ctl.store.get_identity(path.namespace)
    if owner is None:
        raise NotFound()
    if owner.blocked:
        raise Forbidden()
    try:
        fqn = FullyQualifiedName(path.namespace, path.action, path.package)
    except InvalidArgument:
        raise NotFound() from None
    try:
        resolved = await resolve_action(ctl.store, owner, fqn)
    except (Forbidden, WrongCollection):  # e.g. an unshared binding, a package: as if missing
        raise NotFound() from None
    if not resolved.action.annotations.is_truthy("web-export"):
        raise NotFound()
    return owner, resolved


async def _check_caller(request: web.Request, annotation: object) -> str | None:
    """``require-whisk-auth``: 401 unless satisfied; the caller's namespace for a key."""
    requirement = auth_requirement(annotation)
    if requirement.kind is AuthKind.IDENTITY:
        return (await request.app[AUTH_KEY].identify(request)).namespace
    if requirement.kind is AuthKind.SECRET and not requirement.secret_matches(
        request.headers.get(SECRET_HEADER)
    ):
        raise Unauthenticated()
    return None


async def _read_body(request: web.Request, max_bytes: int) -> bytes:
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise too_large(request) from exc
    if len(body) > max_bytes:
        raise PayloadTooLarge(f"Request larger than allowed: {len(body)} > {max_bytes} bytes.")
    return body


def _to_aiohttp(rendered: WebResponse, extra: dict[str, str]) -> web.Response:
    headers: CIMultiDict[str] = CIMultiDict(rendered.headers)
    if rendered.content_type is not None:
        headers["Content-Type"] = rendered.content_type
    for name, value in extra.items():
        if name not in headers:
            headers[name] = value
    return web.Response(status=rendered.status, body=rendered.body or None, headers=headers)


def add_routes(app: web.Application) -> None:
    app.router.add_route("*", "/api/v1/web/{path:.*}", web_action)
