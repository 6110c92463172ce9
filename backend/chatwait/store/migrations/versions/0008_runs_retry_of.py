"""runs.retry_of: a regenerated run names the run of the same turn it replaces

Plain ADD COLUMN (no batch rebuild of `runs`). Number and chain position are the lead's
to assign at merge: written after 0007, the head when the compare branch took main.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 02:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("retry_of", sa.String(length=36), nullable=True))


def downgrade() -> None:
    op.drop_column("runs", "retry_of")
