"""Entity names and fully qualified names, with OpenWhisk's rules.

A name is 1..256 characters matching ``\\A([\\w]|[\\w][\\w@ .&-]{0,254}[\\w@.&-])\\z``. A fully
qualified name is ``/namespace[/package]/name``; ``_`` as the namespace means the caller's own.
The package name ``default`` is reserved (web URLs use it for "no package").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from whisk.entities import messages as ow
from whisk.errors import InvalidArgument

NAME_MAX_LENGTH = 256
DEFAULT_NAMESPACE = "_"
RESERVED_PACKAGE = "default"
# re.ASCII: \w is [A-Za-z0-9_], as in OpenWhisk's Java pattern (and the served document's)
_NAME_RE = re.compile(r"\A([\w]|[\w][\w@ .&-]{0,254}[\w@.&-])\Z", re.ASCII)


def check_name(value: object, what: str = "name") -> str:
    """Return ``value`` if it is a legal entity name, else raise InvalidArgument with
    OpenWhisk's message for a path segment (``what`` is ``namespace`` for namespaces)."""
    is_namespace = what == "namespace"
    if not isinstance(value, str) or not value:
        raise InvalidArgument(ow.NAMESPACE_ILLEGAL if is_namespace else ow.ENTITY_NAME_ILLEGAL)
    if len(value) > NAME_MAX_LENGTH:
        field = "Namespace" if is_namespace else "Name segement"  # sic: OpenWhisk's spelling
        raise InvalidArgument(ow.entity_name_too_long(field, len(value), NAME_MAX_LENGTH))
    if not _NAME_RE.match(value):
        if is_namespace:
            raise InvalidArgument(ow.NAMESPACE_ILLEGAL)
        if what == "name":
            raise InvalidArgument(ow.ENTITY_NAME_ILLEGAL)
        raise InvalidArgument(f"The {what} contains illegal characters.")
    return value


def check_namespace(value: object) -> str:
    """Namespaces follow the name rules; ``_`` stands for the caller's own."""
    if value == DEFAULT_NAMESPACE:
        return DEFAULT_NAMESPACE
    return check_name(value, "namespace")


def check_package_name(value: object) -> str:
    name = check_name(value)
    if name == RESERVED_PACKAGE:
        raise InvalidArgument(ow.package_name_is_reserved(RESERVED_PACKAGE))
    return name


@dataclass(frozen=True, slots=True)
class FullyQualifiedName:
    """``/namespace[/package]/name``. Construct through ``parse`` or with checked parts."""

    namespace: str
    name: str
    package: str | None = None

    def __post_init__(self) -> None:
        check_namespace(self.namespace)
        check_name(self.name)
        if self.package is not None:
            check_package_name(self.package)

    @property
    def path(self) -> str:
        """The path without the name: ``ns`` or ``ns/pkg`` (OpenWhisk's ``namespace`` field)."""
        return f"{self.namespace}/{self.package}" if self.package else self.namespace

    def __str__(self) -> str:
        return f"/{self.path}/{self.name}"

    def resolve(self, caller_namespace: str) -> FullyQualifiedName:
        """Replace ``_`` with the caller's namespace."""
        if self.namespace != DEFAULT_NAMESPACE:
            return self
        return FullyQualifiedName(caller_namespace, self.name, self.package)

    def to_ref(self) -> dict[str, str]:
        """OpenWhisk's ``{"path": ..., "name": ...}`` reference form (rules, feeds)."""
        return {"path": self.path, "name": self.name}

    @classmethod
    def parse(cls, text: object, default_namespace: str = DEFAULT_NAMESPACE) -> FullyQualifiedName:
        """Parse ``name``, ``pkg/name``, ``/ns/name`` or ``/ns/pkg/name`` (wsk's rules: a
        leading slash means the first part is the namespace)."""
        if not isinstance(text, str) or not text.strip():
            raise InvalidArgument("The name is missing or not a string.")
        text = text.strip()
        if text.startswith("/"):
            parts = text[1:].split("/")
            if len(parts) == 2:
                return cls(parts[0], parts[1])
            if len(parts) == 3:
                return cls(parts[0], parts[2], parts[1])
            raise InvalidArgument(f"The fully qualified name '{text}' is not valid.")
        parts = text.split("/")
        if len(parts) == 1:
            return cls(default_namespace, parts[0])
        if len(parts) == 2:
            return cls(default_namespace, parts[1], parts[0])
        raise InvalidArgument(f"The fully qualified name '{text}' is not valid.")

    @classmethod
    def from_ref(cls, ref: dict[str, str]) -> FullyQualifiedName:
        """Inverse of ``to_ref``: ``path`` is ``ns`` or ``ns/pkg``."""
        path = ref["path"].split("/")
        return cls(path[0], ref["name"], path[1] if len(path) > 1 else None)
