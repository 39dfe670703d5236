"""Secrets are compared in constant time: keys (their salted hashes) and web actions'
``require-whisk-auth`` secrets both go through ``hmac.compare_digest``, never ``==``."""

from __future__ import annotations

import hmac
from typing import Any

import pytest

from controller.webactions.auth import auth_requirement
from whisk.entities.identity import AuthKey, hash_secret, verify_secret


@pytest.fixture
def compared(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, Any]]:
    calls: list[tuple[Any, Any]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    return calls


def test_key_checks_compare_hashes_in_constant_time(compared: list[tuple[Any, Any]]) -> None:
    key = AuthKey.generate()
    stored = hash_secret(key.secret)
    assert verify_secret(key.secret, stored)
    assert not verify_secret("x" * 64, stored)
    assert len(compared) == 2 and all(b == stored for _, b in compared)
    assert key.secret not in str(compared)  # the hashes are compared, not the secret


def test_web_action_secrets_compare_in_constant_time(compared: list[tuple[Any, Any]]) -> None:
    need = auth_requirement("s3cret")
    assert need.secret_matches("s3cret")
    assert not need.secret_matches("s3cre")
    assert not need.secret_matches("ünïcode")  # non-ASCII headers compare (as bytes), fail
    assert len(compared) == 3
