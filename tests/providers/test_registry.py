"""`ProviderRegistry`: which agents exist, which run by default, and why a request is refused."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chatwait.config import Settings
from chatwait.errors import AgentUnavailable, UnknownAgent, UnknownModel, ValidationFailed
from chatwait.providers import ProviderRegistry
from chatwait.providers.presets import PRESETS

OPENAI_KEY = "sk-test-registry-openai-11aa"
GEMINI_KEY = "AIzaTEST-registry-gemini-22bb33cc44"
LOCAL = {"name": "local", "base_url": "http://127.0.0.1:11434/v1", "models": ["llama3", "qwen"]}
PRESET_NAMES = [preset.name for preset in PRESETS]
UNSET_PRESETS = {preset.enabling_setting: None for preset in PRESETS}


def _settings(**overrides: Any) -> Settings:
    """Hermetic settings: keys unset unless given, whatever the environment holds."""
    values: dict[str, Any] = {
        "OPENAI_API_KEY": None,
        "GEMINI_API_KEY": None,
        **UNSET_PRESETS,
        "COMPATIBLE_PROVIDERS": [],
        "DEFAULT_AGENTS": None,
        "OFFLINE_ENABLED": True,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def _registry(**overrides: Any) -> ProviderRegistry:
    return ProviderRegistry.from_settings(_settings(**overrides))


def _described(registry: ProviderRegistry) -> dict[str, dict[str, Any]]:
    agents: list[dict[str, Any]] = registry.describe()["agents"]  # type: ignore[assignment]
    return {agent["name"]: agent for agent in agents}


def test_without_keys_the_offline_agents_are_the_default() -> None:
    registry = _registry()
    assert registry.default_agents == ["offline", "offline-2"]
    agents = _described(registry)
    assert list(agents) == ["openai", "gemini", *PRESET_NAMES, "offline", "offline-2"]
    assert agents["openai"]["available"] is False
    assert agents["openai"]["reason"] == "OPENAI_API_KEY is not set"
    assert agents["gemini"]["reason"] == "GEMINI_API_KEY is not set"
    assert agents["offline"]["available"] is True and agents["offline"]["reason"] is None
    assert agents["offline-2"]["default_model"] == "offline-2"


def test_keyed_providers_replace_the_offline_defaults() -> None:
    assert _registry(OPENAI_API_KEY=OPENAI_KEY).default_agents == ["openai"]
    both = _registry(OPENAI_API_KEY=OPENAI_KEY, GEMINI_API_KEY=GEMINI_KEY)
    assert both.default_agents == ["openai", "gemini"]
    agents = _described(both)
    assert agents["gemini"]["available"] is True
    assert agents["gemini"]["default_model"] == "gemini-2.5-flash"
    assert agents["offline"]["available"] is True, "still there when chosen by name"


def test_configured_default_agents_win_and_are_checked() -> None:
    registry = _registry(OPENAI_API_KEY=OPENAI_KEY, DEFAULT_AGENTS=["offline", "openai"])
    assert registry.default_agents == ["offline", "openai"]
    with pytest.raises(UnknownAgent):
        _registry(DEFAULT_AGENTS=["nobody"])
    with pytest.raises(AgentUnavailable):
        _registry(DEFAULT_AGENTS=["gemini"])


def test_offline_disabled_and_no_keys_leaves_nothing_to_run() -> None:
    registry = _registry(OFFLINE_ENABLED=False)
    assert registry.default_agents == []
    assert _described(registry)["offline"]["reason"] == "OFFLINE_ENABLED is false"
    with pytest.raises(ValidationFailed, match="no default agent"):
        registry.resolve_many(None, {}, max_agents=4)


def test_resolve_names_the_problem() -> None:
    registry = _registry(OPENAI_API_KEY=OPENAI_KEY)
    known = ", ".join(["openai", "gemini", *PRESET_NAMES, "offline", "offline-2"])
    with pytest.raises(UnknownAgent, match=f"known agents: {known}$"):
        registry.resolve("nobody", None)
    with pytest.raises(AgentUnavailable, match="GEMINI_API_KEY is not set"):
        registry.resolve("gemini", None)
    with pytest.raises(UnknownModel, match="allowed: gpt-4o-mini, gpt-4o"):
        registry.resolve("openai", "gpt-9")
    assert registry.resolve("openai", None).model == "gpt-4o-mini"
    assert registry.resolve("openai", "gpt-4.1").model == "gpt-4.1"


def test_offline_agent_accepts_its_parametrised_fault_models() -> None:
    registry = _registry()
    assert registry.resolve("offline", "fault-drop-after-3").model == "fault-drop-after-3"
    assert registry.resolve("offline", "fault-flaky-2").model == "fault-flaky-2"
    with pytest.raises(UnknownModel):
        registry.resolve("offline", "gpt-4o")


@pytest.mark.parametrize(
    ("agents", "models", "message"),
    [
        ([], {}, "no agents chosen"),
        (["offline", "offline"], {}, "only once"),
        (["offline", "offline-2", "openai"], {}, "at most 2 agents"),
        (["offline"], {"offline-2": "offline-1"}, "not in this turn"),
    ],
)
def test_resolve_many_refuses_bad_turns(
    agents: list[str], models: dict[str, str], message: str
) -> None:
    registry = _registry(OPENAI_API_KEY=OPENAI_KEY)
    with pytest.raises(ValidationFailed, match=message):
        registry.resolve_many(agents, models, max_agents=2)


def test_resolve_many_keeps_request_order_and_per_agent_models() -> None:
    registry = _registry(OPENAI_API_KEY=OPENAI_KEY)
    runs = registry.resolve_many(
        ["offline-2", "openai", "offline"], {"openai": "gpt-4o"}, max_agents=4
    )
    assert [(r.spec.name, r.provider.name, r.model) for r in runs] == [
        ("offline-2", "offline", "offline-2"),
        ("openai", "openai", "gpt-4o"),
        ("offline", "offline", "offline-1"),
    ]
    assert [r.spec.name for r in registry.resolve_many(None, {}, max_agents=4)] == ["openai"]


def test_compatible_providers_come_from_json_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """COMPATIBLE_PROVIDERS is a JSON list in the environment; keyless servers are usable."""
    keyed = {**LOCAL, "name": "router", "api_key": "sk-test-router-33dd", "default_model": "qwen"}
    monkeypatch.setenv("COMPATIBLE_PROVIDERS", json.dumps([LOCAL, keyed]))
    for name in ("OPENAI_API_KEY", "GEMINI_API_KEY", "DEFAULT_AGENTS", *UNSET_PRESETS):
        monkeypatch.delenv(name, raising=False)
    registry = ProviderRegistry.from_settings(Settings(_env_file=None))  # type: ignore[call-arg]
    agents = _described(registry)
    assert agents["local"] == {
        "name": "local",
        "provider": "local",
        "default_model": "llama3",
        "models": ["llama3", "qwen"],
        "available": True,
        "reason": None,
        "takes_key": True,
        "user_key": False,
        "configured": False,
        "tools": [],
        "mcp_servers": [],
    }
    assert agents["router"]["default_model"] == "qwen"
    assert registry.default_agents == ["local", "router"]
    resolved = registry.resolve("local", "qwen")
    assert resolved.provider.base_url == LOCAL["base_url"] and resolved.provider.api_key is None
    assert registry.all_secrets() == ("sk-test-router-33dd",)


def test_every_configured_key_is_known_for_redaction() -> None:
    registry = _registry(OPENAI_API_KEY=OPENAI_KEY, GEMINI_API_KEY=GEMINI_KEY)
    assert sorted(registry.all_secrets()) == sorted([OPENAI_KEY, GEMINI_KEY])
    assert _registry().all_secrets() == ()


async def test_provider_client_carries_the_timeout_and_retry_budget() -> None:
    registry = _registry(
        GEMINI_API_KEY=GEMINI_KEY, PROVIDER_TIMEOUT_SECONDS=7.5, PROVIDER_MAX_RETRIES=4
    )
    provider = registry.resolve("gemini", None).provider
    client = provider.client()
    assert client is provider.client(), "one shared client per provider"
    assert (client.timeout, client.max_retries, client.api_key) == (7.5, 4, GEMINI_KEY)
    assert str(client.base_url) == "https://generativelanguage.googleapis.com/v1beta/openai/"
    await registry.aclose()


async def test_agents_ask_for_usage_on_every_provider() -> None:
    """The SDK only asks for stream usage from api.openai.com: Gemini would report zero."""
    registry = _registry(GEMINI_API_KEY=GEMINI_KEY)
    provider = registry.resolve("gemini", None).provider
    agent = provider.build_agent(agent_name="gemini", model="gemini-2.5-flash", instructions="x")
    assert agent.model_settings.include_usage is True
    assert agent.name == "gemini" and agent.instructions == "x"
    await registry.aclose()


def test_a_users_view_applies_toggles_and_their_own_keys() -> None:
    """Toggles refuse with 403 codes; a user's key makes a keyless agent theirs alone."""
    from chatwait.errors import AgentDisabled, ModelDisabled
    from chatwait.providers import AgentPolicy, UserView

    registry = _registry()
    mine = UserView(keys={"openai": "sk-user-key-0123456789", "offline": "sk-ignored-0000"})
    resolved = registry.resolve("openai", None, mine)
    assert resolved.api_key == "sk-user-key-0123456789" and "sk-user" not in repr(resolved)
    assert resolved.api_key in resolved.secrets()
    assert registry.resolve("offline", None, mine).api_key is None, "offline takes no key"
    with pytest.raises(AgentUnavailable):
        registry.resolve("openai", None, UserView())
    assert registry.defaults_for(mine) == ["openai"]
    assert registry.defaults_for(UserView()) == ["offline", "offline-2"]

    policies = {
        "offline-2": AgentPolicy(enabled=False),
        "openai": AgentPolicy(models=("gpt-4.1",)),
    }
    ruled = UserView(policies, mine.keys)
    with pytest.raises(AgentDisabled):
        registry.resolve("offline-2", None, ruled)
    with pytest.raises(ModelDisabled):
        registry.resolve("openai", "gpt-4o", ruled)
    assert registry.resolve("openai", None, ruled).model == "gpt-4.1", "first allowed model"
    described = {a["name"]: a for a in registry.describe(ruled)["agents"]}  # type: ignore[union-attr]
    assert described["offline-2"]["available"] is False
    assert described["offline-2"]["reason"] == "disabled by an admin"
    assert described["openai"]["models"] == ["gpt-4.1"]
    assert described["openai"]["default_model"] == "gpt-4.1"
    assert registry.defaults_for(UserView(policies)) == ["offline"]


@pytest.mark.parametrize("client_kind", ["fast", "sdk"])
def test_runs_share_a_built_agent_but_never_one_holding_a_users_key(client_kind: str) -> None:
    """A run's SDK agent is built once per model; one sending a user's key is never kept,
    so no later run (another user's, or one on the server's key) can send that key."""
    registry = _registry(OPENAI_API_KEY=OPENAI_KEY, PROVIDER_CLIENT=client_kind)
    spec = registry.agents["openai"]
    user_key = "sk-user-own-key-registry-77zz"

    def sent_key(agent: Any) -> str:
        return str(agent.model._client.api_key)

    keyed = spec.build("gpt-4o-mini", default_instructions="be brief", api_key=user_key)
    shared = spec.build("gpt-4o-mini", default_instructions="be brief")
    assert sent_key(keyed) == user_key
    assert sent_key(shared) == OPENAI_KEY
    assert spec.build("gpt-4o-mini", default_instructions="be brief") is shared
    again = spec.build("gpt-4o-mini", default_instructions="be brief", api_key=user_key)
    assert again is not keyed and again is not shared and sent_key(again) == user_key
    other = spec.build("gpt-4o", default_instructions="be brief")
    assert other is not shared and other.model is not shared.model
    assert other.model.model == "gpt-4o"  # type: ignore[union-attr]
