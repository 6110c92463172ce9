"""turn_rate_window: turn starts of the turns-per-minute window without REDIS_URL

A new table only (nothing existing is rebuilt): one row per counted turn start, swept once
it is out of the minute.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 05:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "turn_rate_window",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("allowance", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_turn_rate_window_user",
        "turn_rate_window",
        ["user_id", "allowance", "started_at"],
        unique=False,
    )
    op.create_index("ix_turn_rate_window_started", "turn_rate_window", ["started_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_turn_rate_window_started", table_name="turn_rate_window")
    op.drop_index("ix_turn_rate_window_user", table_name="turn_rate_window")
    op.drop_table("turn_rate_window")
