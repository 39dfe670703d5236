"""controller.entities.decode keeps the decoded entity beside the cached stored document."""

from __future__ import annotations

from dataclasses import replace

from controller.entities import decode
from whisk.store.ports import Collection, EntityKey, StoredEntity

DOC = {"name": "t", "namespace": "ns", "parameters": [], "annotations": [], "version": "0.0.1"}


def test_the_same_stored_object_decodes_once() -> None:
    stored = StoredEntity(Collection.TRIGGERS, EntityKey("ns", "t"), DOC, revision=1, updated=5)
    first = decode(stored)
    assert decode(stored) is first
    changed = replace(stored, doc={**DOC, "version": "0.0.2"}, revision=2)
    second = decode(changed)
    assert second is not first
    assert str(second.version) == "0.0.2"
