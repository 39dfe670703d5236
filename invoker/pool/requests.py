"""What the invoker needs to run one activation, with no store lookup.

The invocation path (Kafka feed or the standalone bus) builds a ``RunRequest`` from the
activation message and the action it names; the pool schedules it; ``Invoker.run`` turns the
outcome into an ``Activation``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from invoker.containers.ports import Transport
from invoker.pool.state import ActionKey
from whisk.entities.activation import ActivationId
from whisk.errors import InvalidArgument


@dataclass(frozen=True, slots=True)
class ExecSpec:
    """How to start and initialise the action: runtime kind, image, and the code for /init.
    ``code`` is None for a blackbox image with no code; ``binary`` means base64 (zip or
    executable). ``sentinelled_logs`` says whether the runtime writes the log sentinel;
    ``native`` marks the manifest's blackbox image (the action is an executable the proxy runs:
    ``--native``)."""

    kind: str
    image: str
    code: str | None = None
    binary: bool = False
    main: str = "main"
    transport: Transport = Transport.UNIX
    sentinelled_logs: bool = True
    native: bool = False


@dataclass(frozen=True, slots=True)
class RunLimits:
    timeout_ms: int = 60_000
    memory_mb: int = 256
    logs_mb: int = 10
    concurrency: int = 1

    def __post_init__(self) -> None:
        if self.timeout_ms <= 0 or self.memory_mb <= 0 or self.logs_mb < 0:
            raise InvalidArgument("The action limits are not valid.")
        if self.concurrency < 1:
            raise InvalidArgument("The action concurrency limit must be at least 1.")

    def to_json(self) -> dict[str, int]:
        """The ``limits`` annotation of the activation record."""
        return {
            "timeout": self.timeout_ms,
            "memory": self.memory_mb,
            "logs": self.logs_mb,
            "concurrency": self.concurrency,
        }


@dataclass(frozen=True, slots=True)
class RunRequest:
    """One activation to run. ``action`` is the fully qualified name ``ns/[pkg/]name`` (the
    ``path`` annotation); ``namespace``/``subject`` are the invoker's (who asked).
    ``wait_start_ms`` is the epoch ms at which the controller accepted the activation."""

    activation_id: ActivationId
    transaction_id: str
    namespace: str
    subject: str
    action: str
    version: str
    revision: str
    exec: ExecSpec
    limits: RunLimits
    wait_start_ms: int
    params: Any = field(default_factory=dict)  # merged parameters (usually an object)
    init_params: dict[str, Any] = field(default_factory=dict)  # go to /init env only
    api_key: str | None = None  # present only when the action may see it
    cause: ActivationId | None = None
    network: bool = False
    annotations: tuple[dict[str, Any], ...] = ()  # added to the record as is (causedBy, binding)
    # what a warm container must be for to take this run (made once: the pool compares it
    # with every candidate container)
    key: ActionKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.action.count("/") not in (1, 2) or "" in self.action.split("/"):
            raise InvalidArgument(f"The action name {self.action!r} is not fully qualified.")
        object.__setattr__(self, "key", ActionKey(self.namespace, self.action, self.revision))

    @property
    def name(self) -> str:
        return self.action.rsplit("/", 1)[1]

    @property
    def kind(self) -> str:
        return self.exec.kind

    @property
    def memory_mb(self) -> int:
        return self.limits.memory_mb

    @property
    def concurrency(self) -> int:
        return self.limits.concurrency
