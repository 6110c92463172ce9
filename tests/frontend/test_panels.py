"""The panels' props: agents that take a key with the last four of yours, never a key."""

from __future__ import annotations

from chatwait_ui.panels import keys_props, toggles_props

MODELS = {
    "agents": [
        {"name": "openai", "provider": "openai", "available": False, "takes_key": True},
        {"name": "groq", "provider": "groq", "available": True, "takes_key": True},
        {"name": "offline", "provider": "offline", "available": True, "takes_key": False},
    ]
}


def test_keys_props_list_the_agents_that_take_a_key() -> None:
    props = keys_props(MODELS, [{"agent": "openai", "last4": "9z9z"}], "Saved.")
    assert props == {
        "agents": [
            {"name": "openai", "provider": "openai", "last4": "9z9z", "available": False},
            {"name": "groq", "provider": "groq", "last4": None, "available": True},
        ],
        "notice": "Saved.",
    }


def test_toggles_props_follow_the_admin_list() -> None:
    agents = [
        {
            "name": "offline-2",
            "provider": "offline",
            "enabled": False,
            "models": ["offline-1", "offline-2"],
            "allowed_models": ["offline-2"],
        }
    ]
    assert toggles_props(agents)["agents"] == agents
