"""Settings, read once at the edge from a mapping (usually ``os.environ``) and passed in.

Every setting has a ``WHISK_*`` variable; a missing variable takes the default; a bad value
raises ``SettingsError`` naming the variable.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from whisk.entities.encryption import ParameterEncryption, load_parameter_encryption
from whisk.entities.limits import MB, LimitRanges, Range
from whisk.entities.namespace_limits import NamespaceLimits
from whisk.entities.runtimes import RuntimeManifest
from whisk.errors import InvalidArgument
from whisk.store import default_db_url

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RUNTIMES_MANIFEST = PACKAGE_ROOT / "invoker" / "runtimes" / "runtimes.json"


class SettingsError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Settings:
    db_url: str
    bus_url: str = "memory://"
    host: str = "127.0.0.1"
    port: int = 3233
    controller_id: int = 0
    log_format: str = "json"
    log_level: str = "info"
    system_limits: NamespaceLimits = field(default_factory=NamespaceLimits)
    max_request_bytes: int = 50 * MB
    max_code_bytes: int = 48 * MB
    list_default_limit: int = 30
    list_max_limit: int = 200
    runtimes_manifest: Path = DEFAULT_RUNTIMES_MANIFEST
    identity_cache_seconds: float = 5.0
    max_blocking_wait_ms: int = 60_000  # raise it so long jobs need not poll (beyond OpenWhisk)
    entity_cache_seconds: float = 2.0  # controller entity reads; 0 turns the cache off
    kafka_topic_prefix: str = ""  # lets several stacks share one Kafka cluster
    controllers: int = 1  # controllers sharing the invokers (their capacity is divided)
    lb_timeout_factor: float = 2.0  # forced completion after max(timeout, floor) * factor + addon
    lb_timeout_floor_ms: int = 60_000
    lb_timeout_addon_ms: int = 60_000
    lb_ping_timeout_s: float = 10.0  # an invoker silent this long is down
    # pending records past hope become whisk internal errors (controller/pending.py): swept
    # this often (0 turns the sweep off), after the balancer's forced-completion deadline plus
    # this grace
    pending_sweep_seconds: float = 60.0
    pending_grace_seconds: float = 120.0
    # throttle counts answered from memory and reconciled with the database this often
    # (controller/admission.py); 0 counts in the database on every request instead
    admission_sync_ms: int = 50
    # action and package parameters encrypted at rest (WHISK_PARAMETER_KEY); off by default
    parameter_encryption: ParameterEncryption = field(default_factory=ParameterEncryption)
    # WHISK_METRICS=off: record no activation or request figures (GET /metrics still serves the
    # scrape-time gauges); bench/metrics_overhead.py --end-to-end measures the difference
    metrics: bool = True

    def with_changes(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    def load_manifest(self) -> RuntimeManifest:
        try:
            data = json.loads(self.runtimes_manifest.read_text())
        except (OSError, ValueError) as exc:
            raise SettingsError(
                f"cannot read the runtime manifest {self.runtimes_manifest}: {exc}"
            ) from exc
        return RuntimeManifest.from_json(data)


def env_int(environ: Mapping[str, str], name: str, default: int) -> int:
    """``name`` as an integer; ``default`` when unset or empty; SettingsError when not one. The
    one integer reader of every ``WHISK_*`` loader (this module's and ``invoker.main``'s)."""
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None


def env_float(environ: Mapping[str, str], name: str, default: float) -> float:
    """``name`` as a number; ``default`` when unset or empty; SettingsError when not one."""
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None


def load_settings(environ: Mapping[str, str]) -> Settings:
    ranges = LimitRanges(
        timeout_ms=Range(
            env_int(environ, "WHISK_LIMIT_TIMEOUT_MIN_MS", 100),
            env_int(environ, "WHISK_LIMIT_TIMEOUT_MAX_MS", 300_000),
            env_int(environ, "WHISK_LIMIT_TIMEOUT_DEFAULT_MS", 60_000),
        ),
        memory_mb=Range(
            env_int(environ, "WHISK_LIMIT_MEMORY_MIN_MB", 128),
            env_int(environ, "WHISK_LIMIT_MEMORY_MAX_MB", 512),
            env_int(environ, "WHISK_LIMIT_MEMORY_DEFAULT_MB", 256),
        ),
        logs_mb=Range(0, env_int(environ, "WHISK_LIMIT_LOGS_MAX_MB", 10), 10),
        concurrency=Range(1, env_int(environ, "WHISK_LIMIT_CONCURRENCY_MAX", 1), 1),
    )
    limits = NamespaceLimits(
        invocations_per_minute=env_int(environ, "WHISK_LIMIT_INVOCATIONS_PER_MINUTE", 60),
        concurrent_invocations=env_int(environ, "WHISK_LIMIT_CONCURRENT_INVOCATIONS", 30),
        fires_per_minute=env_int(environ, "WHISK_LIMIT_FIRES_PER_MINUTE", 60),
        ranges=ranges,
        max_parameter_bytes=env_int(environ, "WHISK_LIMIT_PARAMETERS_BYTES", 1 * MB),
        max_payload_bytes=env_int(environ, "WHISK_LIMIT_PAYLOAD_BYTES", 1 * MB),
    )
    fmt = environ.get("WHISK_LOG_FORMAT", "json")
    if fmt not in ("json", "console"):
        raise SettingsError(f"WHISK_LOG_FORMAT must be json or console, got {fmt!r}")
    metrics = environ.get("WHISK_METRICS", "on") or "on"
    if metrics not in ("on", "off"):
        raise SettingsError(f"WHISK_METRICS must be on or off, got {metrics!r}")
    for name in ("WHISK_PENDING_SWEEP_SECONDS", "WHISK_PENDING_GRACE_SECONDS"):
        if env_float(environ, name, 0.0) < 0:
            raise SettingsError(f"{name} must not be negative, got {environ[name]!r}")
    try:
        encryption = load_parameter_encryption(environ)
    except InvalidArgument as exc:
        raise SettingsError(exc.message) from None  # names the variable, never the key
    return Settings(
        db_url=default_db_url(environ),
        bus_url=environ.get("WHISK_BUS_URL", "memory://"),
        host=environ.get("WHISK_HOST", "127.0.0.1"),
        port=env_int(environ, "WHISK_PORT", 3233),
        controller_id=env_int(environ, "WHISK_CONTROLLER_ID", 0),
        log_format=fmt,
        log_level=environ.get("WHISK_LOG_LEVEL", "info"),
        system_limits=limits,
        max_request_bytes=env_int(environ, "WHISK_LIMIT_REQUEST_BYTES", 50 * MB),
        max_code_bytes=env_int(environ, "WHISK_LIMIT_CODE_BYTES", 48 * MB),
        max_blocking_wait_ms=env_int(environ, "WHISK_MAX_BLOCKING_WAIT_MS", 60_000),
        identity_cache_seconds=env_float(environ, "WHISK_IDENTITY_CACHE_SECONDS", 5.0),
        entity_cache_seconds=env_float(environ, "WHISK_ENTITY_CACHE_SECONDS", 2.0),
        kafka_topic_prefix=environ.get("WHISK_KAFKA_TOPIC_PREFIX", ""),
        controllers=env_int(environ, "WHISK_CONTROLLERS", 1),
        lb_timeout_factor=env_float(environ, "WHISK_LB_TIMEOUT_FACTOR", 2.0),
        lb_timeout_floor_ms=env_int(environ, "WHISK_LB_TIMEOUT_FLOOR_MS", 60_000),
        lb_timeout_addon_ms=env_int(environ, "WHISK_LB_TIMEOUT_ADDON_MS", 60_000),
        lb_ping_timeout_s=env_float(environ, "WHISK_LB_PING_TIMEOUT_S", 10.0),
        pending_sweep_seconds=env_float(environ, "WHISK_PENDING_SWEEP_SECONDS", 60.0),
        pending_grace_seconds=env_float(environ, "WHISK_PENDING_GRACE_SECONDS", 120.0),
        admission_sync_ms=env_int(environ, "WHISK_ADMISSION_SYNC_MS", 50),
        metrics=metrics == "on",
        runtimes_manifest=Path(environ.get("WHISK_RUNTIMES_MANIFEST") or DEFAULT_RUNTIMES_MANIFEST),
        parameter_encryption=encryption,
    )
