"""OpenWhisk's client-driven feed lifecycle: the client invokes the feed action (blocking) with
``lifecycleEvent`` (CREATE, READ, UPDATE, DELETE, PAUSE, UNPAUSE), ``triggerName: /ns/name`` and
its ``authKey``. ``whisk trigger`` and ``whisk deploy`` both call it."""

from __future__ import annotations

from typing import Any

from cli.client import ApiError
from cli.command import Session, calling
from cli.invoke import activation_id_of
from cli.names import QualifiedName, namespace_path, parse_name
from cli.output import ok, show_json


def run_feed(s: Session, feed: str, event: str, qn: QualifiedName, params: dict[str, Any]) -> None:
    """Invoke the feed action blocking for ``event``; raise ApiError when it does not succeed."""
    feed_qn = parse_name(feed, s.namespace)
    payload = {**params, "lifecycleEvent": event, "triggerName": str(qn), "authKey": s.config.auth}
    with calling(f"configure feed '{feed}'", "invoke", "action"):
        resp = s.client.request(
            "POST",
            f"{namespace_path(feed_qn.namespace)}/actions/{feed_qn.path}",
            query={"blocking": True, "result": False},
            body=payload,
            accept=(502,),
        )
    if resp.status == 502:
        error = ApiError(502, "The feed action failed.", None, resp.body)
        error.context = f"Unable to configure feed '{feed}'"
        body = resp.body if isinstance(resp.body, dict) else {}
        result = (body.get("response") or {}).get("result")
        error.hint = f"The feed answered: {result}" if result is not None else None
        raise error
    if resp.status == 202:
        error = ApiError(202, "The feed action did not finish in time.", None, resp.body)
        error.context = f"Unable to configure feed '{feed}'"
        error.hint = f"Look at its activation: whisk activation get {activation_id_of(resp)}"
        raise error
    ok(f"invoked {feed_qn} with id {activation_id_of(resp)}")
    show_json(resp.body, sort_keys=True)
