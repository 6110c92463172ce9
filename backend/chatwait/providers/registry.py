"""Providers and agents from settings: what `GET /models` lists and turns resolve against.

An agent is a named way to ask a provider: one per provider, plus a second offline agent
so a user with no key still sees two panes. `resolve` is where every agent and model a
request names is checked, so bad names become 4xx errors before anything is stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from chatwait.config import Settings
from chatwait.errors import AgentUnavailable, UnknownAgent, UnknownModel, ValidationFailed
from chatwait.providers.base import Provider
from chatwait.providers.compatible import compatible_provider
from chatwait.providers.gemini import gemini_provider
from chatwait.providers.offline import OFFLINE_AGENTS, offline_provider
from chatwait.providers.openai import openai_provider
from chatwait.providers.presets import preset_providers


@dataclass(frozen=True, slots=True)
class AgentSpec:
    """A named agent: which provider answers and with which model by default."""

    name: str
    provider: Provider
    default_model: str

    def describe(self) -> dict[str, object]:
        """The agent as `GET /models` lists it."""
        return {
            "name": self.name,
            "provider": self.provider.name,
            "default_model": self.default_model,
            "models": list(self.provider.models),
            "available": self.provider.available,
            "reason": self.provider.unavailable_reason,
        }


@dataclass(frozen=True, slots=True)
class ResolvedAgent:
    """An agent and the model one run of it will use."""

    spec: AgentSpec
    model: str

    @property
    def provider(self) -> Provider:
        return self.spec.provider


class ProviderRegistry:
    """Every provider and agent the settings define."""

    def __init__(self, agents: list[AgentSpec], default_agents: list[str]) -> None:
        self.agents = {agent.name: agent for agent in agents}
        self.default_agents = default_agents

    @classmethod
    def from_settings(cls, settings: Settings) -> ProviderRegistry:
        providers = [openai_provider(settings), gemini_provider(settings)]
        providers += preset_providers(settings)
        providers += [compatible_provider(p, settings) for p in settings.compatible_providers]
        agents = [AgentSpec(p.name, p, p.default_model) for p in providers]
        offline = offline_provider(settings)
        agents += [AgentSpec(name, offline, model) for name, model in OFFLINE_AGENTS.items()]
        registry = cls(agents, [])
        registry.default_agents = registry._pick_defaults(settings.default_agents)
        return registry

    def _pick_defaults(self, configured: list[str] | None) -> list[str]:
        if configured:
            for name in configured:
                self.resolve(name, None)
            return list(configured)
        keyed = [
            a.name
            for a in self.agents.values()
            if a.provider.name != "offline" and a.provider.available
        ]
        return keyed or [a for a in OFFLINE_AGENTS if self.agents[a].provider.available]

    def describe(self) -> dict[str, object]:
        """The body of `GET /models`."""
        return {
            "agents": [agent.describe() for agent in self.agents.values()],
            "default_agents": self.default_agents,
        }

    def resolve(self, agent_name: str, model: str | None) -> ResolvedAgent:
        """Check an agent and model a request names; raise the 4xx error that says why not."""
        spec = self.agents.get(agent_name)
        if spec is None:
            known = ", ".join(self.agents)
            raise UnknownAgent(f"unknown agent {agent_name!r}; known agents: {known}")
        if not spec.provider.available:
            raise AgentUnavailable(
                f"agent {agent_name!r} is unavailable: {spec.provider.unavailable_reason}"
            )
        chosen = model or spec.default_model
        if not spec.provider.allows(chosen):
            allowed = ", ".join(spec.provider.models)
            raise UnknownModel(
                f"model {chosen!r} is not allowed for agent {agent_name!r}; allowed: {allowed}"
            )
        return ResolvedAgent(spec, chosen)

    def resolve_many(
        self, agents: list[str] | None, models: dict[str, str], *, max_agents: int
    ) -> list[ResolvedAgent]:
        """The runs of one turn, in request order."""
        names = agents if agents is not None else self.default_agents
        if not names:
            raise ValidationFailed("no agents chosen and no default agent is available")
        if len(set(names)) != len(names):
            raise ValidationFailed("each agent may appear only once in 'agents'")
        if len(names) > max_agents:
            raise ValidationFailed(f"at most {max_agents} agents per turn, {len(names)} asked")
        stray = set(models) - set(names)
        if stray:
            raise ValidationFailed(f"'models' names agents not in this turn: {sorted(stray)}")
        return [self.resolve(name, models.get(name)) for name in names]

    def all_secrets(self) -> tuple[str, ...]:
        """Every configured key, for redaction."""
        seen = {p.name: p for p in (a.provider for a in self.agents.values())}
        return tuple(s for p in seen.values() for s in p.secrets())

    async def aclose(self) -> None:
        for provider in {id(a.provider): a.provider for a in self.agents.values()}.values():
            await provider.aclose()
