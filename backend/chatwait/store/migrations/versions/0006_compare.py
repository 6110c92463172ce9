"""compare: blind turns (turns.blind, blind_seed, revealed_at; runs.slot), votes, battles,
shares

Plain ADD COLUMN on `turns` and `runs` (no batch rebuild: runs and idempotency keys
cascade from turns) and new tables.

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-02 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "turns", sa.Column("blind", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column("turns", sa.Column("blind_seed", sa.Integer(), nullable=True))
    op.add_column("turns", sa.Column("revealed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("runs", sa.Column("slot", sa.String(length=8), nullable=True))

    op.create_table(
        "votes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("turn_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("winner_run_id", sa.String(length=36), nullable=True),
        sa.Column("ranking", sa.JSON(), nullable=True),
        sa.Column("blind", sa.Boolean(), nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("identity", sa.Boolean(), nullable=False),
        sa.Column("time_to_vote_ms", sa.Float(), nullable=True),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["turn_id"], ["turns.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("uq_votes_turn_user", "votes", ["turn_id", "user_id"], unique=True)

    op.create_table(
        "battles",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("vote_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("blind", sa.Boolean(), nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.Column("identity", sa.Boolean(), nullable=False),
        *(
            column
            for side in ("a", "b")
            for column in (
                sa.Column(f"run_{side}", sa.String(length=36), nullable=False),
                sa.Column(f"agent_{side}", sa.String(length=64), nullable=False),
                sa.Column(f"model_{side}", sa.String(length=200), nullable=False),
                sa.Column(f"ttft_{side}", sa.Float(), nullable=True),
                sa.Column(f"latency_{side}", sa.Float(), nullable=True),
                sa.Column(f"cost_{side}", sa.Float(), nullable=True),
            )
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["vote_id"], ["votes.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_battles_user_created", "battles", ["user_id", "created_at"])
    op.create_index("ix_battles_created", "battles", ["created_at"])
    op.create_index("ix_battles_vote", "battles", ["vote_id"])

    op.create_table(
        "shares",
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("hide_costs", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("conversation_id"),
        sa.UniqueConstraint("token_hash", name="uq_shares_token_hash"),
    )


def downgrade() -> None:
    op.drop_table("shares")
    for index in ("ix_battles_vote", "ix_battles_created", "ix_battles_user_created"):
        op.drop_index(index, table_name="battles")
    op.drop_table("battles")
    op.drop_index("uq_votes_turn_user", table_name="votes")
    op.drop_table("votes")
    op.drop_column("runs", "slot")
    for column in ("revealed_at", "blind_seed", "blind"):
        op.drop_column("turns", column)
