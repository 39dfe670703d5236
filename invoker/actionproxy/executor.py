"""What the handlers need from a language runtime: load the code once, run it per activation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Outcome:
    """A run's outcome: ``ok`` with the value main returned, or the error (a str or JSON)."""

    ok: bool
    result: object


class Executor(Protocol):
    source_name: str  # the file a plain-text action is written to

    def load(self, root: Path, main: str, env: Mapping[str, str]) -> None: ...

    def run(self, value: object, env: Mapping[str, str]) -> Outcome: ...

    def close(self) -> None: ...
