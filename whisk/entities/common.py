"""Pieces every entity shares: the PUT-field checks and the size limits on bodies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from whisk.entities.limits import MB, LimitRanges
from whisk.entities.parameters import Parameters
from whisk.entities.runtimes import RuntimeManifest
from whisk.entities.semver import SemVer
from whisk.errors import InvalidArgument, PayloadTooLarge


@dataclass(frozen=True, slots=True)
class EntityRules:
    """The system's (or a namespace's) rules a PUT is checked against."""

    manifest: RuntimeManifest
    ranges: LimitRanges = field(default_factory=LimitRanges)
    max_parameter_bytes: int = 1 * MB
    max_code_bytes: int = 48 * MB


def require_object(body: object) -> Mapping[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, Mapping):
        raise InvalidArgument("The request content was malformed: expected a JSON object.")
    return body


def put_bool(body: Mapping[str, Any], key: str) -> bool | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise InvalidArgument(f"'{key}' must be a boolean.")
    return value


def put_version(body: Mapping[str, Any]) -> SemVer | None:
    value = body.get("version")
    return None if value is None else SemVer.parse(value)


def put_parameters(body: Mapping[str, Any], key: str, max_bytes: int) -> Parameters | None:
    if key not in body or body[key] is None:
        return None
    if not isinstance(body[key], list):  # the wire form is a list, as OpenWhisk reads it
        raise InvalidArgument(f"The {key} must be a list of key/value pairs.")
    params = Parameters.from_json(body[key], key)
    size = params.size_bytes()
    if size > max_bytes:
        raise PayloadTooLarge(f"{key} larger than allowed: {size} > {max_bytes} bytes.")
    return params


def next_version(existing: SemVer | None, requested: SemVer | None) -> SemVer:
    """0.0.1 on create (or the caller's version); patch + 1 over the stored one on update."""
    if existing is None:
        return requested or SemVer()
    base = requested if requested is not None and requested > existing else existing
    return base.bump() if base == existing else base


def merged_annotations(stored: Parameters, body: Mapping[str, Any], max_bytes: int) -> Parameters:
    """Annotations on update: stored ++ new, minus ``delAnnotations``."""
    new = put_parameters(body, "annotations", max_bytes)
    result = stored.merge(new) if new is not None else stored
    deleted = body.get("delAnnotations")
    if deleted is not None:
        if not isinstance(deleted, list) or not all(isinstance(k, str) for k in deleted):
            raise InvalidArgument("'delAnnotations' must be a list of annotation keys.")
        result = result.without(deleted)
    return result
