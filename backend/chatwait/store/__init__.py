"""SQL persistence: models, repositories, migrations (SQLite or Postgres)."""

from chatwait.store import audit, repo
from chatwait.store.db import Database
from chatwait.store.migrate import upgrade_database
from chatwait.store.models import Conversation, IdempotencyKey, Run, Turn, User

__all__ = [
    "Conversation",
    "Database",
    "IdempotencyKey",
    "Run",
    "Turn",
    "User",
    "audit",
    "repo",
    "upgrade_database",
]
