"""OpenWhisk's user-facing texts, byte for byte (its ``Messages`` object in
``common/.../http/ErrorResponse.scala``, plus the framing its HTTP layer adds around some).

Every error text a client of OpenWhisk can match on is built here, so a test can pin each one
against OpenWhisk's wording. Pure functions of their arguments; no I/O.

Framing: OpenWhisk rejects a malformed body with ``The request content was malformed:\\n<why>``
and a malformed query parameter with ``The query parameter '<name>' was malformed:\\n<why>``;
path-segment checks (names, activation ids) answer the bare text.
"""

from __future__ import annotations

from collections.abc import Iterable

CONFLICT = "Concurrent modification to resource detected."
CONFORMANCE = "Resource by this name exists but is not in this collection."
RESOURCE_DOES_NOT_EXIST = "The requested resource does not exist."
NOT_AUTHORIZED = "The supplied authentication is not authorized to access this resource."
# the HTTP framework's texts for a 401 (no period: they are not OpenWhisk's own Messages)
CREDENTIALS_MISSING = (
    "The resource requires authentication, which was not supplied with the request"
)
CREDENTIALS_REJECTED = "The supplied authentication is invalid"

MALFORMED_FQN = (
    "The fully qualified name of the entity must contain at least the namespace and the name of "
    "the entity."
)
ENTITY_NAME_ILLEGAL = "The name of the entity contains illegal characters."
NAMESPACE_ILLEGAL = "The namespace contains illegal characters."
ACTIVATION_ID_ILLEGAL = "The activation id is not valid."
PARAMETERS_NOT_ALLOWED = (
    "Request defines parameters that are not allowed (e.g., reserved properties)."
)
DOCS_NOT_ALLOWED_WITH_COUNT = "The parameter 'docs' is not permitted with 'count'."
NOT_ALLOWED_ON_BINDING = "Operation not permitted on package binding."
BINDING_DOES_NOT_EXIST = "Binding references a package that does not exist."
PACKAGE_CANNOT_BECOME_BINDING = "Resource is a package and cannot be converted into a binding."
BINDING_CANNOT_REFERENCE_BINDING = "Cannot bind to another package binding."
REQUESTED_BINDING_IS_NOT_VALID = "Cannot bind to a resource that is not a package."
LOG_FAILURE = "There was an issue while collecting your logs. Data might be missing."
LOG_WARNING_DEVELOPER_ERROR = (
    "The action did not initialize or run as expected. Log data might be missing."
)


def entity_does_not_exist(kind: str, qualified_name: str) -> str:
    """Rules: ``trigger /ns/t does not exist`` / ``action /ns/pkg/a does not exist``."""
    return f"{kind} {qualified_name} does not exist"


def package_name_is_reserved(name: str) -> str:
    return f"Package name '{name}' is reserved."


def malformed_content(why: str) -> str:
    return f"The request content was malformed:\n{why}"


def malformed_query(parameter: str, why: str) -> str:
    return f"The query parameter '{parameter}' was malformed:\n{why}"


def entity_name_too_long(field: str, length: int, allowed: int) -> str:
    """``field`` is ``Name segement`` (sic, OpenWhisk's spelling) or ``Namespace``."""
    return f"{field} longer than allowed: {length} > {allowed}."


def activation_id_length_error(length: int) -> str:
    return f"Activation id length is {length} but must be 32."


def size_exceeds_allowed_threshold(field: str, value: int, allowed: int) -> str:
    return f"{field} size {value} MB exceeds allowed threshold of {allowed} MB"


def size_below_allowed_threshold(field: str, value: int, allowed: int) -> str:
    return f"{field} size {value} MB below allowed threshold of {allowed} MB"


def duration_exceeds_allowed_threshold(field: str, value_ms: int, allowed_ms: int) -> str:
    return f"{field} {value_ms} milliseconds exceeds allowed threshold of {allowed_ms} milliseconds"


def duration_below_allowed_threshold(field: str, value_ms: int, allowed_ms: int) -> str:
    return f"{field} {value_ms} milliseconds below allowed threshold of {allowed_ms} milliseconds"


def concurrency_exceeds_allowed_threshold(value: int, allowed: int) -> str:
    return f"concurrency {value} exceeds allowed threshold of {allowed}"


def concurrency_below_allowed_threshold(value: int, allowed: int) -> str:
    return f"concurrency {value} below allowed threshold of {allowed}"


def list_limit_out_of_range(collection: str, value: int, maximum: int) -> str:
    return f"The value '{value}' is not in the range of 0 to {maximum} for {collection}."


def list_skip_out_of_range(collection: str, value: int) -> str:
    return f"The value '{value}' is not greater than or equal to 0 for {collection}."


def argument_not_integer(collection: str, value: str) -> str:
    return f"The value '{value}' is not an integer for {collection}."


def invalid_timeout(max_ms: int) -> str:
    return f"Timeout must be number of milliseconds up to {max_ms}."


def bad_name_filter(value: str) -> str:
    return f"Parameter may be a 'simple' name or 'package-name/simple' name: {value}"


def bad_epoch(value: str) -> str:
    return f"Parameter is not a valid value for epoch seconds: {value}"


def invalid_runtime_error(kind: str, runtimes: Iterable[str]) -> str:
    valid = "'" + "', '".join(runtimes) + "'"
    return (
        f"The specified runtime '{kind}' is not supported by this platform. "
        f"Valid values are: {valid}."
    )


def runtime_deprecated(kind: str) -> str:
    return (
        f"The '{kind}' runtime is no longer supported. You may read and delete but not update or "
        "invoke this action."
    )


def truncate_logs(limit_bytes: int) -> str:
    return (
        "Logs were truncated because the total bytes size exceeds the limit of "
        f"{limit_bytes} bytes."
    )
