"""runs.fusion: a fused run's strategy and the runs it read, in the order it read them

Plain ADD COLUMN (no batch rebuild of `runs`).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 05:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("fusion", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("runs", "fusion")
