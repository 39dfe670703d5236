"""Auth keys (``uuid:key``) and how their secrets are kept.

A key is a UUID (36 characters) and a 64-character secret. Only a salted SHA-256 of the secret
is stored; secrets are 64 random characters (~380 bits), so a slow password hash buys nothing
and a fast one keeps authentication off the hot path's critical cost. Comparison is constant
time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
import uuid as uuidlib
from dataclasses import dataclass

from whisk.errors import InvalidArgument

_UUID_RE = re.compile(r"\A[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
_SECRET_RE = re.compile(r"\A[0-9A-Za-z]{64}\Z")
_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True, slots=True)
class AuthKey:
    uuid: str
    secret: str

    def __post_init__(self) -> None:
        if not _UUID_RE.match(self.uuid):
            raise InvalidArgument("The auth key uuid must be a 36-character lowercase UUID.")
        if not _SECRET_RE.match(self.secret):
            raise InvalidArgument("The auth key secret must be 64 alphanumeric characters.")

    def __str__(self) -> str:
        return f"{self.uuid}:{self.secret}"

    def __repr__(self) -> str:  # never print the secret by accident
        return f"AuthKey(uuid={self.uuid!r}, secret=<hidden>)"

    @classmethod
    def generate(cls) -> AuthKey:
        return cls(str(uuidlib.uuid4()), "".join(secrets.choice(_ALPHABET) for _ in range(64)))

    @classmethod
    def parse(cls, text: str) -> AuthKey:
        uuid, sep, secret = text.partition(":")
        if not sep:
            raise InvalidArgument("The auth key must have the form uuid:key.")
        return cls(uuid, secret)


def hash_secret(secret: str, salt: str | None = None) -> str:
    """``sha256$<salt>$<hex digest>``."""
    salt = salt or secrets.token_hex(16)
    digest = hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()
    return f"sha256${salt}${digest}"


def verify_secret(secret: str, stored_hash: str) -> bool:
    try:
        scheme, salt, _ = stored_hash.split("$", 2)
    except ValueError:
        return False
    if scheme != "sha256":
        return False
    return hmac.compare_digest(hash_secret(secret, salt), stored_hash)
