"""An index for stale pending activations: the controllers' sweeper lists records with
``end = 0`` by ``start`` across namespaces.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_activations_end_start", "activations", ["end", "start"])


def downgrade() -> None:
    op.drop_index("ix_activations_end_start", table_name="activations")
