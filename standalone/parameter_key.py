"""Standalone's parameter key, kept in the state directory (``whisk.entities.encryption``).

As in OpenWhisk, parameters are stored as given unless encryption is asked for: a GET then
shows the values a user set, as ``wsk`` and the npm client expect. ``whisk standalone
--encrypt-parameters`` (or ``WHISK_PARAMETER_ENCRYPTION=on``) makes a key on first start and
keeps it; once the key file exists it is always used, so values encrypted before stay
readable. ``WHISK_PARAMETER_KEY``, when set, wins and nothing is written. The file holds
the base64 of a 32-byte key (``aes-256``), readable by its owner only. Losing it makes the
encrypted parameters unreadable (their actions fail with a clear error until they are updated
with new values).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from whisk.entities.encryption import KEY_VARIABLE, Cipher

KEY_FILE = "parameter.key"
ENCRYPTION_VARIABLE = "WHISK_PARAMETER_ENCRYPTION"


def ensure_parameter_key(state_dir: Path) -> str:
    """The base64 key in ``state_dir``'s key file, made (0600) when absent."""
    path = state_dir / KEY_FILE
    if path.exists():
        text = path.read_text().strip()
        Cipher.from_base64(text, str(path))  # a damaged file fails the start, naming itself
        return text
    text = Cipher.generate().to_base64()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text + "\n")
    return text


def with_parameter_key(environ: Mapping[str, str], state_dir: Path) -> dict[str, str]:
    """``environ`` with ``WHISK_PARAMETER_KEY`` set: the caller's, else the state dir's when
    encryption is asked for or its key file exists; else ``environ`` as it is (no encryption)."""
    if environ.get(KEY_VARIABLE, "").strip():
        return dict(environ)
    wanted = environ.get(ENCRYPTION_VARIABLE, "").strip().lower() in ("on", "true", "1")
    if not wanted and not (state_dir / KEY_FILE).exists():
        return dict(environ)
    return {**environ, KEY_VARIABLE: ensure_parameter_key(state_dir)}
