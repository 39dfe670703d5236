"""Feed registrations: triggers registered with the alarms and Kafka providers.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feed_registrations",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("feed", sa.String(256), nullable=False),
        sa.Column("namespace", sa.String(256), nullable=False),
        sa.Column("trigger", sa.String(256), nullable=False),
        sa.Column(
            "params", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("next_fire_ms", sa.BigInteger(), nullable=True),
        sa.Column("fires", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(1024), nullable=False, server_default=""),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_expiry_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_feed_registrations"),
        sa.UniqueConstraint("namespace", "trigger", name="uq_feed_registrations_namespace_trigger"),
    )
    op.create_index(
        "ix_feed_registrations_provider_status_next_fire_ms",
        "feed_registrations",
        ["provider", "status", "next_fire_ms"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_feed_registrations_provider_status_next_fire_ms", table_name="feed_registrations"
    )
    op.drop_table("feed_registrations")
