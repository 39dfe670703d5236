"""Where a manifest error is: ManifestError and the Location (file, line, key) it names.

``Location.error`` builds messages like ``manifest.yaml:7: packages.demo.actions.hello.limits.
timeout: must be a positive integer (got 'soon')``.
"""

from __future__ import annotations

from dataclasses import dataclass

from whisk.errors import InvalidArgument


class ManifestError(InvalidArgument):
    """A manifest or deployment file breaks a rule; the message names file, line and key."""


@dataclass(frozen=True)
class Location:
    file: str
    line: int  # 1-based
    key: str  # dotted path, e.g. packages.demo.actions.hello

    def error(self, message: str) -> ManifestError:
        where = f"{self.file}:{self.line}: {self.key}" if self.key else f"{self.file}:{self.line}"
        return ManifestError(f"{where}: {message}")

    def child(self, key: str, line: int) -> Location:
        return Location(self.file, line, f"{self.key}.{key}" if self.key else key)
