"""Every error text a client can match on, byte for byte as OpenWhisk's (its ``Messages`` in
``common/.../http/ErrorResponse.scala`` and the framing its HTTP layer adds), with its status.

One row per message: the request, then the status and the exact ``error`` OpenWhisk answers.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from controller.api.query import parse_timeout
from controller.invocation import merged_payload
from controller.resolve import ResolvedAction
from tests.api.conftest import Api, action_body
from whisk.config import load_settings
from whisk.entities.action import Action
from whisk.entities.common import EntityRules
from whisk.entities.names import FullyQualifiedName
from whisk.errors import InvalidArgument

NS = "/api/v1/namespaces/_"
LONG = "x" * 300
MALFORMED = "The request content was malformed:\n"


def query(name: str, why: str) -> str:
    return f"The query parameter '{name}' was malformed:\n{why}"


def limits(**values: int) -> dict[str, Any]:
    return action_body(limits=values)


def _valid_kinds() -> str:
    manifest = load_settings({"HOME": "/nonexistent"}).load_manifest()
    return ", ".join(f"'{k}'" for k in [*manifest.kinds, "sequence", "blackbox"])


# (method, path, body, status, error)
ROWS: list[tuple[str, str, Any, int, str]] = [
    # entity names in the path
    ("PUT", f"{NS}/actions/bad$name", action_body(), 400,
     "The name of the entity contains illegal characters."),
    ("PUT", f"{NS}/actions/{LONG}", action_body(), 400,
     "Name segement longer than allowed: 300 > 256."),
    ("GET", "/api/v1/namespaces/bad$ns/actions", None, 400,
     "The namespace contains illegal characters."),
    ("GET", f"/api/v1/namespaces/{LONG}/actions", None, 400,
     "Namespace longer than allowed: 300 > 256."),
    # action limits (OpenWhisk's field names: memory, duration, log, concurrency)
    ("PUT", f"{NS}/actions/a", limits(memory=1024), 400,
     "memory size 1024 MB exceeds allowed threshold of 512 MB"),
    ("PUT", f"{NS}/actions/a", limits(memory=64), 400,
     "memory size 64 MB below allowed threshold of 128 MB"),
    ("PUT", f"{NS}/actions/a", limits(timeout=400000), 400,
     "duration 400000 milliseconds exceeds allowed threshold of 300000 milliseconds"),
    ("PUT", f"{NS}/actions/a", limits(timeout=50), 400,
     "duration 50 milliseconds below allowed threshold of 100 milliseconds"),
    ("PUT", f"{NS}/actions/a", limits(logs=11), 400,
     "log size 11 MB exceeds allowed threshold of 10 MB"),
    ("PUT", f"{NS}/actions/a", limits(concurrency=10), 400,
     "concurrency 10 exceeds allowed threshold of 1"),
    ("PUT", f"{NS}/actions/a", limits(concurrency=0), 400,
     "concurrency 0 below allowed threshold of 1"),
    ("PUT", f"{NS}/actions/a", limits(memory=1024, timeout=1), 400,  # memory is checked first
     "memory size 1024 MB exceeds allowed threshold of 512 MB"),
    # exec
    ("PUT", f"{NS}/actions/a", {"exec": {"kind": "Cobol:1 ", "code": "x"}}, 400,
     MALFORMED + "The specified runtime 'cobol:1' is not supported by this platform. "
     "Valid values are: {kinds}."),
    ("PUT", f"{NS}/actions/a", {"exec": {"kind": "cobol:default", "code": "x"}}, 400,
     MALFORMED + "The specified runtime 'cobol:default' is not supported by this platform. "
     "Valid values are: {kinds}."),
    ("PUT", f"{NS}/actions/a", {"exec": {"code": "x"}}, 400,
     MALFORMED + "'kind' must be a string defined in 'exec'"),
    ("PUT", f"{NS}/actions/a", {"exec": {"kind": "python:3.11"}}, 400,
     MALFORMED + "'code' must be a string defined in 'exec' for 'python:3.11' actions"),
    ("PUT", f"{NS}/actions/a", {}, 400, "exec undefined"),
    ("PUT", f"{NS}/actions/a", {"exec": {"kind": "sequence", "components": []}}, 400,
     "No component specified for the sequence."),
    ("PUT", f"{NS}/actions/a", {"exec": {"kind": "sequence"}}, 400,
     MALFORMED + "'components' must be defined for sequence kind"),
    # list parameters, on every collection
    *[
        row
        for collection in ("actions", "triggers", "rules", "packages", "activations")
        for row in (
            ("GET", f"{NS}/{collection}?limit=201", None, 400,
             query("limit", f"The value '201' is not in the range of 0 to 200 for {collection}.")),
            ("GET", f"{NS}/{collection}?limit=-1", None, 400,
             query("limit", f"The value '-1' is not in the range of 0 to 200 for {collection}.")),
            ("GET", f"{NS}/{collection}?limit=x", None, 400,
             query("limit", f"The value 'x' is not an integer for {collection}.")),
            ("GET", f"{NS}/{collection}?skip=-1", None, 400,
             query("skip", f"The value '-1' is not greater than or equal to 0 for {collection}.")),
            ("GET", f"{NS}/{collection}?skip=1.5", None, 400,
             query("skip", f"The value '1.5' is not an integer for {collection}.")),
        )
    ],
    ("GET", f"{NS}/activations?since=yesterday", None, 400,
     query("since", "Parameter is not a valid value for epoch seconds: yesterday")),
    ("GET", f"{NS}/activations?upto=1e3", None, 400,
     query("upto", "Parameter is not a valid value for epoch seconds: 1e3")),
    ("GET", f"{NS}/activations?name=a/b/c", None, 400,
     query("name", "Parameter may be a 'simple' name or 'package-name/simple' name: a/b/c")),
    ("GET", f"{NS}/activations?name=bad$name", None, 400,
     query("name", "Parameter may be a 'simple' name or 'package-name/simple' name: bad$name")),
    ("GET", f"{NS}/activations?count=true&docs=true", None, 400,
     "The parameter 'docs' is not permitted with 'count'."),
    ("GET", f"{NS}/activations?docs=maybe", None, 400,
     query("docs", "'maybe' is not a valid Boolean value")),
    # activation ids
    ("GET", f"{NS}/activations/abc", None, 400, "Activation id length is 3 but must be 32."),
    ("GET", f"{NS}/activations/{'a' * 33}/logs", None, 400,
     "Activation id length is 33 but must be 32."),
    ("GET", f"{NS}/activations/{'g' * 32}", None, 400, "The activation id is not valid."),
    ("GET", f"{NS}/activations/{'A' * 32}/result", None, 400, "The activation id is not valid."),
    ("GET", f"{NS}/activations/{'a' * 32}", None, 404, "The requested resource does not exist."),
    # a name of another collection (``pkg`` is a package, ``act`` an action)
    ("GET", f"{NS}/actions/pkg", None, 409,
     "Resource by this name exists but is not in this collection."),
    ("PUT", f"{NS}/actions/pkg", action_body(), 409,
     "Resource by this name exists but is not in this collection."),
    ("DELETE", f"{NS}/actions/pkg", None, 409,
     "Resource by this name exists but is not in this collection."),
    ("GET", f"{NS}/packages/act", None, 409,
     "Resource by this name exists but is not in this collection."),
    ("GET", f"{NS}/actions/act/inner", None, 409,
     "Resource by this name exists but is not in this collection."),
    ("PUT", f"{NS}/actions/act/inner", action_body(), 409,
     "Resource by this name exists but is not in this collection."),
    ("PUT", f"{NS}/actions/binding/inner", action_body(), 400,
     "Operation not permitted on package binding."),
    ("PUT", f"{NS}/packages/default", {}, 400, "Package name 'default' is reserved."),
    # packages and bindings
    ("PUT", f"{NS}/packages/b2", {"binding": {"namespace": "guest", "name": "nothing"}}, 400,
     "Binding references a package that does not exist."),
    ("PUT", f"{NS}/packages/b2", {"binding": {"namespace": "guest", "name": "act"}}, 409,
     "Cannot bind to a resource that is not a package."),
    ("PUT", f"{NS}/packages/b2", {"binding": {"namespace": "guest", "name": "binding"}}, 400,
     "Cannot bind to another package binding."),
    ("PUT", f"{NS}/packages/pkg?overwrite=true", {"binding": {"namespace": "guest", "name": "x"}},
     409, "Resource is a package and cannot be converted into a binding."),
    # rules
    ("PUT", f"{NS}/rules/r", {"trigger": "/_/nothing", "action": "/_/act"}, 400,
     "trigger /guest/nothing does not exist"),
    ("PUT", f"{NS}/rules/r", {"trigger": "/_/tr", "action": "/_/pkg/nothing"}, 400,
     "action /guest/pkg/nothing does not exist"),
    ("PUT", f"{NS}/rules/r", {"trigger": "/_/tr"}, 400,
     "rule requires a valid trigger and a valid action"),
    ("POST", f"{NS}/rules/nothing", {"status": "active"}, 404,
     "The requested resource does not exist."),
]  # fmt: skip


async def _setup(api: Api) -> None:
    for path, body in (
        (f"{NS}/packages/pkg", {}),
        (f"{NS}/packages/binding", {"binding": {"namespace": "guest", "name": "pkg"}}),
        (f"{NS}/actions/act", action_body()),
        (f"{NS}/triggers/tr", {}),
    ):
        assert (await api.guest.call("PUT", path, body)).status == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "error"),
    ROWS,
    ids=[f"{r[0]} {r[1][len(NS) :] if r[1].startswith(NS) else r[1]}"[:70] for r in ROWS],
)
async def test_openwhisk_message(
    api: Api, method: str, path: str, body: Any, status: int, error: str
) -> None:
    await _setup(api)
    resp = await api.guest.call(method, path, body)
    answer = await resp.json()
    assert resp.status == status
    assert answer["error"] == error.replace("{kinds}", _valid_kinds())
    assert set(answer) == {"error", "code"}


async def test_openwhisk_401_texts_for_missing_and_rejected_credentials(api: Api) -> None:
    resp = await api.client.get(f"{NS}/actions")
    assert resp.status == 401
    assert (await resp.json())["error"] == (
        "The resource requires authentication, which was not supplied with the request"
    )
    assert resp.headers["WWW-Authenticate"] == 'Basic realm="OpenWhisk secure realm"'
    wrong = base64.b64encode(b"23bc46b1-71f6-4ed5-8c54-816aa4f8c502:nope").decode()
    resp = await api.client.get(f"{NS}/actions", headers={"Authorization": f"Basic {wrong}"})
    assert resp.status == 401
    assert (await resp.json())["error"] == "The supplied authentication is invalid"


@pytest.mark.parametrize("raw", ["0", "60001", "-5", "soon", "1.5"])
def test_openwhisk_message_invoke_timeout(raw: str) -> None:
    with pytest.raises(InvalidArgument) as raised:
        parse_timeout({"timeout": raw}, 60_000)
    assert raised.value.message == (
        "The query parameter 'timeout' was malformed:\n"
        "Timeout must be number of milliseconds up to 60000."
    )
    assert parse_timeout({"timeout": "60000"}, 60_000) == 60_000


def _final_action() -> ResolvedAction:
    manifest = load_settings({"HOME": "/nonexistent"}).load_manifest()
    body = action_body(
        parameters=[{"key": "fixed", "value": 1}, {"key": "unset", "value": None}],
        annotations=[{"key": "final", "value": True}],
    )
    fqn = FullyQualifiedName("guest", "act")
    return ResolvedAction(Action.from_put(fqn, body, EntityRules(manifest)), None)


def test_openwhisk_message_overriding_a_final_parameter() -> None:
    with pytest.raises(InvalidArgument) as raised:
        merged_payload(_final_action(), {"fixed": 2})
    assert raised.value.message == (
        "Request defines parameters that are not allowed (e.g., reserved properties)."
    )
    # a parameter without a value (null) is not defined: it may be given (OpenWhisk's rule)
    assert merged_payload(_final_action(), {"unset": 3, "other": 4})["unset"] == 3


async def test_binding_carries_openwhisks_binding_annotation(api: Api) -> None:
    await _setup(api)
    bound = {"namespace": "guest", "name": "pkg"}
    body = {"binding": bound, "annotations": [{"key": "binding", "value": "forged"}]}
    resp = await api.guest.call("PUT", f"{NS}/packages/b3", body)
    assert resp.status == 200
    assert (await resp.json())["annotations"] == [{"key": "binding", "value": bound}]
    listed = await (await api.guest.call("GET", f"{NS}/packages")).json()
    (b3,) = [p for p in listed if p["name"] == "b3"]
    assert b3["annotations"] == [{"key": "binding", "value": bound}]
    plain = await (await api.guest.call("GET", f"{NS}/packages/pkg")).json()
    assert plain["annotations"] == []


async def test_web_url_naming_a_package_is_not_found(api: Api) -> None:
    # the 409 of the entity API does not leak into web actions: a package is no action
    await _setup(api)
    for url in ("/api/v1/web/guest/default/pkg.json", "/api/v1/web/guest/act/x.json"):
        resp = await api.client.get(url)
        assert resp.status == 404, url
        assert (await resp.json())["error"] == "The requested resource does not exist."
