"""The relational schema (SQLAlchemy Core); Alembic's migrations/ must produce exactly this.

Root entities and root activations store ``package = ''`` (never NULL) so that the unique
constraint on (namespace, package, name) holds at the root too; the store maps '' to None.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeEngine

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)


def json_type() -> TypeEngine[object]:
    """JSON everywhere; JSONB on PostgreSQL."""
    return JSON().with_variant(postgresql.JSONB(), "postgresql")


entities = Table(
    "entities",
    metadata,
    Column("id", String(1024), primary_key=True),  # EntityKey.path
    Column("namespace", String(256), nullable=False),
    Column("package", String(256), nullable=False, server_default=""),
    Column("name", String(256), nullable=False),
    Column("collection", String(16), nullable=False),
    Column("doc", json_type(), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("updated", BigInteger, nullable=False),
    UniqueConstraint("namespace", "package", "name"),
    Index(None, "namespace", "collection", "package", "updated"),
)

activations = Table(
    "activations",
    metadata,
    Column("activation_id", String(32), primary_key=True),
    Column("namespace", String(256), nullable=False),
    Column("name", String(256), nullable=False),
    Column("package", String(256), nullable=False, server_default=""),
    Column("start", BigInteger, nullable=False),
    Column("end", BigInteger, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("doc", json_type(), nullable=False),
    Index(None, "namespace", "start"),
    Index(None, "namespace", "name", "start"),
    Index(None, "end", "start"),  # stale pending records (controller/pending_sweeper.py)
)

identities = Table(
    "identities",
    metadata,
    Column("namespace", String(256), primary_key=True),
    Column("subject", String(256), nullable=False, index=True),
    Column("uuid", String(64), nullable=False, unique=True),
    Column("key_hash", String(512), nullable=False),
    Column("blocked", Boolean, nullable=False, server_default=false()),
    Column("limits", json_type(), nullable=False),
)

# Throttle counts shared by every controller (see controller/throttle.py): one row per
# namespace and calendar minute, and one row per activation in flight.
throttle_windows = Table(
    "throttle_windows",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("window_ms", BigInteger, primary_key=True),
    Column("count", Integer, nullable=False),
)

inflight = Table(
    "inflight",
    metadata,
    Column("activation_id", String(32), primary_key=True),
    Column("namespace", String(256), nullable=False),
    Column("expires_ms", BigInteger, nullable=False),
    Index(None, "namespace", "expires_ms"),
)

# Feed registrations (controller/feeds/): one row per trigger registered with a provider.
feed_registrations = Table(
    "feed_registrations",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("provider", String(32), nullable=False),
    Column("feed", String(256), nullable=False),
    Column("namespace", String(256), nullable=False),
    Column("trigger", String(256), nullable=False),
    Column("params", json_type(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("next_fire_ms", BigInteger, nullable=True),
    Column("fires", Integer, nullable=False),
    Column("reason", String(1024), nullable=False, server_default=""),
    Column("created_ms", BigInteger, nullable=False),
    Column("changed_ms", BigInteger, nullable=False, server_default="0"),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_expiry_ms", BigInteger, nullable=False),
    UniqueConstraint("namespace", "trigger"),
    Index(None, "provider", "status", "next_fire_ms"),
)


# The API gateway's APIs (controller/apigw/): one row per API, its OpenAPI document and the
# actions its operations call (one per line, between newlines; see whisk/store/sql/routes.py).
api_routes = Table(
    "api_routes",
    metadata,
    Column("namespace", String(256), primary_key=True),
    Column("base_path", String(1024), primary_key=True),
    Column("name", String(1024), nullable=False),
    Column("swagger", json_type(), nullable=False),
    Column("actions", Text, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
)

# Metering (whisk/usage.py): what completed activations added up to, per namespace, action and
# hour bucket; rows are only ever added to (an upsert that adds), never recomputed from records.
usage_hours = Table(
    "usage_hours",
    metadata,
    Column("namespace", String(256), primary_key=True),
    Column("action", String(520), primary_key=True),  # name or package/name
    Column("hour_ms", BigInteger, primary_key=True),
    Column("activations", BigInteger, nullable=False),
    Column("billed_ms", BigInteger, nullable=False),
    Column("mb_ms", BigInteger, nullable=False),  # memory MB x billed ms
    Column("cold_starts", BigInteger, nullable=False),
    Column("errors", BigInteger, nullable=False),
    Index(None, "hour_ms"),  # every namespace's usage over a window (whisk admin usage)
)
