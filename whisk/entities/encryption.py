"""Parameters encrypted at rest: OpenWhisk's ``ParameterEncryption`` (pure: no I/O).

With a key configured, every parameter of an action or a package (bindings included) that is
not encrypted yet is stored encrypted (``lock``): its value becomes a string and the parameter
carries ``"encryption": "aes-128"`` or ``"aes-256"``. Triggers are not encrypted, as in
OpenWhisk (their parameters are merged into the fire's payload in the controller). Reads
(``GET``) return the parameters as stored, encrypted. A value is decrypted only where it is
used: the invoker, for the run's arguments (``unlock_arguments``, the names the controller
lists in the message's ``lockedArgs``) and the action's init parameters; the controller, for
what it runs itself (a sequence's own parameters, a feed's). Parameters stored before a key
was configured stay plain and keep working beside encrypted ones.

The format is OpenWhisk's, so either decrypts what the other stored with the same key:
``base64(be32(len(iv)) || iv || AES-GCM(compact JSON of the value) || 16-byte tag)``, with a
12-byte iv for ``aes-128`` and a 128-byte one for ``aes-256`` (OpenWhisk's choice).

The key is ``WHISK_PARAMETER_KEY``: the base64 of 16 bytes (``aes-128``) or 32 (``aes-256``).
``WHISK_PARAMETER_KEYS_PREVIOUS`` (comma-separated, same form) keeps the other scheme's key
readable after a change of scheme; values of one scheme are read with that scheme's key only.
Neither the key nor a decrypted value is ever part of a message, a ``repr`` or a log line.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from whisk.entities.parameters import KeyValue, Parameters
from whisk.errors import InternalError, InvalidArgument

AES128 = "aes-128"
AES256 = "aes-256"
IV_BYTES = {AES128: 12, AES256: 128}  # OpenWhisk's Aes128 / Aes256 ivLen
SCHEME_OF_KEY_BYTES = {16: AES128, 32: AES256}
KEY_VARIABLE = "WHISK_PARAMETER_KEY"
PREVIOUS_KEYS_VARIABLE = "WHISK_PARAMETER_KEYS_PREVIOUS"


class DecryptionFailed(InternalError):
    """An encrypted parameter this deployment cannot read: no key for its scheme, the wrong
    key, or a damaged value. The message names the parameter, never its value."""


@dataclass(frozen=True, slots=True)
class Cipher:
    """AES-GCM under one key; the scheme follows from the key's length."""

    key: bytes = field(repr=False)
    scheme: str = field(init=False)

    def __post_init__(self) -> None:
        scheme = SCHEME_OF_KEY_BYTES.get(len(self.key))
        if scheme is None:
            raise InvalidArgument(
                f"A parameter key must be 16 or 32 bytes (aes-128 or aes-256), not {len(self.key)}."
            )
        object.__setattr__(self, "scheme", scheme)

    @classmethod
    def from_base64(cls, text: str, what: str = KEY_VARIABLE) -> Cipher:
        try:
            key = base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise InvalidArgument(f"{what} must be base64 (of 16 or 32 bytes).") from None
        try:
            return cls(key)
        except InvalidArgument as exc:
            raise InvalidArgument(f"{what}: {exc.message}") from None

    @classmethod
    def generate(cls, scheme: str = AES256) -> Cipher:
        size = {v: k for k, v in SCHEME_OF_KEY_BYTES.items()}[scheme]
        return cls(os.urandom(size))

    def to_base64(self) -> str:
        return base64.b64encode(self.key).decode()

    def encrypt(self, value: Any) -> str:
        iv = os.urandom(IV_BYTES[self.scheme])
        clear = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
        sealed = AESGCM(self.key).encrypt(iv, clear, None)
        return base64.b64encode(struct.pack(">i", len(iv)) + iv + sealed).decode()

    def decrypt(self, text: str) -> Any:
        """The value ``encrypt`` sealed; ValueError when it is not one this key sealed."""
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("not base64") from None
        if len(raw) < 4:
            raise ValueError("too short")
        (iv_len,) = struct.unpack(">i", raw[:4])
        if iv_len != IV_BYTES[self.scheme] or len(raw) < 4 + iv_len + 16:
            raise ValueError("invalid iv length")
        iv, sealed = raw[4 : 4 + iv_len], raw[4 + iv_len :]
        try:
            clear = AESGCM(self.key).decrypt(iv, sealed, None)
        except InvalidTag:
            raise ValueError("the key does not match (or the value was altered)") from None
        return json.loads(clear)


@dataclass(frozen=True, slots=True)
class ParameterEncryption:
    """What encrypts new parameters (``current``; None: stored plain) and what reads them
    (one cipher per scheme)."""

    current: Cipher | None = None
    previous: tuple[Cipher, ...] = ()

    @property
    def enabled(self) -> bool:
        return self.current is not None

    def _cipher(self, scheme: str) -> Cipher | None:
        if self.current is not None and self.current.scheme == scheme:
            return self.current
        return next((c for c in self.previous if c.scheme == scheme), None)

    def lock(self, params: Parameters) -> Parameters:
        """Every parameter not encrypted yet, encrypted with the current key (OpenWhisk's
        ``Parameters.lock``); unchanged without a key."""
        cipher = self.current
        if cipher is None or all(kv.encryption for kv in params.items):
            return params
        return Parameters(
            tuple(
                kv
                if kv.encryption
                else KeyValue(kv.key, cipher.encrypt(kv.value), kv.init, cipher.scheme)
                for kv in params.items
            )
        )

    def unlock(self, params: Parameters) -> Parameters:
        """Every encrypted parameter decrypted (plain ones as they are)."""
        if not any(kv.encryption for kv in params.items):
            return params
        return Parameters(
            tuple(
                replace(kv, value=self.decrypt(kv.key, kv.encryption, kv.value), encryption=None)
                if kv.encryption
                else kv
                for kv in params.items
            )
        )

    def unlock_arguments(self, content: Any, locked: Mapping[str, str]) -> Any:
        """A message's ``content`` with the values named in its ``lockedArgs`` decrypted
        (OpenWhisk's ``ContainerProxy.unlockArguments``); other content as it is."""
        if not locked or not isinstance(content, dict):
            return content
        return {
            k: self.decrypt(k, locked[k], v) if k in locked and isinstance(v, str) else v
            for k, v in content.items()
        }

    def decrypt(self, name: str, scheme: str, value: Any) -> Any:
        cipher = self._cipher(scheme)
        if cipher is None:
            raise DecryptionFailed(
                f"The parameter '{name}' is encrypted ({scheme}) but no {scheme} parameter key "
                f"is configured here ({KEY_VARIABLE})."
            )
        try:
            if not isinstance(value, str):
                raise ValueError("not a string")
            return cipher.decrypt(value)
        except ValueError as exc:
            raise DecryptionFailed(
                f"The parameter '{name}' cannot be decrypted ({scheme}): {exc}; is "
                f"{KEY_VARIABLE} the key it was stored with?"
            ) from None


def locked_arguments(params: Parameters, exclude: Iterable[str] = ()) -> dict[str, str]:
    """The encrypted parameters' names and schemes, but those in ``exclude`` (the payload's
    keys, which override them): a message's ``lockedArgs`` (OpenWhisk's
    ``lockedParameters``)."""
    skip = set(exclude)
    return {kv.key: kv.encryption for kv in params.items if kv.encryption and kv.key not in skip}


def load_parameter_encryption(environ: Mapping[str, str]) -> ParameterEncryption:
    """From ``WHISK_PARAMETER_KEY`` (unset or empty: off) and
    ``WHISK_PARAMETER_KEYS_PREVIOUS``; InvalidArgument names a bad variable."""
    current_text = environ.get(KEY_VARIABLE, "").strip()
    current = Cipher.from_base64(current_text) if current_text else None
    previous = tuple(
        Cipher.from_base64(text, PREVIOUS_KEYS_VARIABLE)
        for text in environ.get(PREVIOUS_KEYS_VARIABLE, "").split(",")
        if text.strip()
    )
    return ParameterEncryption(current, previous)
