"""Metering: usage per namespace, action and hour bucket (whisk/usage.py), added to by the
activation-record writer in the transaction of each flush.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "usage_hours",
        sa.Column("namespace", sa.String(256), nullable=False),
        sa.Column("action", sa.String(520), nullable=False),
        sa.Column("hour_ms", sa.BigInteger(), nullable=False),
        sa.Column("activations", sa.BigInteger(), nullable=False),
        sa.Column("billed_ms", sa.BigInteger(), nullable=False),
        sa.Column("mb_ms", sa.BigInteger(), nullable=False),
        sa.Column("cold_starts", sa.BigInteger(), nullable=False),
        sa.Column("errors", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("namespace", "action", "hour_ms", name="pk_usage_hours"),
    )
    op.create_index("ix_usage_hours_hour_ms", "usage_hours", ["hour_ms"])


def downgrade() -> None:
    op.drop_index("ix_usage_hours_hour_ms", table_name="usage_hours")
    op.drop_table("usage_hours")
