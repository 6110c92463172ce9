"""OpenAI itself (or a gateway in front of it, through `OPENAI_BASE_URL`)."""

from __future__ import annotations

from chatwait.config import Settings
from chatwait.providers.base import Provider


def openai_provider(settings: Settings) -> Provider:
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    return Provider(
        name="openai",
        base_url=settings.openai_base_url,
        api_key=key,
        models=tuple(settings.openai_models),
        default_model=settings.openai_default_model,
        timeout=settings.provider_timeout_seconds,
        max_retries=settings.provider_max_retries,
        client_kind=settings.provider_client,
        api=settings.openai_api,
        price_provider="openai",
        unavailable_reason=None if key else "OPENAI_API_KEY is not set",
    )
