"""Run cost from genai-prices: a real number for priced models, None (never 0) otherwise."""

from __future__ import annotations

import pytest

from chatwait.config import Settings
from chatwait.providers import ProviderRegistry
from chatwait.providers.prices import cost_usd


@pytest.mark.parametrize(
    ("price_provider", "model"),
    [("openai", "gpt-4o-mini"), ("openai", "gpt-4o"), ("google", "gemini-2.5-flash")],
)
def test_known_model_costs_a_positive_amount(price_provider: str, model: str) -> None:
    small = cost_usd(price_provider=price_provider, model=model, input_tokens=100, output_tokens=10)
    large = cost_usd(
        price_provider=price_provider, model=model, input_tokens=10_000, output_tokens=1_000
    )
    assert isinstance(small, float) and isinstance(large, float)
    assert 0 < small < large


def test_output_tokens_are_priced_separately_from_input() -> None:
    reading = cost_usd(price_provider="openai", model="gpt-4o", input_tokens=1000, output_tokens=0)
    writing = cost_usd(price_provider="openai", model="gpt-4o", input_tokens=0, output_tokens=1000)
    assert reading is not None and writing is not None and writing > reading


@pytest.mark.parametrize(
    ("price_provider", "model"),
    [
        ("openai", "rec-openai-chat-stream-usage-01"),
        ("no-such-vendor", "gpt-4o"),
        (None, "gpt-4o"),
    ],
)
def test_unknown_price_is_none(price_provider: str | None, model: str) -> None:
    assert (
        cost_usd(price_provider=price_provider, model=model, input_tokens=5, output_tokens=5)
        is None
    )


def test_offline_provider_has_no_price() -> None:
    settings = Settings(_env_file=None, OPENAI_API_KEY=None)  # type: ignore[call-arg]
    registry = ProviderRegistry.from_settings(settings)
    offline = registry.resolve("offline", None)
    assert offline.provider.cost_usd(offline.model, input_tokens=50, output_tokens=50) is None
