"""Providers and agents from settings: what `GET /models` lists and turns resolve against.

An agent is a named way to ask a provider: one per provider, plus a second offline agent
so a user with no key still sees two panes. `resolve` is where every agent and model a
request names is checked, so bad names become 4xx errors before anything is stored.

What one user sees is a `UserView`: the admin's toggles (`AgentPolicy`, from the
database) and the agents they stored a key for. An agent whose only lack is a key is
available to exactly the users who brought one, and their runs of it send their key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from agents import Agent, FunctionTool, ModelSettings

from chatwait.config import Settings
from chatwait.errors import (
    AgentDisabled,
    AgentUnavailable,
    ModelDisabled,
    UnknownAgent,
    UnknownModel,
    ValidationFailed,
)
from chatwait.providers.base import Provider
from chatwait.providers.compatible import compatible_provider
from chatwait.providers.gemini import gemini_provider
from chatwait.providers.offline import OFFLINE_AGENTS, offline_provider
from chatwait.providers.openai import openai_provider
from chatwait.providers.presets import preset_providers
from chatwait.tools import McpServerHandle


@dataclass(frozen=True, slots=True)
class AgentPolicy:
    """An admin's toggle for one agent."""

    enabled: bool = True
    models: tuple[str, ...] | None = None
    """The models allowed, within the agent's own; None: all of them."""


OPEN = AgentPolicy()


@dataclass(frozen=True, slots=True)
class UserView:
    """What shapes one user's agents: the admin's toggles and their own keys."""

    policies: Mapping[str, AgentPolicy] = field(default_factory=dict)
    keys: Mapping[str, str] = field(default_factory=dict, repr=False)
    """Agent -> the user's key (for a run), or just the agents (`GET /models`: any value)."""


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
    _agents: dict[tuple[str, str], Agent] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """Built agents by (model, instructions): an SDK `Agent` is configuration that runs
    share, and building one (its settings coerced, type hints resolved) is CPU every
    run would otherwise spend on the loop its streams share."""

    def allows(self, model: str) -> bool:
        if self.models is not None:
            return model in self.models
        return self.provider.allows(model)

    def allowed_models(self) -> Sequence[str]:
        return self.models if self.models is not None else self.provider.models

    def build(self, model: str, *, default_instructions: str, api_key: str | None = None) -> Agent:
        """The SDK agent one run of this agent uses (`api_key`: the user's own, if any).

        Built once per model and instructions and then shared by runs; an agent that
        sends a user's own key is built for the run and never kept.
        """
        instructions = self.instructions or default_instructions
        if api_key is None and (built := self._agents.get((model, instructions))) is not None:
            return built
        agent = self.provider.build_agent(
            agent_name=self.name,
            model=model,
            instructions=instructions,
            tools=self.tools,
            mcp_servers=self.mcp_servers,
            tuning=self.tuning,
            api_key=api_key,
        )
        if api_key is None:
            self._agents[(model, instructions)] = agent
        return agent

    def models_for(self, policy: AgentPolicy = OPEN) -> list[str]:
        """Its models, as far as the admin allows."""
        listed = list(self.allowed_models())
        return listed if policy.models is None else [m for m in listed if m in policy.models]

    def default_for(self, policy: AgentPolicy = OPEN) -> str:
        """Its default model, or the first allowed one if the admin disallowed it."""
        if policy.models is None or self.default_model in policy.models:
            return self.default_model
        allowed = self.models_for(policy)
        return allowed[0] if allowed else self.default_model

    def describe(self, view: UserView | None = None) -> dict[str, object]:
        """The agent as `GET /models` lists it for the user `view` describes: with its
        tools, its MCP servers' state, the admin's toggle and whether they hold a key."""
        view = view or UserView()
        policy = view.policies.get(self.name, OPEN)
        available = self.provider.available_with(user_key=self.name in view.keys)
        reason = None if available else self.provider.unavailable_reason
        if not policy.enabled:
            available, reason = False, "disabled by an admin"
        servers = [handle.status() for handle in self.mcp_servers]
        tools = [tool.name for tool in self.tools]
        tools += [name for status in servers for name in status.tools]
        return {
            "name": self.name,
            "provider": self.provider.name,
            "default_model": self.default_for(policy),
            "models": self.models_for(policy),
            "available": available,
            "reason": reason,
            "takes_key": self.provider.takes_key,
            "user_key": self.name in view.keys,
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
    """An agent and the model one run of it will use (with the user's key, if theirs)."""

    spec: AgentSpec
    model: str
    api_key: str | None = field(default=None, repr=False)

    @property
    def provider(self) -> Provider:
        return self.spec.provider

    def secrets(self) -> tuple[str, ...]:
        """What must never be shown of this run: the provider's key and the user's."""
        own = (self.api_key,) if self.api_key else ()
        return self.provider.secrets() + own


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
        self._configured_defaults = bool(default_agents)
        """Defaults named (DEFAULT_AGENTS, or given here): kept while usable, per user."""

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
            self._configured_defaults = True
            return list(configured)
        return self._keyed_or_offline(UserView())

    def _usable(self, spec: AgentSpec, view: UserView) -> bool:
        policy = view.policies.get(spec.name, OPEN)
        return policy.enabled and spec.provider.available_with(user_key=spec.name in view.keys)

    def _keyed_or_offline(self, view: UserView) -> list[str]:
        keyed = [
            a.name
            for a in self.agents.values()
            if a.provider.name != "offline" and not a.configured and self._usable(a, view)
        ]
        offline = [a for a in OFFLINE_AGENTS if self._usable(self.agents[a], view)]
        return keyed or offline

    def defaults_for(self, view: UserView) -> list[str]:
        """The default agents of a user: the configured ones still enabled, else every
        keyed agent they can use (their own keys count), else the offline ones."""
        if self._configured_defaults:
            kept = [n for n in self.default_agents if self._usable(self.agents[n], view)]
            if kept:
                return kept
        return self._keyed_or_offline(view)

    def describe(self, view: UserView | None = None) -> dict[str, object]:
        """The body of `GET /models` (for the user `view` describes)."""
        view = view or UserView()
        return {
            "agents": [agent.describe(view) for agent in self.agents.values()],
            "default_agents": self.defaults_for(view),
        }

    def resolve(
        self, agent_name: str, model: str | None, view: UserView | None = None
    ) -> ResolvedAgent:
        """Check an agent and model a request names; raise the 4xx error that says why not."""
        view = view or UserView()
        spec = self.agents.get(agent_name)
        if spec is None:
            known = ", ".join(self.agents)
            raise UnknownAgent(f"unknown agent {agent_name!r}; known agents: {known}")
        policy = view.policies.get(agent_name, OPEN)
        if not policy.enabled:
            raise AgentDisabled(f"agent {agent_name!r} is disabled by an admin")
        api_key = view.keys.get(agent_name) if spec.provider.takes_key else None
        if not spec.provider.available_with(user_key=api_key is not None):
            raise AgentUnavailable(
                f"agent {agent_name!r} is unavailable: {spec.provider.unavailable_reason}"
            )
        chosen = model or spec.default_for(policy)
        if not spec.allows(chosen):
            allowed = ", ".join(spec.allowed_models())
            raise UnknownModel(
                f"model {chosen!r} is not allowed for agent {agent_name!r}; allowed: {allowed}"
            )
        if policy.models is not None and chosen not in policy.models:
            allowed = ", ".join(spec.models_for(policy)) or "none"
            raise ModelDisabled(
                f"model {chosen!r} of agent {agent_name!r} is disabled by an admin; "
                f"allowed: {allowed}"
            )
        return ResolvedAgent(spec, chosen, api_key)

    def resolve_many(
        self,
        agents: list[str] | None,
        models: dict[str, str],
        *,
        max_agents: int,
        view: UserView | None = None,
    ) -> list[ResolvedAgent]:
        """The runs of one turn, in request order (as the user `view` describes may run)."""
        view = view or UserView()
        names = agents if agents is not None else self.defaults_for(view)
        if not names:
            raise ValidationFailed("no agents chosen and no default agent is available")
        if len(set(names)) != len(names):
            raise ValidationFailed("each agent may appear only once in 'agents'")
        if len(names) > max_agents:
            raise ValidationFailed(f"at most {max_agents} agents per turn, {len(names)} asked")
        stray = set(models) - set(names)
        if stray:
            raise ValidationFailed(f"'models' names agents not in this turn: {sorted(stray)}")
        return [self.resolve(name, models.get(name), view) for name in names]

    def all_secrets(self) -> tuple[str, ...]:
        """Every configured key, for redaction."""
        seen = {p.name: p for p in (a.provider for a in self.agents.values())}
        return tuple(s for p in seen.values() for s in p.secrets())

    async def aclose(self) -> None:
        for provider in {id(a.provider): a.provider for a in self.agents.values()}.values():
            await provider.aclose()
