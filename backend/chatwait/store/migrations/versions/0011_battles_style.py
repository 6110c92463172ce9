"""battles: each answer's length and markdown count, for the style-controlled leaderboard

Plain ADD COLUMN (no batch rebuild of `battles`), then a backfill of the battles already
stored from their runs' outputs (a battle whose run is gone keeps NULL: no style
information). The markdown count repeats `chatwait.compare.style.count_markdown` so this
migration never changes with the app's code.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 05:30:00
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("length_a", "markdown_a", "length_b", "markdown_b")
_CODE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
_PATTERNS = (
    re.compile(r"^#{1,6}\s", re.MULTILINE),
    re.compile(r"^\s*(?:[-*+]|\d+\.)\s", re.MULTILINE),
    re.compile(r"\*\*[^*\n]+\*\*|__[^_\n]+__"),
)


def _markdown(text: str) -> int:
    prose = _CODE.sub("", text)
    return sum(len(pattern.findall(prose)) for pattern in _PATTERNS)


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column("battles", sa.Column(name, sa.Integer(), nullable=True))
    bind = op.get_bind()
    battles = sa.table("battles", *(sa.column(n) for n in ("id", "run_a", "run_b", *COLUMNS)))
    runs = sa.table("runs", sa.column("id"), sa.column("output"))
    run_a, run_b = runs.alias("run_a"), runs.alias("run_b")
    query = (
        sa.select(battles.c.id, run_a.c.output, run_b.c.output)
        .join(run_a, run_a.c.id == battles.c.run_a)
        .join(run_b, run_b.c.id == battles.c.run_b)
    )
    update = (
        battles.update()
        .where(battles.c.id == sa.bindparam("battle_id"))
        .values({n: sa.bindparam(f"new_{n}") for n in COLUMNS})
    )
    last = ""
    while True:  # in pages by id, so the outputs never all sit in memory at once
        page = query.where(battles.c.id > last).order_by(battles.c.id).limit(500)
        rows = bind.execute(page).all()
        if not rows:
            break
        values = [
            {
                "battle_id": battle_id,
                "new_length_a": len(a or ""),
                "new_markdown_a": _markdown(a or ""),
                "new_length_b": len(b or ""),
                "new_markdown_b": _markdown(b or ""),
            }
            for battle_id, a, b in rows
        ]
        bind.execute(update, values)
        last = rows[-1][0]


def downgrade() -> None:
    for name in reversed(COLUMNS):
        op.drop_column("battles", name)
