"""Any other OpenAI-compatible server: Ollama, vLLM, OpenRouter, DeepSeek, ...

Local servers often need no key, so a missing key does not make one unavailable.
"""

from __future__ import annotations

from chatwait.config import CompatibleProviderSettings, Settings
from chatwait.providers.base import Provider


def compatible_provider(spec: CompatibleProviderSettings, settings: Settings) -> Provider:
    return Provider(
        name=spec.name,
        base_url=spec.base_url,
        api_key=spec.api_key.get_secret_value() if spec.api_key else None,
        models=tuple(spec.models),
        default_model=spec.default_model or spec.models[0],
        timeout=settings.provider_timeout_seconds,
        max_retries=settings.provider_max_retries,
        client_kind=settings.provider_client,
        price_provider=spec.price_provider,
    )
