"""Parameters encrypted at rest (pure): the codec, lock and unlock, what a message carries,
what the invoker decrypts, the settings, and standalone's key file."""

from __future__ import annotations

import base64
import json
import stat
import struct
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from invoker.activations import run_request
from whisk.config import SettingsError, load_settings
from whisk.entities.action import Action
from whisk.entities.common import EntityRules
from whisk.entities.encryption import (
    AES128,
    AES256,
    Cipher,
    DecryptionFailed,
    ParameterEncryption,
    load_parameter_encryption,
    locked_arguments,
)
from whisk.entities.names import FullyQualifiedName
from whisk.entities.parameters import KeyValue, Parameters
from whisk.entities.runtimes import RuntimeManifest
from whisk.errors import InvalidArgument
from whisk.messages import (
    ActionRef,
    ActivationMessage,
    ControllerInstanceId,
    TransactionId,
    UserRef,
)

KEY128 = bytes(range(16))
KEY256 = bytes(range(32))
PARAMS = Parameters.from_json(
    [
        {"key": "password", "value": "hunter2"},
        {"key": "config", "value": {"host": "db", "ports": [1, 2], "tls": True}},
        {"key": "token", "value": "line1\nline2 ünïcode", "init": True},
        {"key": "nothing", "value": None},
    ]
)
MANIFEST = RuntimeManifest.from_json(
    {"runtimes": {"python": [{"kind": "python:3.11", "default": True, "image": "img:1"}]}}
)


def encryption(key: bytes = KEY256, *previous: bytes) -> ParameterEncryption:
    return ParameterEncryption(Cipher(key), tuple(Cipher(k) for k in previous))


# -- the codec ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["s3cret", "", 42, 1.5, True, None, [1, "a"], {"nested": {"k": ["v"]}}, "ü\n\t\"'"]
)
@pytest.mark.parametrize("key", [KEY128, KEY256])
def test_cipher_round_trips_any_json_value(key: bytes, value: Any) -> None:
    cipher = Cipher(key)
    sealed = cipher.encrypt(value)
    assert isinstance(sealed, str)
    assert cipher.decrypt(sealed) == value


def test_cipher_names_its_scheme_by_key_length() -> None:
    assert Cipher(KEY128).scheme == AES128
    assert Cipher(KEY256).scheme == AES256
    with pytest.raises(InvalidArgument, match="16 or 32 bytes"):
        Cipher(b"x" * 24)


def test_cipher_writes_openwhisks_format() -> None:
    # base64(be32 iv length || iv || AES-GCM ciphertext with its 16-byte tag), iv 12 bytes for
    # aes-128 and 128 for aes-256 (OpenWhisk's Aes128 / Aes256), over the value's compact JSON
    for key, iv_len in ((KEY128, 12), (KEY256, 128)):
        raw = base64.b64decode(Cipher(key).encrypt({"a": [1, 2]}))
        (length,) = struct.unpack(">i", raw[:4])
        assert length == iv_len
        iv, sealed = raw[4 : 4 + iv_len], raw[4 + iv_len :]
        assert AESGCM(key).decrypt(iv, sealed, None) == b'{"a":[1,2]}'


def test_cipher_reads_a_value_sealed_as_openwhisk_seals_it() -> None:
    iv = bytes(12)
    sealed = AESGCM(KEY128).encrypt(iv, json.dumps("from-openwhisk").encode(), None)
    text = base64.b64encode(struct.pack(">i", 12) + iv + sealed).decode()
    assert Cipher(KEY128).decrypt(text) == "from-openwhisk"


def test_cipher_uses_a_fresh_iv_every_time() -> None:
    cipher = Cipher(KEY256)
    assert cipher.encrypt("same") != cipher.encrypt("same")


def test_cipher_refuses_another_key_and_altered_values() -> None:
    sealed = Cipher(KEY256).encrypt("s3cret")
    with pytest.raises(ValueError, match="key does not match"):
        Cipher(bytes(32)).decrypt(sealed)
    raw = bytearray(base64.b64decode(sealed))
    raw[-1] ^= 1
    with pytest.raises(ValueError, match="key does not match"):
        Cipher(KEY256).decrypt(base64.b64encode(bytes(raw)).decode())
    with pytest.raises(ValueError, match="iv length"):  # an aes-128 value under an aes-256 key
        Cipher(KEY256).decrypt(Cipher(KEY128).encrypt("x"))
    for junk in ("not base64!", "", base64.b64encode(b"abc").decode()):
        with pytest.raises(ValueError):
            Cipher(KEY256).decrypt(junk)


def test_cipher_never_shows_its_key() -> None:
    cipher = Cipher(KEY256)
    shown = repr(cipher) + repr(ParameterEncryption(cipher)) + str(cipher)
    assert cipher.to_base64() not in shown and str(KEY256) not in shown


# -- lock and unlock ---------------------------------------------------------------------------


def test_lock_encrypts_every_value_and_marks_its_scheme() -> None:
    locked = encryption().lock(PARAMS)
    assert locked.keys() == PARAMS.keys()
    assert locked.init_keys() == ["token"]
    for kv, plain in zip(locked.items, PARAMS.items, strict=True):
        assert kv.encryption == AES256
        assert isinstance(kv.value, str) and kv.value != plain.value
    stored = json.dumps(locked.to_json())
    assert "hunter2" not in stored and "line1" not in stored and '"db"' not in stored
    assert locked.to_json()[0] == {
        "key": "password",
        "value": locked.items[0].value,
        "encryption": "aes-256",
    }


def test_lock_keeps_encrypted_values_and_does_nothing_without_a_key() -> None:
    locked = encryption().lock(PARAMS)
    again = encryption().lock(locked.with_value("new", "plain"))
    assert [kv.value for kv in again.items[:4]] == [kv.value for kv in locked.items]
    assert again.items[4].encryption == AES256
    assert ParameterEncryption().lock(PARAMS) is PARAMS


def test_unlock_restores_the_values_and_leaves_plain_ones() -> None:
    mixed = encryption().lock(PARAMS).merge(Parameters.of({"plain": "as-is"}))
    unlocked = encryption().unlock(mixed)
    assert unlocked.as_dict() == {**PARAMS.as_dict(), "plain": "as-is"}
    assert all(kv.encryption is None for kv in unlocked.items)
    assert unlocked.init_keys() == ["token"]


def test_parameters_read_and_write_the_encryption_field() -> None:
    locked = encryption(KEY128).lock(PARAMS)
    again = Parameters.from_json(json.loads(json.dumps(locked.to_json())))
    assert again == locked
    assert Parameters.from_json([{"key": "a", "value": 1, "encryption": None}]).items == (
        KeyValue("a", 1),
    )
    with pytest.raises(InvalidArgument, match="encryption"):
        Parameters.from_json([{"key": "a", "value": 1, "encryption": 7}])


def test_unlock_with_the_wrong_key_names_the_parameter_not_its_value() -> None:
    locked = encryption().lock(Parameters.of({"password": "hunter2"}))
    with pytest.raises(DecryptionFailed) as failed:
        encryption(bytes(32)).unlock(locked)
    assert "'password'" in failed.value.message and "WHISK_PARAMETER_KEY" in failed.value.message
    assert "hunter2" not in failed.value.message and locked.items[0].value not in str(failed.value)


def test_unlock_without_a_key_for_the_scheme_says_so() -> None:
    locked = encryption(KEY128).lock(Parameters.of({"password": "hunter2"}))
    with pytest.raises(DecryptionFailed, match="no aes-128 parameter key is configured"):
        ParameterEncryption().unlock(locked)
    with pytest.raises(DecryptionFailed, match="no aes-128"):
        encryption(KEY256).unlock(locked)
    # a previous key of that scheme still reads it after a change of scheme
    assert encryption(KEY256, KEY128).unlock(locked).as_dict() == {"password": "hunter2"}


# -- the message and the invoker -------------------------------------------------------------


def test_locked_arguments_leave_out_what_the_payload_overrides() -> None:
    locked = encryption().lock(Parameters.of({"a": 1, "b": 2})).with_value("c", 3)
    assert locked_arguments(locked) == {"a": AES256, "b": AES256}
    assert locked_arguments(locked, {"a": "override"}) == {"b": AES256}


def test_unlock_arguments_decrypts_only_the_locked_names() -> None:
    coder = encryption()
    sealed = coder.lock(Parameters.of({"a": "secret"})).items[0].value
    content = {"a": sealed, "b": "plain", "c": sealed}
    assert coder.unlock_arguments(content, {"a": AES256}) == {
        "a": "secret",
        "b": "plain",
        "c": sealed,
    }
    assert coder.unlock_arguments([1, 2], {"a": AES256}) == [1, 2]
    assert coder.unlock_arguments(content, {}) is content


def _message(content: dict[str, Any], locked: dict[str, str]) -> ActivationMessage:
    return ActivationMessage(
        transid=TransactionId("tid", 1_000),
        action=ActionRef(path="ns", name="act", version="0.0.1"),
        revision="1",
        user=UserRef(subject="s", namespace="ns"),
        activation_id="a" * 32,
        root_controller_index=ControllerInstanceId("0"),
        blocking=True,
        content=content,
        init_args=("token",),
        locked_args=locked,
    )


def test_run_request_decrypts_the_arguments_and_the_init_parameters() -> None:
    coder = encryption()
    stored = coder.lock(PARAMS)
    action = Action.from_put(
        FullyQualifiedName("ns", "act"),
        {"exec": {"kind": "python:3.11", "code": "def main(a): return a"}},
        EntityRules(MANIFEST),
    )
    action = Action.from_stored({**action.to_stored(), "parameters": stored.to_json()}, 0)
    content = {**stored.without(["token"]).as_dict(), "given": 1}
    message = _message(content, locked_arguments(stored))
    # the message carries no plaintext of a stored parameter
    assert "hunter2" not in json.dumps(message.to_json())
    request = run_request(message, action, "1", MANIFEST, coder)
    assert request.params == {**PARAMS.without(["token"]).as_dict(), "given": 1}
    assert request.init_params == {"token": "line1\nline2 ünïcode"}


def test_run_request_with_the_wrong_key_fails_clearly() -> None:
    stored = encryption().lock(Parameters.of({"password": "hunter2"}))
    action = Action.from_put(
        FullyQualifiedName("ns", "act"),
        {"exec": {"kind": "python:3.11", "code": "def main(a): return a"}},
        EntityRules(MANIFEST),
    )
    message = _message(stored.as_dict(), locked_arguments(stored))
    with pytest.raises(DecryptionFailed, match="'password' cannot be decrypted"):
        run_request(message, action, "1", MANIFEST, encryption(bytes(32)))


# -- settings and standalone's key -------------------------------------------------------------


def test_settings_read_the_key_and_name_a_bad_one() -> None:
    key = base64.b64encode(KEY128).decode()
    base = {"WHISK_DB_URL": "sqlite+aiosqlite:///x.db"}
    assert not load_settings(base).parameter_encryption.enabled
    loaded = load_settings({**base, "WHISK_PARAMETER_KEY": key}).parameter_encryption
    assert loaded.current is not None and loaded.current.scheme == AES128
    for bad in ("%%%", base64.b64encode(b"short").decode()):
        with pytest.raises(SettingsError, match="WHISK_PARAMETER_KEY") as failed:
            load_settings({**base, "WHISK_PARAMETER_KEY": bad})
        assert bad not in str(failed.value)
    previous = load_parameter_encryption(
        {"WHISK_PARAMETER_KEY": "", "WHISK_PARAMETER_KEYS_PREVIOUS": f"{key}, "}
    )
    assert previous.current is None and [c.scheme for c in previous.previous] == [AES128]


def test_standalone_makes_its_key_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    from standalone.parameter_key import KEY_FILE, ensure_parameter_key, with_parameter_key

    assert "WHISK_PARAMETER_KEY" not in with_parameter_key({}, tmp_path)  # off, as OpenWhisk
    assert not (tmp_path / KEY_FILE).exists()
    on = with_parameter_key({"WHISK_PARAMETER_ENCRYPTION": "on"}, tmp_path)
    first = ensure_parameter_key(tmp_path)
    assert on["WHISK_PARAMETER_KEY"] == first
    assert Cipher.from_base64(first).scheme == AES256
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600
    assert ensure_parameter_key(tmp_path) == first
    assert with_parameter_key({}, tmp_path)["WHISK_PARAMETER_KEY"] == first
    given = base64.b64encode(KEY128).decode()
    assert with_parameter_key({"WHISK_PARAMETER_KEY": given}, tmp_path)["WHISK_PARAMETER_KEY"] == (
        given
    )
    (tmp_path / KEY_FILE).write_text("damaged")
    with pytest.raises(InvalidArgument, match=KEY_FILE):
        ensure_parameter_key(tmp_path)
