"""whisk/entities/archive.py: which binary action code is a zip the action proxy may unpack."""

from __future__ import annotations

import base64

import pytest

from tests.api.hostile_cases import PY, declared_size, encrypted, symlink, zip_of
from whisk.entities import archive
from whisk.errors import InvalidArgument

MAIN = ("__main__.py", PY.encode())


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_a_plain_zip_passes() -> None:
    archive.check_archive(b64(zip_of(MAIN, ("lib/util.py", b"x = 1\n"), ("lib/", b""))))


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"not a zip at all", "not a zip"),
        (zip_of(MAIN, ("../../etc/x", b"x")), "outside"),
        (zip_of(MAIN, ("/etc/passwd", b"x")), "absolute"),
        (zip_of(MAIN, ("C:/x", b"x")), "absolute"),
        (zip_of(MAIN, ("a\\..\\x", b"x")), "backslash"),
        (zip_of(MAIN, symlink("link", "/etc/passwd")), "symbolic link"),
        (encrypted(zip_of(MAIN, ("secret", b"x"))), "encrypted"),
        (declared_size(zip_of(MAIN), 0xFFFFFFF0), "unpacks to more than"),
    ],
)
def test_hostile_archives_are_refused(data: bytes, why: str) -> None:
    with pytest.raises(InvalidArgument, match=why):
        archive.check_archive(b64(data))


def test_code_that_is_not_base64_is_refused() -> None:
    with pytest.raises(InvalidArgument, match="not base64"):
        archive.check_archive("AAA*")


def test_too_many_entries_are_refused_before_they_are_parsed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(archive, "MAX_ENTRIES", 10)
    with pytest.raises(InvalidArgument, match="more than 10 entries"):
        archive.check_archive(b64(zip_of(MAIN, *((f"e{i}", b"") for i in range(11)))))


def test_the_unpacked_total_counts_every_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive, "MAX_UNPACKED_BYTES", 1000)
    archive.check_archive(b64(zip_of(MAIN, ("a", bytes(400)), ("b", bytes(400)))))
    with pytest.raises(InvalidArgument, match="more than 1000 bytes"):
        archive.check_archive(b64(zip_of(MAIN, *((f"z{i}", bytes(400)) for i in range(3)))))
