"""``/namespaces/{ns}/activations``: list (filters, paging, count, docs), get, result, logs.

As OpenWhisk, an activation that has not finished does not exist here yet: a get of its id (and
of its logs and result) answers 404, and lists and counts leave it out. ``?pending=true`` (our
extension) shows the pending records Whisk writes at acceptance: ``"response": {"status":
"pending", "success": false}``, no ``end``.
"""

from __future__ import annotations

from aiohttp import web

from controller.api.auth import require_own
from controller.api.http import controller, identity, json_response
from controller.api.query import malformed, parse_bool, parse_epoch, parse_page
from whisk.entities import messages as ow
from whisk.entities.activation import Activation, ActivationId
from whisk.entities.names import check_name
from whisk.errors import InvalidArgument, NotFound
from whisk.store.ports import ActivationQuery

COLLECTION = "activations"
PENDING = "pending"  # query parameter: include records of activations still running


def _name_filter(raw: str | None) -> tuple[str | None, str | None]:
    """``name`` is ``action`` or ``package/action`` -> (package, name); given empty, it is
    malformed (as every other query parameter)."""
    if raw is None:
        return None, None
    parts = raw.split("/")
    try:
        if len(parts) > 2:
            raise InvalidArgument("too many segments")
        for part in parts:
            check_name(part)
    except InvalidArgument:
        raise malformed("name", ow.bad_name_filter(raw)) from None
    return (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])


async def list_activations(request: web.Request) -> web.Response:
    ctl, who = controller(request), await identity(request)
    namespace = require_own(who, request.match_info["ns"])
    query = request.query
    settings = ctl.settings
    page = parse_page(query, COLLECTION, settings.list_default_limit, settings.list_max_limit)
    docs = parse_bool(query, "docs")
    if page.count and docs:
        raise InvalidArgument(ow.DOCS_NOT_ALLOWED_WITH_COUNT)
    package, name = _name_filter(query.get("name"))
    since, upto = parse_epoch(query, "since"), parse_epoch(query, "upto")
    if since is not None and upto is not None and since > upto:
        raise InvalidArgument(f"The parameter 'since' ({since}) is after 'upto' ({upto}).")
    filters = ActivationQuery(
        namespace=namespace,
        name=name,
        package=package,
        since=since,
        upto=upto,
        skip=page.skip,
        limit=page.limit,
        include_pending=parse_bool(query, PENDING),
    )
    if page.count:
        return json_response({COLLECTION: await ctl.store.count_activations(filters)})
    records = await ctl.store.list_activations(filters)
    activations = [Activation.from_stored_doc(r.doc) for r in records]
    return json_response([a.to_extended_json() if docs else a.summary_json() for a in activations])


async def _load(request: web.Request) -> Activation:
    ctl, who = controller(request), await identity(request)
    namespace = require_own(who, request.match_info["ns"])
    activation_id = ActivationId(request.match_info["id"])
    record = await ctl.store.get_activation(namespace, str(activation_id))
    if record is None or (record.status_code is None and not parse_bool(request.query, PENDING)):
        raise NotFound()
    return Activation.from_stored_doc(record.doc)


async def get_activation(request: web.Request) -> web.Response:
    return json_response((await _load(request)).to_extended_json())


async def get_result(request: web.Request) -> web.Response:
    return json_response((await _load(request)).to_extended_json()["response"])


async def get_logs(request: web.Request) -> web.Response:
    return json_response({"logs": (await _load(request)).logs})


def add_routes(app: web.Application) -> None:
    base = "/api/v1/namespaces/{ns}/activations"
    app.router.add_get(base, list_activations)
    app.router.add_get(base + "/", list_activations)
    app.router.add_get(base + "/{id}", get_activation)
    app.router.add_get(base + "/{id}/result", get_result)
    app.router.add_get(base + "/{id}/logs", get_logs)
