"""The checks on an action's binary code (pure): base64 of a zip archive the action proxy can
unpack safely. Refused at PUT, not at the first run: an archive that is not a zip, that
would unpack past ``MAX_UNPACKED_BYTES`` or ``MAX_ENTRIES`` (a zip bomb), or that has an entry
outside its root (``../x``, ``/etc/x``), a symbolic link, or an encrypted entry.

The sizes checked are the ones the archive declares: the proxy unpacks with ``zipfile``, which
stops at an entry's declared size (and fails its CRC), so a lying archive cannot unpack more.
"""

from __future__ import annotations

import base64
import binascii
import io
import stat
import zipfile
from pathlib import PurePosixPath

from whisk.errors import InvalidArgument

MAX_UNPACKED_BYTES = 512 * 1024 * 1024
MAX_ENTRIES = 50_000
_ENCRYPTED = 0x1


def not_an_archive(why: str) -> InvalidArgument:
    return InvalidArgument(f"The action's binary code is not a usable zip archive: {why}.")


def unsafe_entry(name: str) -> str | None:
    """Why an entry's name would land outside the unpacking root, or None."""
    if "\\" in name or "\x00" in name:
        return f"the entry {name!r} has a backslash or a NUL in its name"
    path = PurePosixPath(name)
    if path.is_absolute() or (path.parts and path.parts[0].endswith(":")):
        return f"the entry {name!r} is an absolute path"
    if ".." in path.parts:
        return f"the entry {name!r} is outside the archive's root"
    return None


def check_archive(code: str) -> None:
    """Raise ``InvalidArgument`` unless ``code`` is base64 of a zip that unpacks safely."""
    try:
        data = base64.b64decode(code.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise not_an_archive("it is not base64") from None
    if data.count(b"PK\x01\x02") > MAX_ENTRIES:  # central directory headers, before parsing them
        raise not_an_archive(f"more than {MAX_ENTRIES} entries")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise not_an_archive(f"not a zip ({exc})") from None
    with archive:
        entries = archive.infolist()
    if len(entries) > MAX_ENTRIES:
        raise not_an_archive(f"{len(entries)} entries, more than {MAX_ENTRIES}")
    total = 0
    for entry in entries:
        why = unsafe_entry(entry.filename)
        if why is not None:
            raise not_an_archive(why)
        if stat.S_ISLNK(entry.external_attr >> 16):
            raise not_an_archive(f"the entry {entry.filename!r} is a symbolic link")
        if entry.flag_bits & _ENCRYPTED:
            raise not_an_archive(f"the entry {entry.filename!r} is encrypted")
        total += entry.file_size
        if total > MAX_UNPACKED_BYTES:
            raise not_an_archive(f"it unpacks to more than {MAX_UNPACKED_BYTES} bytes")
