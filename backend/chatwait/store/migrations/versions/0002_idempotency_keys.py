"""idempotency keys (the turn each Idempotency-Key started), turns.reset_after

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("turn_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["turn_id"], ["turns.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "key"),
    )
    # A plain ADD COLUMN: batch mode would copy `turns` on SQLite, and dropping the old
    # table with foreign keys on cascades into every run (and idempotency key).
    op.add_column("turns", sa.Column("reset_after", sa.Integer(), nullable=True))
    op.create_index(
        "ix_idempotency_keys_user_created",
        "idempotency_keys",
        ["user_id", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_column("turns", "reset_after")
    op.drop_index("ix_idempotency_keys_user_created", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
