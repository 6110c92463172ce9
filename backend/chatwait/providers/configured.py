"""The config file's `[[agents]]` as agents of the registry, on the settings' providers.

A configured agent reuses the provider (client, key, quirks) of the built-in agent of the
same provider name; what it adds is its own model allowlist, instructions, model settings,
built-in tools and MCP servers (the process's shared, supervised handles).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from agents import ModelSettings
from openai.types.shared import Reasoning

from chatwait.config_file import AgentConfig, ChatWaitConfig, ConfigFileError, ConfigIssue
from chatwait.providers.base import Provider
from chatwait.providers.registry import AgentSpec
from chatwait.tools import McpServers, builtin_tools


def configured_agents(
    config: ChatWaitConfig,
    builtin: Sequence[AgentSpec],
    mcp: McpServers,
    *,
    tool_timeout_seconds: float,
    path: Path | None = None,
) -> list[AgentSpec]:
    """One `AgentSpec` per `[[agents]]` entry; a name taken by a built-in agent is an error."""
    providers: dict[str, Provider] = {}
    for spec in builtin:
        providers.setdefault(spec.provider.name, spec.provider)
    taken = {spec.name for spec in builtin}
    issues = [
        ConfigIssue(None, f"agents[{i}].name", f"{a.name!r} is the name of a built-in agent")
        for i, a in enumerate(config.agents)
        if a.name in taken
    ]
    issues += [
        ConfigIssue(None, f"agents[{i}].provider", f"unknown provider {a.provider!r}")
        for i, a in enumerate(config.agents)
        if a.provider not in providers
    ]
    if issues:
        raise ConfigFileError(path or Path("chatwait.toml"), issues)
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
