"""What a ``/api/v1/web/...`` path names: namespace, package, action, extension, extra path.

``{ns}/{pkg|default}/{action}[.ext][/extra]``; the extension picks the response handler
(``.http`` when none), the rest of the path becomes ``__ow_path``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from whisk.errors import NotFound

DEFAULT_PACKAGE = "default"


class Extension(Enum):
    HTTP = "http"
    JSON = "json"
    HTML = "html"
    SVG = "svg"
    TEXT = "text"


@dataclass(frozen=True, slots=True)
class WebPath:
    namespace: str
    package: str | None  # None for ``default``
    action: str
    extension: Extension
    extra_path: str  # "" or "/a/b": becomes ``__ow_path``


def parse_web_path(path: str) -> WebPath:
    """``path`` is what follows ``/api/v1/web/``. Fewer than three segments: 404."""
    parts = path.split("/", 3)
    if len(parts) < 3 or not all(parts[:3]):
        raise NotFound()
    namespace, package, segment = parts[0], parts[1], parts[2]
    extra = "/" + parts[3] if len(parts) == 4 else ""
    extension = Extension.HTTP
    name, dot, suffix = segment.rpartition(".")
    if dot and name and suffix in {e.value for e in Extension}:
        extension, segment = Extension(suffix), name
    return WebPath(
        namespace, None if package == DEFAULT_PACKAGE else package, segment, extension, extra
    )
