"""Entity versions: semantic version strings, ``0.0.1`` on create, patch + 1 on every update."""

from __future__ import annotations

import re
from dataclasses import dataclass

from whisk.errors import InvalidArgument

_SEMVER_RE = re.compile(r"\A(\d+)\.(\d+)\.(\d+)\Z")


@dataclass(frozen=True, slots=True, order=True)
class SemVer:
    major: int = 0
    minor: int = 0
    patch: int = 1

    def __post_init__(self) -> None:
        if min(self.major, self.minor, self.patch) < 0:
            raise InvalidArgument("Version numbers must not be negative.")

    def bump(self) -> SemVer:
        return SemVer(self.major, self.minor, self.patch + 1)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    @classmethod
    def parse(cls, text: object) -> SemVer:
        m = _SEMVER_RE.match(text) if isinstance(text, str) else None
        if not m:
            raise InvalidArgument(f"'{text}' is not a valid semantic version.")
        return cls(int(m[1]), int(m[2]), int(m[3]))
