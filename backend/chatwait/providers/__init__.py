"""Providers and agents: registry from settings, SDK agents, error translation, prices."""

from chatwait.providers._attempts import AttemptCounter, track_attempts
from chatwait.providers._errors import redact, translate_error
from chatwait.providers.base import InvalidKey, Provider
from chatwait.providers.configured import AgentSetup, configured_agents, load_agent_setup
from chatwait.providers.registry import (
    AgentPolicy,
    AgentSpec,
    ProviderRegistry,
    ResolvedAgent,
    UserView,
    builtin_agents,
)

__all__ = [
    "AgentPolicy",
    "AgentSetup",
    "AgentSpec",
    "AttemptCounter",
    "InvalidKey",
    "Provider",
    "ProviderRegistry",
    "ResolvedAgent",
    "UserView",
    "builtin_agents",
    "configured_agents",
    "load_agent_setup",
    "redact",
    "track_attempts",
    "translate_error",
]
