"""What the handlers need from a language runtime: load the code once, run it per activation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Outcome:
    """A run's outcome: ``ok`` with the value the proxy answers with 200 (what main returned, or
    ``{"error": ...}`` for what the runtime classifies as an application error), or not ok with
    the error the proxy answers with 502 (a developer error)."""

    ok: bool
    result: object


class Executor(Protocol):
    source_name: str  # the file a plain-text action is written to
    non_object_error: str  # the 502 error when main returns neither an object nor an array
    code_required: bool  # /init without code is refused (else: the runtime has its own)
    init_error: str | None  # when set, the 502 of every failed /init (details go to the logs)

    def load(self, root: Path, main: str, env: Mapping[str, str]) -> None: ...

    def run(self, value: object, env: Mapping[str, str]) -> Outcome: ...

    def close(self) -> None: ...
