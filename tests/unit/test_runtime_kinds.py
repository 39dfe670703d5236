"""A PUT's ``exec.kind`` against the runtime manifest, with OpenWhisk's messages."""

from __future__ import annotations

import pytest

from whisk.entities.runtimes import RuntimeManifest
from whisk.errors import InvalidArgument, MalformedRequest

MANIFEST = RuntimeManifest.from_json(
    {
        "runtimes": {
            "python": [
                {"kind": "python:3.11", "default": True, "image": "img:1"},
                {"kind": "python:2", "deprecated": True, "image": "img:0"},
            ],
            "nodejs": [{"kind": "nodejs:20", "default": True, "image": "node:1"}],
        }
    }
)


def test_kind_is_trimmed_lower_cased_and_default_resolves() -> None:
    assert MANIFEST.resolve(" Python:3.11 ").kind == "python:3.11"
    assert MANIFEST.resolve("nodejs:default").kind == "nodejs:20"


def test_deprecated_kind_has_openwhisks_message() -> None:
    with pytest.raises(InvalidArgument) as raised:
        MANIFEST.resolve("python:2")
    assert raised.value.message == (
        "The 'python:2' runtime is no longer supported. You may read and delete but not update "
        "or invoke this action."
    )


@pytest.mark.parametrize("kind", ["go:1", "go:default"])
def test_unknown_kind_lists_every_valid_kind(kind: str) -> None:
    with pytest.raises(MalformedRequest) as raised:
        MANIFEST.resolve(kind)
    assert raised.value.message == (
        "The request content was malformed:\n"
        f"The specified runtime '{kind}' is not supported by this platform. Valid values are: "
        "'python:3.11', 'python:2', 'nodejs:20', 'sequence', 'blackbox'."
    )


@pytest.mark.parametrize("kind", [None, "", "  ", 7])
def test_missing_kind_is_malformed_content(kind: object) -> None:
    with pytest.raises(MalformedRequest) as raised:
        MANIFEST.resolve(kind)
    assert raised.value.message == (
        "The request content was malformed:\n'kind' must be a string defined in 'exec'"
    )
