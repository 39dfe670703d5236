"""Throttle counts shared by all controllers: minute windows and activations in flight.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "throttle_windows",
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("window_ms", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_ms", name="pk_throttle_windows"),
    )
    op.create_table(
        "inflight",
        sa.Column("activation_id", sa.String(32), nullable=False),
        sa.Column("namespace", sa.String(256), nullable=False),
        sa.Column("expires_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("activation_id", name="pk_inflight"),
    )
    op.create_index("ix_inflight_namespace_expires_ms", "inflight", ["namespace", "expires_ms"])


def downgrade() -> None:
    op.drop_index("ix_inflight_namespace_expires_ms", table_name="inflight")
    op.drop_table("inflight")
    op.drop_table("throttle_windows")
