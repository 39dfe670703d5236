"""Puts an action's code on disk: a source file, or the content of a base64 zip."""

from __future__ import annotations

import base64
import binascii
import io
import zipfile
from pathlib import Path

from .errors import ProxyError


def materialize(code: str, binary: bool, root: Path, source_name: str) -> Path:
    """Write ``code`` under ``root`` and return ``root``.

    Plain text becomes ``root/source_name``; with ``binary`` the code is a base64 zip archive
    extracted into ``root``.
    """
    root.mkdir(parents=True, exist_ok=True)
    if not binary:
        (root / source_name).write_text(code, encoding="utf-8")
        return root
    try:
        data = base64.b64decode(code, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise ProxyError(502, f"The action code is not valid base64: {exc}") from exc
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _extract(archive, root)
    except zipfile.BadZipFile as exc:
        raise ProxyError(502, f"The action code is not a valid zip file: {exc}") from exc
    return root


def _extract(archive: zipfile.ZipFile, root: Path) -> None:
    base = root.resolve()
    for member in archive.infolist():
        target = (base / member.filename).resolve()
        if target != base and base not in target.parents:
            raise ProxyError(502, f"The zip file has an entry outside its root: {member.filename}")
        archive.extract(member, base)
        mode = (member.external_attr >> 16) & 0o777
        if mode and not member.is_dir():
            # Keep execute bits (scripts in node_modules/.bin, virtualenv/bin).
            target.chmod(mode | 0o600)
