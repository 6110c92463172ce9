"""Which agents answer, with which model, in which mode: the user's choices, as data.

Pure (no Chainlit): the app turns `AgentInfo`s into settings widgets and reads the
widget values back through `Choices.from_settings`; the same `Choices` round-trips
through conversation metadata (`metadata["ui"]`) so a reopened thread keeps its mode,
agents and models.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AGENT_PREFIX",
    "METADATA_KEY",
    "MODEL_PREFIX",
    "MODES",
    "AgentInfo",
    "Choices",
    "parse_models",
]

MODES = ("streaming", "wait")
METADATA_KEY = "ui"
AGENT_PREFIX = "agent__"
MODEL_PREFIX = "model__"


@dataclass(frozen=True)
class AgentInfo:
    """One entry of `GET /models`."""

    name: str
    provider: str
    default_model: str
    models: tuple[str, ...]
    available: bool
    reason: str | None = None
    configured: bool = False
    """From the server's config file (its own instructions and tools)."""
    tools: tuple[str, ...] = ()
    servers_down: tuple[str, ...] = ()
    """Its MCP servers that are not up, each as `name (reason)`."""

    def description(self) -> str:
        """What the settings say under its switch: why it is off, or what it can use."""
        if not self.available:
            return f"Unavailable: {self.reason}"
        parts = ["Configured agent." if self.configured else f"Answer with {self.name}."]
        if self.tools:
            parts.append("Tools: " + ", ".join(self.tools) + ".")
        if self.servers_down:
            parts.append("Down: " + ", ".join(self.servers_down) + ".")
        return " ".join(parts)


def _servers_down(item: Mapping[str, Any]) -> tuple[str, ...]:
    down = []
    for server in item.get("mcp_servers") or ():
        if isinstance(server, Mapping) and not server.get("up", True):
            reason = server.get("reason") or server.get("state") or "down"
            down.append(f"{server.get('name')} ({reason})")
    return tuple(down)


def parse_models(body: Mapping[str, Any]) -> tuple[list[AgentInfo], list[str]]:
    """`GET /models` → (agents, default agent names)."""
    agents = [
        AgentInfo(
            name=str(item["name"]),
            provider=str(item.get("provider") or item["name"]),
            default_model=str(item.get("default_model") or ""),
            models=tuple(str(m) for m in item.get("models") or ()),
            available=bool(item.get("available", True)),
            reason=item.get("reason"),
            configured=bool(item.get("configured", False)),
            tools=tuple(str(t) for t in item.get("tools") or ()),
            servers_down=_servers_down(item),
        )
        for item in body.get("agents") or []
    ]
    defaults = [str(name) for name in body.get("default_agents") or []]
    return agents, defaults


@dataclass
class Choices:
    """The per-conversation UI choices."""

    mode: str = "streaming"
    agents: list[str] = field(default_factory=list)
    models: dict[str, str] = field(default_factory=dict)

    @classmethod
    def defaults(cls, agents: Iterable[AgentInfo], default_agents: Iterable[str]) -> Choices:
        """The backend's default agents, each on its default model."""
        by_name = {a.name: a for a in agents}
        chosen = [n for n in default_agents if n in by_name and by_name[n].available]
        return cls(agents=chosen, models={n: by_name[n].default_model for n in chosen})

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any] | None) -> Choices | None:
        """Read what a conversation remembered; None when it remembered nothing usable."""
        saved = (metadata or {}).get(METADATA_KEY)
        if not isinstance(saved, Mapping):
            return None
        mode = saved.get("mode")
        agents = saved.get("agents")
        models = saved.get("models")
        return cls(
            mode=mode if mode in MODES else "streaming",
            agents=[str(a) for a in agents] if isinstance(agents, list) else [],
            models={str(k): str(v) for k, v in models.items()} if isinstance(models, dict) else {},
        )

    @classmethod
    def from_settings(
        cls, values: Mapping[str, Any], agents: Iterable[AgentInfo], mode: str
    ) -> Choices:
        """Read the chat settings widgets; unavailable agents are never chosen."""
        chosen: list[str] = []
        models: dict[str, str] = {}
        for agent in agents:
            if not agent.available or not values.get(AGENT_PREFIX + agent.name):
                continue
            chosen.append(agent.name)
            model = values.get(MODEL_PREFIX + agent.name) or agent.default_model
            models[agent.name] = model if model in agent.models else agent.default_model
        return cls(mode=mode if mode in MODES else "streaming", agents=chosen, models=models)

    def restricted_to(self, agents: Iterable[AgentInfo]) -> Choices:
        """Drop agents or models the backend no longer offers (keys removed, lists changed)."""
        by_name = {a.name: a for a in agents if a.available}
        chosen = [n for n in self.agents if n in by_name]
        models = {
            n: m if (m := self.models.get(n)) in by_name[n].models else by_name[n].default_model
            for n in chosen
        }
        return Choices(mode=self.mode, agents=chosen, models=models)

    def settings_values(self, agents: Iterable[AgentInfo]) -> dict[str, Any]:
        """Initial values for the settings widgets."""
        values: dict[str, Any] = {}
        for agent in agents:
            values[AGENT_PREFIX + agent.name] = agent.available and agent.name in self.agents
            values[MODEL_PREFIX + agent.name] = self.models.get(agent.name, agent.default_model)
        return values

    def planned(self) -> list[tuple[str, str]]:
        """(agent, model) per pane, before the backend confirms the runs."""
        return [(name, self.models.get(name, "")) for name in self.agents]

    def request(self, message: str, conversation_id: str | None) -> dict[str, Any]:
        """The body of `POST /chat/wait` and `POST /chat/streaming`.

        No agents chosen (the agent list could not be loaded) → the backend's defaults.
        """
        body: dict[str, Any] = {"message": message}
        if self.agents:
            body["agents"] = list(self.agents)
        if self.models:
            body["models"] = {n: m for n, m in self.models.items() if n in self.agents and m}
        if conversation_id:
            body["conversation_id"] = conversation_id
        return body

    def to_metadata(self) -> dict[str, Any]:
        return {"mode": self.mode, "agents": list(self.agents), "models": dict(self.models)}
