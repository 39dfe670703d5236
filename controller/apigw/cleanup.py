"""Routes go away with their action: after an action is deleted, every operation of any API
that calls it is removed (and an API left with no path is deleted, as ``api delete`` does)."""

from __future__ import annotations

from typing import Any

import structlog

from controller.apigw import swagger as sw
from controller.apigw.management import store_edited
from whisk.store.ports import RouteStore

log = structlog.get_logger(__name__)


def _operations_calling(doc: dict[str, Any], action: str) -> list[tuple[str, str]]:
    targets = sw.target_urls(doc)
    found: list[tuple[str, str]] = []
    for path, item in (doc.get("paths") or {}).items():
        for method, op in (item or {}).items():
            if method == "parameters" or not isinstance(op, dict):
                continue
            url = targets.get(str(op.get("operationId"))) or (op.get("x-openwhisk") or {}).get(
                "url"
            )
            parsed = sw.web_path_of(url) if isinstance(url, str) else None
            if parsed is None:
                continue
            ns, package, name, _ = parsed
            if (f"/{ns}/{package}/{name}" if package else f"/{ns}/{name}") == action:
                found.append((path, method))
    return found


async def forget_action(routes: RouteStore, namespace: str, package: str | None, name: str) -> int:
    """Remove the routes to ``/namespace[/package]/name``; returns how many APIs changed."""
    action = f"/{namespace}/{package}/{name}" if package else f"/{namespace}/{name}"
    changed = 0
    for api in await routes.apis_calling(action):
        doc: dict[str, Any] = api.swagger
        for path, method in _operations_calling(doc, action):
            edited = sw.remove_endpoint(doc, path, method)
            if not isinstance(edited, str):
                doc = edited
        await store_edited(routes, api, doc)
        changed += 1
    if changed:
        log.info("removed the routes of a deleted action", action=action, apis=changed)
    return changed
