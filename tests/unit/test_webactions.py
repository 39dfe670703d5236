"""Web action decisions: paths, inputs, who may call, and results rendered as HTTP."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from controller.webactions.auth import AuthKind, auth_requirement
from controller.webactions.cors import cors_headers
from controller.webactions.paths import Extension, WebPath, parse_web_path
from controller.webactions.request import (
    PARAMETERS_NOT_ALLOWED,
    WebRequest,
    build_input,
    lower_headers,
)
from controller.webactions.response import (
    INVALID_HTTP,
    PROCESSING_ERROR,
    PROPERTY_NOT_FOUND,
    render_activation,
    render_http,
)
from whisk.entities.activation import StatusCode
from whisk.errors import InvalidArgument, MalformedRequest, NotFound

PNG = bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13])


def web_request(**overrides: Any) -> WebRequest:
    """A GET with no body; override any field."""
    fields: dict[str, Any] = {
        "method": "GET",
        "headers": (("Host", "localhost"), ("Accept", "*/*")),
        "query_string": "",
        "body": b"",
    }
    fields.update(overrides)
    return WebRequest(**fields)


def json_post(body: Any, **overrides: Any) -> WebRequest:
    return web_request(
        method="POST",
        headers=(("Content-Type", "application/json"),),
        body=json.dumps(body).encode(),
        **overrides,
    )


# -- paths -------------------------------------------------------------------------------
def test_parse_web_path_without_extension_is_http_in_the_default_package() -> None:
    assert parse_web_path("guest/default/hello") == WebPath(
        "guest", None, "hello", Extension.HTTP, ""
    )


def test_parse_web_path_reads_extension_package_and_extra_path() -> None:
    assert parse_web_path("guest/demo/hello.json/a/b") == WebPath(
        "guest", "demo", "hello", Extension.JSON, "/a/b"
    )


def test_parse_web_path_keeps_an_unknown_suffix_in_the_action_name() -> None:
    assert parse_web_path("guest/default/v1.2").action == "v1.2"
    assert parse_web_path("guest/default/page.svg").extension is Extension.SVG


def test_parse_web_path_with_a_trailing_slash_has_the_slash_as_path() -> None:
    assert parse_web_path("guest/default/hello.text/").extra_path == "/"


@pytest.mark.parametrize("path", ["", "guest", "guest/default", "guest/default/", "guest//x"])
def test_parse_web_path_with_missing_segments_is_not_found(path: str) -> None:
    with pytest.raises(NotFound):
        parse_web_path(path)


# -- who may call ------------------------------------------------------------------------
def test_auth_requirement_reads_the_annotation_forms() -> None:
    assert auth_requirement(None).kind is AuthKind.OPEN
    assert auth_requirement(False).kind is AuthKind.OPEN
    assert auth_requirement(True).kind is AuthKind.IDENTITY
    assert auth_requirement("s3cret").secret == "s3cret"
    assert auth_requirement(1234).secret == "1234"
    assert auth_requirement(1234.0).secret == "1234"
    assert auth_requirement({"odd": 1}).kind is AuthKind.IDENTITY


def test_auth_requirement_secret_must_match_exactly() -> None:
    need = auth_requirement(987)
    assert need.secret_matches("987")
    assert not need.secret_matches("9870")
    assert not need.secret_matches(None)
    assert not auth_requirement(True).secret_matches("true")


def test_cors_headers_echo_the_requested_headers_or_default() -> None:
    assert cors_headers("X-Custom")["Access-Control-Allow-Headers"] == "X-Custom"
    default = cors_headers(None)
    assert default["Access-Control-Allow-Origin"] == "*"
    assert default["Access-Control-Allow-Methods"] == "OPTIONS, GET, DELETE, POST, PUT, HEAD, PATCH"
    assert "Content-Type" in default["Access-Control-Allow-Headers"]


# -- the input ---------------------------------------------------------------------------
def test_build_input_gives_query_params_and_the_http_context() -> None:
    got = build_input(web_request(query_string="name=Jane&n=1", extra_path="/x"), raw=False)
    assert got == {
        "name": "Jane",
        "n": "1",
        "__ow_method": "get",
        "__ow_headers": {"host": "localhost", "accept": "*/*"},
        "__ow_path": "/x",
    }


def test_build_input_body_object_beats_query() -> None:
    got = build_input(json_post({"name": "Body", "k": [1]}, query_string="name=Query"), raw=False)
    assert (got["name"], got["k"], got["__ow_method"]) == ("Body", [1], "post")
    assert "__ow_body" not in got


def test_build_input_form_body_becomes_parameters() -> None:
    request = web_request(
        method="POST",
        headers=(("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),),
        body=b"name=Jane+Doe&empty=",
    )
    got = build_input(request, raw=False)
    assert (got["name"], got["empty"]) == ("Jane Doe", "")


def test_build_input_non_object_json_body_is_the_raw_string() -> None:
    got = build_input(json_post([1, 2]), raw=False)
    assert got["__ow_body"] == "[1, 2]"


def test_build_input_text_body_is_plain_and_binary_is_base64() -> None:
    text = web_request(method="PUT", headers=(("Content-Type", "text/plain"),), body=b"Jane")
    assert build_input(text, raw=False)["__ow_body"] == "Jane"
    png = web_request(method="PUT", headers=(("Content-Type", "image/png"),), body=PNG)
    assert base64.b64decode(build_input(png, raw=False)["__ow_body"]) == PNG


def test_build_input_malformed_json_body_is_refused() -> None:
    request = web_request(
        method="POST", headers=(("Content-Type", "application/json"),), body=b"{nope"
    )
    with pytest.raises(MalformedRequest):
        build_input(request, raw=False)


def test_build_input_raw_keeps_query_and_body_unparsed_json_as_base64() -> None:
    got = build_input(json_post({"name": "Jane"}, query_string="name=Jane&a=%20"), raw=True)
    assert "name" not in got
    assert got["__ow_query"] == "name=Jane&a=%20"
    assert json.loads(base64.b64decode(got["__ow_body"])) == {"name": "Jane"}


def test_build_input_raw_without_body_has_empty_body_and_query() -> None:
    got = build_input(web_request(), raw=True)
    assert (got["__ow_body"], got["__ow_query"]) == ("", "")


def test_build_input_raw_form_body_is_plain_text() -> None:
    request = web_request(
        method="POST",
        headers=(("Content-Type", "application/x-www-form-urlencoded"),),
        body=b"a=1",
    )
    assert build_input(request, raw=True)["__ow_body"] == "a=1"


@pytest.mark.parametrize(
    "request_",
    [
        web_request(query_string="__ow_method=post"),
        json_post({"__ow_user": "admin"}),
    ],
)
def test_build_input_refuses_reserved_names(request_: WebRequest) -> None:
    with pytest.raises(InvalidArgument) as refused:
        build_input(request_, raw=False)
    assert refused.value.message == PARAMETERS_NOT_ALLOWED


def test_build_input_final_refuses_overriding_defined_parameters() -> None:
    with pytest.raises(InvalidArgument) as refused:
        build_input(web_request(query_string="name=X"), raw=False, final=True, defined=["name"])
    assert refused.value.message == PARAMETERS_NOT_ALLOWED
    allowed = build_input(
        web_request(query_string="other=1"), raw=False, final=True, defined=["name"]
    )
    assert allowed["other"] == "1"
    not_final = build_input(web_request(query_string="name=X"), raw=False, defined=["name"])
    assert not_final["name"] == "X"


def test_build_input_adds_the_authenticated_user() -> None:
    assert build_input(web_request(user="alice"), raw=False)["__ow_user"] == "alice"
    assert "__ow_user" not in build_input(web_request(), raw=False)


def test_lower_headers_joins_repeated_names() -> None:
    assert lower_headers([("X-A", "1"), ("x-a", "2"), ("Accept", "*/*")]) == {
        "x-a": "1, 2",
        "accept": "*/*",
    }


# -- the output: .http -------------------------------------------------------------------
def test_render_http_uses_status_headers_and_a_string_body_as_html() -> None:
    got = render_http({"statusCode": 201, "headers": {"X-A": "1"}, "body": "<p>hi</p>"})
    assert (got.status, got.body) == (201, b"<p>hi</p>")
    assert got.headers == (("X-A", "1"),)
    assert got.content_type is not None and got.content_type.startswith("text/html")


def test_render_http_object_body_is_json() -> None:
    got = render_http({"body": {"a": 1}})
    assert (got.status, json.loads(got.body), got.content_type) == (
        200,
        {"a": 1},
        "application/json",
    )


def test_render_http_empty_body_is_204_unless_a_status_is_given() -> None:
    assert render_http({}).status == 204
    assert render_http({"body": ""}).status == 204
    redirect = render_http({"statusCode": 302, "headers": {"location": "http://example.org/"}})
    assert (redirect.status, redirect.body) == (302, b"")
    assert redirect.headers == (("location", "http://example.org/"),)


def test_render_http_decodes_a_declared_binary_body() -> None:
    encoded = base64.b64encode(PNG).decode()
    got = render_http({"headers": {"Content-Type": "image/png"}, "body": encoded})
    assert (got.body, got.content_type) == (PNG, None)
    assert got.headers == (("Content-Type", "image/png"),)


def test_render_http_json_body_may_be_text_or_base64() -> None:
    declared = {"Content-Type": "application/json"}
    assert render_http({"headers": declared, "body": '{"a":1}'}).body == b'{"a":1}'
    encoded = base64.b64encode(b'{"b":2}').decode()
    assert render_http({"headers": declared, "body": encoded}).body == b'{"b":2}'


def test_render_http_array_header_values_repeat_and_scalars_become_strings() -> None:
    got = render_http({"headers": {"Set-Cookie": ["a=1", "b=2"], "X-N": 3, "X-B": True}})
    assert got.headers == (
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
        ("X-N", "3"),
        ("X-B", "true"),
    )


def test_render_http_drops_headers_the_server_computes() -> None:
    got = render_http({"headers": {"Content-Length": "99", "X-A": "1"}, "body": "x"})
    assert got.headers == (("X-A", "1"),)


@pytest.mark.parametrize(
    "result",
    [
        "just a string",
        [1, 2],
        {"statusCode": "abc"},
        {"statusCode": 99},
        {"statusCode": True},
        {"headers": "x"},
        {"headers": {"X": {"nested": 1}}},
        {"headers": {"Content-Type": "image/png"}, "body": "not base64!"},
        {"headers": {"Content-Type": "text/plain"}, "body": {"a": 1}},
    ],
)
def test_render_http_invalid_results_are_refused(result: Any) -> None:
    with pytest.raises(InvalidArgument) as refused:
        render_http(result)
    assert refused.value.message == INVALID_HTTP


# -- the output: other extensions and errors ---------------------------------------------
def test_render_activation_json_gives_the_result_or_a_projection() -> None:
    whole = render_activation(Extension.JSON, "", StatusCode.SUCCESS, {"a": {"b": [1]}})
    assert (whole.status, json.loads(whole.body)) == (200, {"a": {"b": [1]}})
    part = render_activation(Extension.JSON, "/a", StatusCode.SUCCESS, {"a": {"b": [1]}})
    assert json.loads(part.body) == {"b": [1]}


def test_render_activation_json_of_a_scalar_is_refused() -> None:
    with pytest.raises(InvalidArgument):
        render_activation(Extension.JSON, "/a", StatusCode.SUCCESS, {"a": 1})


def test_render_activation_html_takes_body_then_html() -> None:
    body = render_activation(Extension.HTML, "", StatusCode.SUCCESS, {"body": "<b>1</b>"})
    assert body.body == b"<b>1</b>"
    assert body.content_type is not None and body.content_type.startswith("text/html")
    html = render_activation(Extension.HTML, "", StatusCode.SUCCESS, {"html": "<i>2</i>"})
    assert html.body == b"<i>2</i>"


def test_render_activation_svg_and_text_content_types() -> None:
    svg = render_activation(Extension.SVG, "", StatusCode.SUCCESS, {"svg": "<svg/>"})
    assert (svg.body, svg.content_type) == (b"<svg/>", "image/svg+xml")
    text = render_activation(Extension.TEXT, "/r/name", StatusCode.SUCCESS, {"r": {"name": "J"}})
    assert text.body == b"J"
    assert text.content_type is not None and text.content_type.startswith("text/plain")


@pytest.mark.parametrize(
    ("extension", "path"),
    [(Extension.TEXT, ""), (Extension.HTML, ""), (Extension.JSON, "/missing")],
)
def test_render_activation_missing_property_is_not_found(extension: Extension, path: str) -> None:
    with pytest.raises(NotFound) as missing:
        render_activation(extension, path, StatusCode.SUCCESS, {"other": "x"})
    assert missing.value.message == PROPERTY_NOT_FOUND


def test_render_activation_html_of_a_non_string_is_refused() -> None:
    with pytest.raises(InvalidArgument):
        render_activation(Extension.HTML, "", StatusCode.SUCCESS, {"html": 3})


def test_render_activation_http_ignores_the_extra_path() -> None:
    got = render_activation(Extension.HTTP, "/body", StatusCode.SUCCESS, {"body": "x"})
    assert (got.status, got.body) == (200, b"x")


def test_render_activation_application_error_projects_the_error_field() -> None:
    result = {"error": {"statusCode": 400, "body": "bad name"}}
    got = render_activation(Extension.HTTP, "", StatusCode.APPLICATION_ERROR, result)
    assert (got.status, got.body) == (400, b"bad name")
    text = render_activation(
        Extension.TEXT, "/ignored", StatusCode.APPLICATION_ERROR, {"error": "oops"}
    )
    assert text.body == b"oops"


@pytest.mark.parametrize("status", [StatusCode.DEVELOPER_ERROR, StatusCode.WHISK_ERROR])
def test_render_activation_developer_and_whisk_errors_are_400(status: StatusCode) -> None:
    with pytest.raises(InvalidArgument) as refused:
        render_activation(Extension.HTTP, "", status, {"error": "boom"})
    assert refused.value.message == PROCESSING_ERROR


def test_lower_headers_never_pass_the_callers_credentials() -> None:
    headers = [("Authorization", "Basic c2VjcmV0"), ("X-Require-Whisk-Auth", "s3"), ("A", "1")]
    assert lower_headers(headers) == {"a": "1"}
