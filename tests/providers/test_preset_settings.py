"""Presets without a server: their settings, their prices, and their quirks reaching the SDK."""

from __future__ import annotations

from typing import Any

import pytest
from agents import OpenAIChatCompletionsModel
from agents.models.reasoning_content_replay import (
    ReasoningContentReplayContext,
    ReasoningContentSource,
)
from pydantic import ValidationError

from chatwait.config import PRESET_NAMES, Settings
from chatwait.providers import ProviderRegistry
from chatwait.providers.fast import FastChatModel
from chatwait.providers.presets import PRESETS, Preset, preset_provider

NAMES = [preset.name for preset in PRESETS]
UNSET = {preset.enabling_setting: None for preset in PRESETS}


def _settings(**overrides: Any) -> Settings:
    """Hermetic: no key from the environment, so only what a test sets is configured."""
    values: dict[str, Any] = {
        "OPENAI_API_KEY": None,
        "GEMINI_API_KEY": None,
        "DEFAULT_AGENTS": None,
        "COMPATIBLE_PROVIDERS": [],
        **UNSET,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def _enabled(preset: Preset, **overrides: Any) -> Settings:
    value = f"sk-test-{preset.name}-settings-1a2b3c" if preset.keyed else "http://ollama.test/v1"
    return _settings(**{preset.enabling_setting: value, **overrides})


def test_every_preset_has_its_settings() -> None:
    assert list(PRESET_NAMES) == NAMES
    fields = {field.alias for field in Settings.model_fields.values()}
    for preset in PRESETS:
        prefix = preset.name.upper()
        wanted = {f"{prefix}_BASE_URL", f"{prefix}_MODELS", f"{prefix}_DEFAULT_MODEL"}
        assert wanted | {preset.enabling_setting} <= fields


@pytest.mark.parametrize("preset", [p for p in PRESETS if p.price_provider], ids=lambda p: p.name)
def test_every_default_model_of_a_priced_preset_has_a_price(preset: Preset) -> None:
    """Real model ids under the preset's genai-prices provider: a cost, never a made-up 0."""
    provider = preset_provider(preset, _enabled(preset))
    for model in provider.models:
        cost = provider.cost_usd(model, input_tokens=1000, output_tokens=1000)
        assert cost is not None and cost > 0, model


def test_a_local_model_has_no_price() -> None:
    (ollama,) = [p for p in PRESETS if p.name == "ollama"]
    provider = preset_provider(ollama, _enabled(ollama))
    assert provider.cost_usd(provider.default_model, input_tokens=10, output_tokens=10) is None


@pytest.mark.parametrize("preset", PRESETS, ids=NAMES)
def test_the_default_model_is_the_first_listed_unless_set(preset: Preset) -> None:
    prefix = preset.name.upper()
    models = ["m-one", "m-two"]
    listed = preset_provider(preset, _enabled(preset, **{f"{prefix}_MODELS": models}))
    assert (listed.default_model, listed.models) == ("m-one", ("m-one", "m-two"))
    chosen = _enabled(preset, **{f"{prefix}_MODELS": models, f"{prefix}_DEFAULT_MODEL": "m-two"})
    assert preset_provider(preset, chosen).default_model == "m-two"
    with pytest.raises(ValidationError, match=f"{prefix}_DEFAULT_MODEL 'm-3' is not in"):
        _enabled(preset, **{f"{prefix}_MODELS": models, f"{prefix}_DEFAULT_MODEL": "m-3"})


@pytest.mark.parametrize("preset", PRESETS, ids=NAMES)
def test_its_setting_enables_a_preset_and_its_key_is_redacted(preset: Preset) -> None:
    registry = ProviderRegistry.from_settings(_enabled(preset))
    resolved = registry.resolve(preset.name, None)
    assert resolved.provider.available and resolved.model == resolved.provider.models[0]
    assert registry.default_agents == [preset.name], "a configured preset runs by default"
    if preset.keyed:
        assert resolved.provider.api_key in registry.all_secrets()


def test_a_compatible_provider_of_the_same_name_replaces_the_preset() -> None:
    """Setups written before the presets (an "ollama" COMPATIBLE_PROVIDERS entry) keep theirs."""
    entry = {"name": "ollama", "base_url": "http://gpu-box.test:11434/v1", "models": ["qwen3"]}
    registry = ProviderRegistry.from_settings(_settings(COMPATIBLE_PROVIDERS=[entry]))
    agents: list[dict[str, Any]] = registry.describe()["agents"]  # type: ignore[assignment]
    assert [a["name"] for a in agents].count("ollama") == 1
    provider = registry.resolve("ollama", None).provider
    assert (provider.base_url, provider.models) == (entry["base_url"], ("qwen3",))


def _replay_context(model: str) -> ReasoningContentReplayContext:
    source = ReasoningContentSource(item=None, origin_model=model, provider_data={"x": 1})
    return ReasoningContentReplayContext(model=model, base_url=None, reasoning=source)


@pytest.mark.parametrize("client", ["fast", "sdk"])
@pytest.mark.parametrize("preset", PRESETS, ids=NAMES)
def test_quirks_reach_the_sdk_agent(preset: Preset, client: str) -> None:
    """Model settings and tools are what both models build the request from."""
    provider = preset_provider(preset, _enabled(preset, PROVIDER_CLIENT=client))
    agent = provider.build_agent(agent_name=preset.name, model="proxy-alias", instructions="")
    quirks = preset.quirks
    assert agent.model_settings.include_usage is (True if quirks.stream_usage else None)
    assert agent.model_settings.parallel_tool_calls is quirks.parallel_tool_calls
    assert agent.model_settings.retry is not None, "the dropped-stream retry is kept"
    model = agent.model
    if client == "fast":  # it builds its request with a stock model holding the hook
        assert isinstance(model, FastChatModel)
        replay = model._builder.should_replay_reasoning_content
    else:
        assert isinstance(model, OpenAIChatCompletionsModel)
        replay = model.should_replay_reasoning_content
    if quirks.replay_reasoning:
        # the SDK's own rule needs "deepseek" in the model name; a proxy alias has none
        assert replay is not None and replay(_replay_context("proxy-alias")) is True
    else:
        assert replay is None


def test_providers_without_a_preset_keep_openai_behaviour() -> None:
    registry = ProviderRegistry.from_settings(_settings(OPENAI_API_KEY="sk-test-openai-99zz88yy"))
    agent = registry.resolve("openai", None).provider.build_agent(
        agent_name="openai", model="gpt-4o-mini", instructions=""
    )
    assert agent.model_settings.include_usage is True
    assert agent.model_settings.parallel_tool_calls is None
