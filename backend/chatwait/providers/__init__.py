"""Providers and agents: registry from settings, SDK agents, error translation, prices."""

from chatwait.providers._attempts import AttemptCounter, track_attempts
from chatwait.providers._errors import redact, translate_error
from chatwait.providers.base import InvalidKey, Provider
from chatwait.providers.registry import (
    AgentPolicy,
    AgentSpec,
    ProviderRegistry,
    ResolvedAgent,
    UserView,
)

__all__ = [
    "AgentPolicy",
    "AgentSpec",
    "AttemptCounter",
    "InvalidKey",
    "Provider",
    "ProviderRegistry",
    "ResolvedAgent",
    "UserView",
    "redact",
    "track_attempts",
    "translate_error",
]
