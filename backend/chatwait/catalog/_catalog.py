"""`AgentCatalog`: the agents one user may run, and the admin's and users' changes to that.

It joins three sources, each read cheaply per request: the provider registry (settings),
the admin's toggles (database, cached briefly, `_toggles.py`), and the user's own keys
(sealed in the database, `accounts.provider_keys`). A turn opens only the keys of the
agents it runs; `GET /models` only asks which agents have one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from chatwait.accounts.provider_keys import ProviderKeyInfo, ProviderKeys
from chatwait.catalog._toggles import Actor, AgentToggles
from chatwait.errors import (
    InvalidProviderKey,
    NotFound,
    ProviderCheckFailed,
    UnknownModel,
    ValidationFailed,
)
from chatwait.providers import (
    AgentPolicy,
    AgentSpec,
    InvalidKey,
    ProviderRegistry,
    ResolvedAgent,
    UserView,
    translate_error,
)
from chatwait.store.models import AuditEntry


@dataclass(frozen=True, slots=True)
class AdminAgent:
    """One agent as `GET /admin/agents` shows it."""

    name: str
    provider: str
    models: list[str]
    """Every model the agent has (the allowlist is chosen among these)."""
    enabled: bool
    allowed_models: list[str] | None
    server_key: bool
    available: bool
    reason: str | None
    updated_at: datetime | None
    updated_by: str | None


class AgentCatalog:
    def __init__(
        self,
        registry: ProviderRegistry,
        *,
        toggles: AgentToggles | None = None,
        keys: ProviderKeys | None = None,
    ) -> None:
        self.registry = registry
        self.toggles = toggles
        self.keys = keys

    async def _policies(self) -> dict[str, AgentPolicy]:
        return await self.toggles.policies() if self.toggles is not None else {}

    async def _held(self, user_id: str) -> frozenset[str]:
        return await self.keys.agents(user_id) if self.keys is not None else frozenset()

    async def describe(self, user_id: str) -> dict[str, object]:
        """`GET /models` for this user."""
        held = await self._held(user_id)
        view = UserView(await self._policies(), dict.fromkeys(held, ""))
        return self.registry.describe(view)

    async def resolve_many(
        self,
        user_id: str,
        agents: list[str] | None,
        models: dict[str, str],
        *,
        max_agents: int,
    ) -> list[ResolvedAgent]:
        """The runs of the user's turn, with their own keys where they stored one."""
        policies = await self._policies()
        held = await self._held(user_id)
        names = agents
        if names is None:
            names = self.registry.defaults_for(UserView(policies, dict.fromkeys(held, "")))
        wanted = [n for n in names if n in held]
        opened = await self.keys.open(user_id, wanted) if self.keys and wanted else {}
        view = UserView(policies, opened)
        return self.registry.resolve_many(names, models, max_agents=max_agents, view=view)

    # The user's own keys
    def _keyed_spec(self, agent: str) -> AgentSpec:
        spec = self.registry.agents.get(agent)
        if spec is None:
            raise NotFound(f"unknown agent {agent!r}")
        if not spec.provider.takes_key:
            raise ValidationFailed(
                f"agent {agent!r} takes no key (its provider {spec.provider.name!r} needs none)",
                code="provider_takes_no_key",
            )
        return spec

    def _store(self) -> ProviderKeys:
        if self.keys is None:
            raise NotFound("provider keys are not kept by this server")
        return self.keys

    async def save_key(self, user_id: str, agent: str, api_key: str, *, check: bool) -> None:
        """Store the user's key for `agent`; with `check`, only if the provider takes it."""
        spec = self._keyed_spec(agent)
        store = self._store()
        if check:
            await _check(spec, api_key)
        await store.put(user_id, agent, api_key)

    async def list_keys(self, user_id: str) -> list[ProviderKeyInfo]:
        return await self._store().list(user_id)

    async def delete_key(self, user_id: str, agent: str) -> None:
        await self._store().delete(user_id, agent)

    # Admin toggles and the audit log
    async def audit(self, *, limit: int, before_id: int | None) -> Sequence[AuditEntry]:
        if self.toggles is None:
            return []
        return await self.toggles.audit(limit=limit, before_id=before_id)

    async def admin_agents(self) -> list[AdminAgent]:
        stored = await self.toggles.current(fresh=True) if self.toggles is not None else {}
        listed = []
        for spec in self.registry.agents.values():
            toggle = stored.get(spec.name)
            policy = toggle.policy if toggle is not None else AgentPolicy()
            listed.append(
                AdminAgent(
                    name=spec.name,
                    provider=spec.provider.name,
                    models=list(spec.provider.models),
                    enabled=policy.enabled,
                    allowed_models=list(policy.models) if policy.models is not None else None,
                    server_key=bool(spec.provider.api_key),
                    available=spec.provider.available,
                    reason=spec.provider.unavailable_reason,
                    updated_at=toggle.updated_at if toggle else None,
                    updated_by=toggle.updated_by if toggle else None,
                )
            )
        return listed

    async def admin_update(
        self,
        actor: Actor,
        agent: str,
        *,
        enabled: bool | None,
        models: list[str] | None,
        models_given: bool,
    ) -> AdminAgent:
        """Turn an agent on or off and/or set its allowlist (`models: null` = all)."""
        spec = self.registry.agents.get(agent)
        if spec is None or self.toggles is None:
            raise NotFound(f"unknown agent {agent!r}")
        toggle = (await self.toggles.current(fresh=True)).get(agent)
        current = toggle.policy if toggle is not None else AgentPolicy()
        allowed = current.models
        if models_given:
            allowed = None if models is None else _allowlist(spec, models)
        enabled = current.enabled if enabled is None else enabled
        await self.toggles.set(actor, agent, AgentPolicy(enabled, allowed))
        return next(a for a in await self.admin_agents() if a.name == agent)


def _allowlist(spec: AgentSpec, models: list[str]) -> tuple[str, ...]:
    if not models:
        raise ValidationFailed("models: name at least one (null allows every model)")
    stray = [m for m in models if not spec.provider.allows(m)]
    if stray:
        raise UnknownModel(
            f"not models of agent {spec.name!r}: {', '.join(stray)}; "
            f"its models: {', '.join(spec.provider.models)}"
        )
    return tuple(dict.fromkeys(models))


async def _check(spec: AgentSpec, api_key: str) -> None:
    """The provider's models list with the key: refused → 422, failed → 502."""
    try:
        await spec.provider.check_key(api_key)
    except InvalidKey:
        raise InvalidProviderKey(
            f"{spec.provider.name} refused this key (checked with its models list)"
        ) from None
    except Exception as exc:  # noqa: BLE001 - any other failure is the provider's
        failure = translate_error(
            exc, provider=spec.provider.name, started=False, secrets=(api_key,)
        )
        raise ProviderCheckFailed(
            f"could not check the key with {spec.provider.name}: {failure.message}"
        ) from None
