"""Qualified entity names as wsk reads them (pure).

``name`` and ``pkg/name`` live in the default namespace; ``/ns/name`` and ``/ns/pkg/name`` name
their namespace; a three-part name may drop the leading slash (``ns/pkg/name``).
"""

from __future__ import annotations

from dataclasses import dataclass

from cli.client import segment
from whisk.errors import InvalidArgument


@dataclass(frozen=True)
class QualifiedName:
    namespace: str
    name: str
    package: str | None = None

    @property
    def entity(self) -> str:
        """``pkg/name`` or ``name``: the part after the namespace."""
        return f"{self.package}/{self.name}" if self.package else self.name

    @property
    def path(self) -> str:
        """The URL path tail for this entity (quoted segments)."""
        parts = [self.package, self.name] if self.package else [self.name]
        return "/".join(segment(p) for p in parts)

    def __str__(self) -> str:
        return f"/{self.namespace}/{self.entity}"


def parse_name(text: str, default_namespace: str, *, allow_package: bool = True) -> QualifiedName:
    raw = text.strip()
    if not raw or raw in ("/",):
        raise InvalidArgument("An entity name is required.")
    qualified = raw.startswith("/")
    parts = raw.strip("/").split("/")
    if any(not p for p in parts) or len(parts) > 3 or (qualified and len(parts) < 2):
        raise InvalidArgument(
            f"'{text}' is not a valid qualified name: use NAME, PACKAGE/NAME, /NAMESPACE/NAME "
            "or /NAMESPACE/PACKAGE/NAME."
        )
    if len(parts) == 3:
        namespace, package, name = parts
    elif qualified:
        namespace, package, name = parts[0], None, parts[1]
    elif len(parts) == 2:
        namespace, package, name = default_namespace, parts[0], parts[1]
    else:
        namespace, package, name = default_namespace, None, parts[0]
    if package is not None and not allow_package:
        raise InvalidArgument(f"'{text}' cannot be inside a package; give NAME or /NAMESPACE/NAME.")
    return QualifiedName(namespace, name, package)


def namespace_path(namespace: str) -> str:
    return f"/namespaces/{segment(namespace)}"
