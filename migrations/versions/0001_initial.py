"""Initial schema: entities, activations, identities.

Revision ID: 0001
Revises:
Create Date: 2025-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "entities",
        sa.Column("id", sa.String(1024), nullable=False),
        sa.Column("namespace", sa.String(256), nullable=False),
        sa.Column("package", sa.String(256), server_default="", nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("collection", sa.String(16), nullable=False),
        sa.Column("doc", _json(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_entities"),
        sa.UniqueConstraint(
            "namespace", "package", "name", name="uq_entities_namespace_package_name"
        ),
    )
    op.create_index(
        "ix_entities_namespace_collection_package_updated",
        "entities",
        ["namespace", "collection", "package", "updated"],
    )
    op.create_table(
        "activations",
        sa.Column("activation_id", sa.String(32), nullable=False),
        sa.Column("namespace", sa.String(256), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("package", sa.String(256), server_default="", nullable=False),
        sa.Column("start", sa.BigInteger(), nullable=False),
        sa.Column("end", sa.BigInteger(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("doc", _json(), nullable=False),
        sa.PrimaryKeyConstraint("activation_id", name="pk_activations"),
    )
    op.create_index("ix_activations_namespace_start", "activations", ["namespace", "start"])
    op.create_index(
        "ix_activations_namespace_name_start", "activations", ["namespace", "name", "start"]
    )
    op.create_table(
        "identities",
        sa.Column("namespace", sa.String(256), nullable=False),
        sa.Column("subject", sa.String(256), nullable=False),
        sa.Column("uuid", sa.String(64), nullable=False),
        sa.Column("key_hash", sa.String(512), nullable=False),
        sa.Column("blocked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("limits", _json(), nullable=False),
        sa.PrimaryKeyConstraint("namespace", name="pk_identities"),
        sa.UniqueConstraint("uuid", name="uq_identities_uuid"),
    )
    op.create_index("ix_identities_subject", "identities", ["subject"])


def downgrade() -> None:
    op.drop_index("ix_identities_subject", table_name="identities")
    op.drop_table("identities")
    op.drop_index("ix_activations_namespace_name_start", table_name="activations")
    op.drop_index("ix_activations_namespace_start", table_name="activations")
    op.drop_table("activations")
    op.drop_index("ix_entities_namespace_collection_package_updated", table_name="entities")
    op.drop_table("entities")
