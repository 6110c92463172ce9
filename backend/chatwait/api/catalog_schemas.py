"""Bodies of the provider-key routes (`/me/provider-keys`) and the admin's agent toggles
and audit log (`/admin/agents`, `/admin/audit`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chatwait.accounts.provider_keys import ProviderKeyInfo
from chatwait.catalog import AdminAgent
from chatwait.store.models import AuditEntry


class ProviderKeyPut(BaseModel):
    """Body of `PUT /me/provider-keys/{agent}`."""

    model_config = ConfigDict(extra="forbid")

    api_key: str = Field(
        min_length=8,
        max_length=1024,
        pattern=r"^[\x21-\x7e]+$",
        description="The provider's key: stored encrypted, never shown again (only its "
        "last four characters). Printable ASCII, no spaces.",
    )
    validate_key: bool = Field(
        False,
        alias="validate",
        description="Check the key first with one models-list call: a 401 or 403 from the "
        "provider answers 422 `invalid_provider_key` and nothing is stored.",
    )


class ProviderKeyPublic(BaseModel):
    """A stored provider key as listed: never the key."""

    agent: str
    last4: str
    created_at: datetime
    last_used_at: datetime | None

    @classmethod
    def of(cls, info: ProviderKeyInfo) -> ProviderKeyPublic:
        return cls(
            agent=info.agent,
            last4=info.last4,
            created_at=info.created_at,
            last_used_at=info.last_used_at,
        )


class AgentPatch(BaseModel):
    """Body of `PATCH /admin/agents/{name}`; omitted fields keep their value."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = None
    models: list[str] | None = Field(
        None,
        max_length=256,
        description="The models users may pick, within the agent's models; null: all of them.",
    )


class AdminAgentPublic(BaseModel):
    name: str
    provider: str
    models: list[str] = Field(description="Every model of the agent.")
    enabled: bool
    allowed_models: list[str] | None = Field(description="The allowlist; null: every model.")
    server_key: bool = Field(description="Whether the server has a key for it.")
    available: bool = Field(description="Whether it runs with the server's own settings.")
    reason: str | None
    updated_at: datetime | None
    updated_by: str | None

    @classmethod
    def of(cls, agent: AdminAgent) -> AdminAgentPublic:
        return cls(
            name=agent.name,
            provider=agent.provider,
            models=agent.models,
            enabled=agent.enabled,
            allowed_models=agent.allowed_models,
            server_key=agent.server_key,
            available=agent.available,
            reason=agent.reason,
            updated_at=agent.updated_at,
            updated_by=agent.updated_by,
        )


class AdminAgentList(BaseModel):
    agents: list[AdminAgentPublic]


class AuditPublic(BaseModel):
    id: int
    at: datetime
    actor_id: str
    actor_email: str | None
    action: str
    target: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditPublic:
        return cls(
            id=entry.id,
            at=entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=UTC),
            actor_id=entry.actor_id,
            actor_email=entry.actor_email,
            action=entry.action,
            target=entry.target,
            before=entry.before,
            after=entry.after,
        )


class AuditPage(BaseModel):
    entries: list[AuditPublic]
    next_before: int | None = Field(
        description="Pass as `before` for the next (older) page; null: no more."
    )
