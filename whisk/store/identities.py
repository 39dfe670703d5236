"""The key bootstrap: an identity (subject, namespace, key) created in the store. ``whisk admin
user create`` and standalone mode's guest both make theirs here; the store keeps only the key's
hash, so the key is returned once, to the caller."""

from __future__ import annotations

from whisk.entities.identity import AuthKey, hash_secret
from whisk.entities.names import check_name
from whisk.store.ports import Identity, Store


async def create_identity(
    store: Store, subject: str, namespace: str, key: AuthKey | None = None
) -> AuthKey:
    """Create an identity; the key is generated unless given. Returns the key."""
    check_name(subject, "subject")
    check_name(namespace, "namespace")
    key = key or AuthKey.generate()
    await store.create_identity(
        Identity(
            subject=subject, namespace=namespace, uuid=key.uuid, key_hash=hash_secret(key.secret)
        )
    )
    return key
