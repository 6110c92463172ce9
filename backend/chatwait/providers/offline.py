"""The built-in offline provider: `chatwait.sim`, reached over HTTP like any other.

It lets a new user see the whole product with no key, and it is what the tests and
benchmarks run against. Its allowlist also accepts the parametrised fault models
(`fault-drop-after-N`, `fault-flaky-K`).
"""

from __future__ import annotations

from chatwait.config import Settings
from chatwait.providers.base import Provider
from chatwait.sim import OFFLINE_MODELS, is_offline_model

OFFLINE_AGENTS = {"offline": "offline-1", "offline-2": "offline-2"}
"""Agent name -> default model: two agents, so side-by-side panes work with no key."""


def offline_base_url(settings: Settings) -> str:
    """Where the offline provider answers: configured, or mounted on this server."""
    return settings.offline_base_url or f"{settings.resolved_public_url}/sim/v1"


def offline_provider(settings: Settings) -> Provider:
    return Provider(
        name="offline",
        base_url=offline_base_url(settings),
        api_key=None,
        models=tuple(OFFLINE_MODELS),
        default_model="offline-1",
        timeout=settings.provider_timeout_seconds,
        max_retries=settings.provider_max_retries,
        client_kind=settings.provider_client,
        accepts=is_offline_model,
        takes_key=False,
        unavailable_reason=None if settings.offline_enabled else "OFFLINE_ENABLED is false",
    )
