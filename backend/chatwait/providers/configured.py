"""The config file's `[[agents]]` as agents of the registry, on the settings' providers.

A configured agent reuses the provider (client, key, quirks) of the built-in agent of the
same provider name; what it adds is its own model allowlist, instructions, model settings,
built-in tools and MCP servers (the process's shared, supervised handles).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agents import ModelSettings
from openai.types.shared import Reasoning

from chatwait.config import Settings
from chatwait.config_file import (
    AgentConfig,
    ChatWaitConfig,
    ConfigFileError,
    ConfigIssue,
    config_path,
    load_settings_config,
)
from chatwait.providers.base import Provider
from chatwait.providers.registry import AgentSpec, builtin_agents
from chatwait.tools import BUILTIN_TOOLS, McpServers, builtin_tools


@dataclass(frozen=True, slots=True)
class AgentSetup:
    """The settings' agents and the config file, checked against each other."""

    builtin: list[AgentSpec]
    config: ChatWaitConfig


def load_agent_setup(settings: Settings) -> AgentSetup:
    """The built-in agents and the checked config file; `ConfigFileError` lists every
    problem (a configured agent named like a built-in one too). Starts nothing."""
    builtin = builtin_agents(settings)
    config = load_settings_config(
        settings,
        known_providers={agent.provider.name for agent in builtin},
        known_tools=set(BUILTIN_TOOLS),
    )
    taken = {spec.name for spec in builtin}
    issues = [
        ConfigIssue(None, f"agents[{i}].name", f"{a.name!r} is the name of a built-in agent")
        for i, a in enumerate(config.agents)
        if a.name in taken
    ]
    if issues:
        raise ConfigFileError(config_path(settings) or Path("chatwait.toml"), issues)
    return AgentSetup(builtin, config)


def configured_agents(
    setup: AgentSetup, mcp: McpServers, *, tool_timeout_seconds: float
) -> list[AgentSpec]:
    """One `AgentSpec` per `[[agents]]` entry, on the built-in agents' providers."""
    providers: dict[str, Provider] = {}
    for spec in setup.builtin:
        providers.setdefault(spec.provider.name, spec.provider)
    config = setup.config
    return [_spec(a, providers[a.provider], mcp, tool_timeout_seconds) for a in config.agents]


def _spec(
    config: AgentConfig, provider: Provider, mcp: McpServers, tool_timeout_seconds: float
) -> AgentSpec:
    return AgentSpec(
        name=config.name,
        provider=provider,
        default_model=config.model,
        models=config.allowed_models,
        instructions=config.instructions,
        tuning=_tuning(config),
        tools=tuple(builtin_tools(config.tools, timeout_seconds=tool_timeout_seconds)),
        mcp_servers=tuple(mcp.handles(config.mcp_servers)),
        configured=True,
    )


def _tuning(config: AgentConfig) -> ModelSettings | None:
    """The agent's model settings over the provider's; None when it sets none."""
    unset = (config.temperature, config.max_output_tokens, config.reasoning_effort)
    if all(value is None for value in unset):
        return None
    reasoning = Reasoning(effort=config.reasoning_effort) if config.reasoning_effort else None
    return ModelSettings(
        temperature=config.temperature, max_tokens=config.max_output_tokens, reasoning=reasoning
    )
