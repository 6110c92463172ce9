"""Providers and agents: registry from settings, SDK agents, error translation, prices."""

from chatwait.providers._attempts import AttemptCounter, track_attempts
from chatwait.providers._errors import redact, translate_error
from chatwait.providers.base import Provider
from chatwait.providers.registry import AgentSpec, ProviderRegistry, ResolvedAgent

__all__ = [
    "AgentSpec",
    "AttemptCounter",
    "Provider",
    "ProviderRegistry",
    "ResolvedAgent",
    "redact",
    "track_attempts",
    "translate_error",
]
