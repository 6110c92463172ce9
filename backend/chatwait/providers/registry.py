"""Providers and agents from settings: what `GET /models` lists and turns resolve against.

An agent is a named way to ask a provider: one per provider, plus a second offline agent
so a user with no key still sees two panes. `resolve` is where every agent and model a
request names is checked, so bad names become 4xx errors before anything is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from agents import Agent, FunctionTool, ModelSettings

from chatwait.config import Settings
from chatwait.errors import AgentUnavailable, UnknownAgent, UnknownModel, ValidationFailed
from chatwait.providers.base import Provider
from chatwait.providers.compatible import compatible_provider
from chatwait.providers.gemini import gemini_provider
from chatwait.providers.offline import OFFLINE_AGENTS, offline_provider
from chatwait.providers.openai import openai_provider
from chatwait.providers.presets import preset_providers
from chatwait.tools import McpServerHandle


@dataclass(frozen=True, slots=True)
class AgentSpec:
    """A named agent: which provider answers and with which model by default."""

    name: str
    provider: Provider
    default_model: str
    models: tuple[str, ...] | None = None
    """A configured agent's own allowlist; None: the provider's."""
    instructions: str | None = None
    """Its system prompt; None: `SYSTEM_PROMPT`."""
    tuning: ModelSettings | None = None
    tools: tuple[FunctionTool, ...] = ()
    mcp_servers: tuple[McpServerHandle, ...] = field(default=())
    configured: bool = False
    """From the config file's `[[agents]]`."""

    def allows(self, model: str) -> bool:
        if self.models is not None:
            return model in self.models
        return self.provider.allows(model)

    def allowed_models(self) -> Sequence[str]:
        return self.models if self.models is not None else self.provider.models

    def build(self, model: str, *, default_instructions: str) -> Agent:
        """The SDK agent one run of this agent uses."""
        return self.provider.build_agent(
            agent_name=self.name,
            model=model,
            instructions=self.instructions or default_instructions,
            tools=self.tools,
            mcp_servers=self.mcp_servers,
            tuning=self.tuning,
        )

    def describe(self) -> dict[str, object]:
        """The agent as `GET /models` lists it: with its tools and its MCP servers' state."""
        servers = [handle.status() for handle in self.mcp_servers]
        tools = [tool.name for tool in self.tools]
        tools += [name for status in servers for name in status.tools]
        return {
            "name": self.name,
            "provider": self.provider.name,
            "default_model": self.default_model,
            "models": list(self.allowed_models()),
            "available": self.provider.available,
            "reason": self.provider.unavailable_reason,
            "configured": self.configured,
            "tools": tools,
            "mcp_servers": [
                {
                    "name": s.name,
                    "up": s.up,
                    "state": s.state,
                    "reason": s.reason,
                    "tools": list(s.tools),
                }
                for s in servers
            ],
        }


@dataclass(frozen=True, slots=True)
class ResolvedAgent:
    """An agent and the model one run of it will use."""

    spec: AgentSpec
    model: str

    @property
    def provider(self) -> Provider:
        return self.spec.provider


def builtin_agents(settings: Settings) -> list[AgentSpec]:
    """One agent per provider the settings define, and the two offline agents."""
    providers = [openai_provider(settings), gemini_provider(settings)]
    providers += preset_providers(settings)
    providers += [compatible_provider(p, settings) for p in settings.compatible_providers]
    agents = [AgentSpec(p.name, p, p.default_model) for p in providers]
    offline = offline_provider(settings)
    agents += [AgentSpec(name, offline, model) for name, model in OFFLINE_AGENTS.items()]
    return agents


class ProviderRegistry:
    """Every provider and agent the settings define."""

    def __init__(self, agents: list[AgentSpec], default_agents: list[str]) -> None:
        self.agents = {agent.name: agent for agent in agents}
        self.default_agents = default_agents

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        builtin: Sequence[AgentSpec] | None = None,
        configured: Sequence[AgentSpec] = (),
    ) -> ProviderRegistry:
        """The settings' agents (`builtin`, else built here), then the `configured` ones
        (`configured.py` builds them on the same providers)."""
        agents = list(builtin) if builtin is not None else builtin_agents(settings)
        registry = cls([*agents, *configured], [])
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
            if a.provider.name != "offline" and a.provider.available and not a.configured
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
        if not spec.allows(chosen):
            allowed = ", ".join(spec.allowed_models())
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
