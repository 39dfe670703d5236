"""Where a container's proxy socket lives on the host (pure).

Each container gets a fresh directory ``<runtime dir>/<dir name>/`` holding ``proxy.sock``.
Unix socket paths are limited to 107 bytes, and container names can be long, so long names are
cut and suffixed with a hash: the same name always maps to the same directory.
"""

from __future__ import annotations

import hashlib
import re

SOCKET_NAME = "proxy.sock"
MAX_DIR_NAME = 48
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def socket_dir_name(container_name: str) -> str:
    """A short, filesystem-safe directory name for ``container_name``."""
    safe = _UNSAFE.sub("_", container_name).lstrip(".") or "_"
    if len(safe) <= MAX_DIR_NAME and safe == container_name:
        return safe
    digest = hashlib.sha1(container_name.encode()).hexdigest()[:10]
    return f"{safe[: MAX_DIR_NAME - 11]}-{digest}"
