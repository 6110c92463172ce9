"""Gemini through its OpenAI-compatible endpoint.

Its quirks are handled where they arise: usage must be requested explicitly (done for
every provider in `base.py`), and its list-wrapped error bodies are read in `_errors.py`.
"""

from __future__ import annotations

from chatwait.config import Settings
from chatwait.providers.base import Provider


def gemini_provider(settings: Settings) -> Provider:
    key = settings.gemini_api_key.get_secret_value() if settings.gemini_api_key else None
    return Provider(
        name="gemini",
        base_url=settings.gemini_base_url,
        api_key=key,
        models=tuple(settings.gemini_models),
        default_model=settings.gemini_default_model,
        timeout=settings.provider_timeout_seconds,
        max_retries=settings.provider_max_retries,
        client_kind=settings.provider_client,
        price_provider="google",
        unavailable_reason=None if key else "GEMINI_API_KEY is not set",
    )
