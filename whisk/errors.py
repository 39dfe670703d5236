"""The errors Whisk raises, independent of any transport.

    WhiskError                      anything Whisk itself refuses or fails at
    ├── RequestError                the caller sent something we cannot accept
    │   ├── InvalidArgument         a value breaks a rule (bad name, limit out of range, ...)
    │   ├── MalformedRequest        the body or a query parameter cannot be parsed
    │   ├── PayloadTooLarge         a size limit was exceeded
    │   └── UnsupportedMediaType    a body of a media type the route does not read
    ├── Unauthenticated             no credentials, or credentials we do not know
    ├── Forbidden                   known credentials, but not entitled to the resource
    ├── NotFound                    the entity does not exist
    ├── Conflict                    the request collides with stored state
    │   ├── AlreadyExists           create without overwrite on an existing entity
    │   ├── ConcurrentModification  the stored revision moved under us
    │   ├── WrongCollection         the name exists in another collection
    │   └── NotEmpty                a package still holds actions
    ├── Throttled                   a rate or concurrency limit was hit
    ├── Unavailable                 a dependency (bus, invokers, store) cannot serve now
    └── InternalError               a bug or an unexpected failure of ours

The HTTP layer alone maps these to status codes (controller/api/errors.py). Adapters re-raise
their technology's exceptions as one of these with ``raise ... from exc``.
"""

from __future__ import annotations


class WhiskError(Exception):
    """Base of every error Whisk raises on purpose. ``message`` is what a client sees."""

    default_message = "An internal error occurred."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class RequestError(WhiskError):
    default_message = "The request content was malformed."


class InvalidArgument(RequestError):
    pass


class MalformedRequest(RequestError):
    pass


class UnsupportedMediaType(RequestError):
    """A body of a media type the route does not read (415)."""


class PayloadTooLarge(RequestError):
    default_message = "The request content was too large."


class Unauthenticated(WhiskError):
    default_message = "The supplied authentication is invalid"  # OpenWhisk's, without a period


class Forbidden(WhiskError):
    default_message = "The supplied authentication is not authorized to access this resource."


class NotFound(WhiskError):
    default_message = "The requested resource does not exist."


class Conflict(WhiskError):
    default_message = "Conflict."


class AlreadyExists(Conflict):
    default_message = "resource already exists"


class ConcurrentModification(Conflict):
    default_message = "Concurrent modification to resource detected."


class WrongCollection(Conflict):
    default_message = "Resource by this name exists but is not in this collection."


class NotEmpty(Conflict):
    default_message = "Package not empty. Set force param or delete package contents."


class Throttled(WhiskError):
    default_message = "Too many requests in the last minute."


class Unavailable(WhiskError):
    default_message = (
        "The server is currently unavailable (because it is overloaded or down for maintenance)."
    )


class InternalError(WhiskError):
    pass
