"""Providers and agents: registry from settings, SDK agents, error translation, prices."""

from chatwait.providers._attempts import AttemptCounter, track_attempts
from chatwait.providers._errors import redact, translate_error
from chatwait.providers.base import Provider
from chatwait.providers.configured import configured_agents
from chatwait.providers.registry import (
    AgentSpec,
    ProviderRegistry,
    ResolvedAgent,
    builtin_agents,
)

__all__ = [
    "AgentSpec",
    "AttemptCounter",
    "Provider",
    "ProviderRegistry",
    "ResolvedAgent",
    "builtin_agents",
    "configured_agents",
    "redact",
    "track_attempts",
    "translate_error",
]
