"""runs.tool_calls and runs.reasoning: what a run's tools did and what its model thought

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 01:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN: batch mode would copy `runs` on SQLite (see 0002).
    op.add_column("runs", sa.Column("tool_calls", sa.JSON(), nullable=True))
    op.add_column("runs", sa.Column("reasoning", sa.Text(), nullable=True))


def downgrade() -> None:
    # SQLite >= 3.35 drops a column in place; nothing references these two.
    op.drop_column("runs", "reasoning")
    op.drop_column("runs", "tool_calls")
