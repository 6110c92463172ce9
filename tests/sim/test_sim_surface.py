"""The public surface other layers rely on: exports, model names and settings."""

from __future__ import annotations

import dataclasses

import pytest

import chatwait.sim as sim
from chatwait.config import Settings
from chatwait.sim import OFFLINE_MODELS, SimConfig, is_offline_model


def test_exports_are_exactly_the_public_surface() -> None:
    assert sorted(sim.__all__) == [
        "OFFLINE_MODELS",
        "REFUSED_KEY_PREFIX",
        "SimConfig",
        "authorization_digest",
        "create_sim_app",
        "is_offline_model",
        "run",
    ]
    assert all(hasattr(sim, name) for name in sim.__all__)


@pytest.mark.parametrize(
    ("name", "offline"),
    [
        ("offline-1", True),
        ("offline-2", True),
        ("offline-tools", True),
        ("offline-reasoner", True),
        ("fault-tool-loop", True),
        ("fault-unknown-tool", True),
        ("offline-tool", False),
        ("fault-429", True),
        ("fault-500", True),
        ("fault-401", True),
        ("fault-hang", True),
        ("fault-malformed", True),
        ("fault-drop-after-0", True),
        ("fault-drop-after-3", True),
        ("fault-drop-after-120", True),
        ("fault-flaky-0", True),
        ("fault-flaky-2", True),
        ("fault-flaky-15", True),
        ("offline-3", False),
        ("gpt-4o-mini", False),
        ("", False),
        ("fault-drop-after-", False),
        ("fault-drop-after--1", False),
        ("fault-drop-after-01", False),
        ("fault-flaky-x", False),
        ("fault-flaky-2 ", False),
        ("Fault-429", False),
        ("fault-503", False),
    ],
)
def test_is_offline_model(name: str, offline: bool) -> None:
    assert is_offline_model(name) is offline


def test_listed_models_are_all_offline_models() -> None:
    assert OFFLINE_MODELS[:2] == ("offline-1", "offline-2")
    assert all(is_offline_model(name) for name in OFFLINE_MODELS)


def test_config_defaults_and_settings() -> None:
    config = SimConfig()
    assert (config.ttft_ms, config.tokens_per_second, config.answer_tokens) == (120.0, 60.0, 60)
    assert (config.retry_after_seconds, config.hang_seconds, config.stamp_tokens) == (
        1.0,
        3600.0,
        False,
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.ttft_ms = 1  # type: ignore[misc]
    settings = Settings(SIM_TTFT_MS=7, SIM_TOKENS_PER_SECOND=9, SIM_ANSWER_TOKENS=11)
    assert SimConfig.from_settings(settings) == SimConfig(
        ttft_ms=7, tokens_per_second=9, answer_tokens=11
    )


@pytest.mark.parametrize("bad", [{"tokens_per_second": 0}, {"answer_tokens": 0}, {"ttft_ms": -1}])
def test_config_refuses_impossible_knobs(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        SimConfig(**bad)  # type: ignore[arg-type]
