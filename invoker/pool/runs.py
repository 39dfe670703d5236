"""What the pool reports about one run: how its container was found (``StartKind``), where it
runs (``Placement``) and what happened (``RunOutcome``)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from whisk.entities.activation import ActivationResponse


class StartKind(StrEnum):
    WARM = "warmed"
    WARMING = "warming"
    PREWARMED = "prewarmed"
    COLD = "cold"


@dataclass(frozen=True, slots=True)
class Placement:
    container_id: str
    start: StartKind


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """What happened to one run. ``start_ms`` is epoch ms of the /init start on cold and
    prewarmed starts, else of the /run start; ``init_time_ms`` is set only when /init ran."""

    response: ActivationResponse
    start_ms: int
    end_ms: int
    init_time_ms: int | None = None
    timed_out: bool = False
    logs: tuple[str, ...] = ()
    container_id: str | None = None
    start: StartKind | None = None
