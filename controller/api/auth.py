"""Authentication (HTTP Basic ``uuid:key``) and entitlement (which namespace a key may touch)."""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass, field

from aiohttp import web

from whisk.entities.identity import verify_secret
from whisk.entities.messages import CREDENTIALS_MISSING, CREDENTIALS_REJECTED
from whisk.entities.names import DEFAULT_NAMESPACE, check_namespace
from whisk.errors import Forbidden, Unauthenticated
from whisk.store.ports import Identity, IdentityStore


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """``(uuid, secret)`` from an ``Authorization: Basic ...`` header, or None."""
    if not header:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    uuid, sep, secret = decoded.partition(":")
    return (uuid, secret) if sep and uuid and secret else None


@dataclass(slots=True)
class Authenticator:
    """Looks identities up by uuid, with a short cache so a hot caller does not hit the store
    on every request. A cached entry is only trusted after its secret hash is checked."""

    store: IdentityStore
    ttl_seconds: float = 5.0
    _cache: dict[str, tuple[float, Identity | None]] = field(default_factory=dict)

    async def identify(self, request: web.Request) -> Identity:
        header = request.headers.get("Authorization")
        creds = basic_credentials(header)
        if creds is None:
            # OpenWhisk's HTTP layer: no (usable) credentials vs credentials it rejects
            missing = not header or not header.lower().startswith("basic ")
            raise Unauthenticated(CREDENTIALS_MISSING if missing else CREDENTIALS_REJECTED)
        uuid, secret = creds
        identity = await self._lookup(uuid)
        if identity is None or identity.blocked or not verify_secret(secret, identity.key_hash):
            raise Unauthenticated(CREDENTIALS_REJECTED)
        return identity

    async def optional(self, request: web.Request) -> Identity | None:
        if "Authorization" not in request.headers:
            return None
        return await self.identify(request)

    async def _lookup(self, uuid: str) -> Identity | None:
        now = time.monotonic()
        hit = self._cache.get(uuid)
        if hit is not None and hit[0] > now:
            return hit[1]
        identity = await self.store.get_identity_by_uuid(uuid)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[uuid] = (now + self.ttl_seconds, identity)
        return identity

    def forget(self, uuid: str | None = None) -> None:
        if uuid is None:
            self._cache.clear()
        else:
            self._cache.pop(uuid, None)


def resolve_namespace(identity: Identity, namespace: str) -> str:
    """The namespace a path names, with ``_`` meaning the caller's own."""
    check_namespace(namespace)
    return identity.namespace if namespace == DEFAULT_NAMESPACE else namespace


def require_own(identity: Identity, namespace: str) -> str:
    """Resolve and check that the caller owns the namespace (writes, activations, limits)."""
    resolved = resolve_namespace(identity, namespace)
    if resolved != identity.namespace:
        raise Forbidden()
    return resolved
