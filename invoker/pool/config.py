"""Settings of the container pool, grouped in frozen objects; built by whoever wires the invoker.

Nothing here reads files or the environment: the runtime manifest's ``stemCells`` become
``StemCellSpec`` values in the wiring code (``stem_cells_from_manifest`` helps).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from invoker.containers.ports import Transport
from whisk.errors import InvalidArgument

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class StemCellSpec:
    """Keep ``count`` prewarmed containers of ``kind`` at ``memory_mb`` from ``image``."""

    kind: str
    image: str
    memory_mb: int
    count: int
    transport: Transport = Transport.UNIX
    concurrency: int = 1  # runs its proxy accepts at once; bigger actions start cold

    def __post_init__(self) -> None:
        if self.memory_mb <= 0 or self.count < 0 or self.concurrency < 1:
            raise InvalidArgument(f"invalid stem-cell settings for {self.kind}")


@dataclass(frozen=True, slots=True)
class PoolConfig:
    """``user_memory_mb`` is the pool's capacity (sum of container memory limits).
    ``pause_grace_s`` None turns pausing off (sensible for the process factory).
    ``name_prefix`` starts every container name; ``instance_label`` marks them for orphan
    removal on the next start."""

    user_memory_mb: int = 1024
    stem_cells: tuple[StemCellSpec, ...] = ()
    idle_timeout_s: float = 600.0
    pause_grace_s: float | None = 10.0
    housekeeping_interval_s: float = 1.0
    max_result_bytes: int = MB
    name_prefix: str = "wsk0"
    instance_label: str = "invoker0"
    log_collection: bool = True
    env: Mapping[str, str] | None = None  # added to every container (``__OW_API_HOST``...)
    stem_cell_retry_limit: int = 5

    def __post_init__(self) -> None:
        if self.user_memory_mb <= 0:
            raise InvalidArgument("The pool needs some user memory.")
        if self.idle_timeout_s <= 0 or self.housekeeping_interval_s <= 0:
            raise InvalidArgument("Pool intervals must be positive.")
        if self.pause_grace_s is not None and self.pause_grace_s < 0:
            raise InvalidArgument("The pause grace must not be negative.")


def _memory_mb(value: Any) -> int:
    """``256``, ``"256 MB"`` or ``"256m"`` → 256."""
    if isinstance(value, int):
        return value
    text = str(value).strip().lower().replace(" ", "")
    for suffix in ("mb", "m"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
            break
    return int(text)


def _image(image: Any) -> str:
    if isinstance(image, str):
        return image
    name = f"{image['prefix']}/{image['name']}" if image.get("prefix") else str(image["name"])
    return f"{name}:{image.get('tag', 'latest')}"


def stem_cells_from_manifest(
    manifest: Mapping[str, Any], kinds: Iterable[str] | None = None
) -> tuple[StemCellSpec, ...]:
    """Stem cells from a manifest in OpenWhisk's JSON shape
    (``{"runtimes": {family: [{"kind", "image", "stemCells": [{"initialCount", "memory"}]}]}}``),
    optionally only for ``kinds``."""
    wanted = None if kinds is None else set(kinds)
    specs: list[StemCellSpec] = []
    for entries in manifest.get("runtimes", {}).values():
        for entry in entries:
            if wanted is not None and entry["kind"] not in wanted:
                continue
            for cell in entry.get("stemCells") or []:
                specs.append(
                    StemCellSpec(
                        kind=entry["kind"],
                        image=_image(entry["image"]),
                        memory_mb=_memory_mb(cell["memory"]),
                        count=int(cell.get("initialCount", cell.get("count", 1))),
                    )
                )
    return tuple(specs)
