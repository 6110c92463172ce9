"""SQL persistence: models, repositories, migrations (SQLite or Postgres)."""

from chatwait.store import audit, rate_window, repo, turn_rows
from chatwait.store.compare_models import Battle, Vote
from chatwait.store.db import Database
from chatwait.store.migrate import upgrade_database
from chatwait.store.models import Conversation, IdempotencyKey, Run, Share, Turn, User

__all__ = [
    "Battle",
    "Conversation",
    "Database",
    "IdempotencyKey",
    "Run",
    "Share",
    "Turn",
    "User",
    "Vote",
    "audit",
    "rate_window",
    "repo",
    "turn_rows",
    "upgrade_database",
]
