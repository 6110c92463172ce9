"""Agent, model and mode choices: from `GET /models`, settings and conversation metadata."""

from __future__ import annotations

from chatwait_ui.choices import AGENT_PREFIX, MODEL_PREFIX, Choices, parse_models

MODELS_BODY = {
    "agents": [
        {
            "name": "openai",
            "provider": "openai",
            "default_model": "gpt-4o-mini",
            "models": ["gpt-4o-mini", "gpt-4o"],
            "available": False,
            "reason": "OPENAI_API_KEY is not set",
        },
        {
            "name": "offline",
            "provider": "offline",
            "default_model": "offline-1",
            "models": ["offline-1", "offline-2", "fault-500"],
            "available": True,
            "reason": None,
        },
        {
            "name": "offline-2",
            "provider": "offline",
            "default_model": "offline-2",
            "models": ["offline-1", "offline-2", "fault-500"],
            "available": True,
            "reason": None,
        },
    ],
    "default_agents": ["offline", "offline-2"],
}


def test_defaults_are_the_backend_default_agents_on_their_default_models() -> None:
    agents, defaults = parse_models(MODELS_BODY)
    assert agents[0].reason == "OPENAI_API_KEY is not set" and not agents[0].available
    choices = Choices.defaults(agents, defaults + ["openai"])
    assert choices.agents == ["offline", "offline-2"], "unavailable agents are never defaults"
    assert choices.models == {"offline": "offline-1", "offline-2": "offline-2"}
    assert choices.mode == "streaming"


def test_settings_choose_agents_and_models_but_never_unavailable_ones() -> None:
    agents, _ = parse_models(MODELS_BODY)
    values = {
        AGENT_PREFIX + "openai": True,
        AGENT_PREFIX + "offline": True,
        MODEL_PREFIX + "offline": "fault-500",
        AGENT_PREFIX + "offline-2": True,
        MODEL_PREFIX + "offline-2": "not-a-model",
    }
    choices = Choices.from_settings(values, agents, "wait")
    assert choices.agents == ["offline", "offline-2"]
    assert choices.models == {"offline": "fault-500", "offline-2": "offline-2"}
    assert choices.request("hi", "conv-1") == {
        "message": "hi",
        "agents": ["offline", "offline-2"],
        "models": {"offline": "fault-500", "offline-2": "offline-2"},
        "conversation_id": "conv-1",
    }
    assert "conversation_id" not in choices.request("hi", None)
    assert Choices().request("hi", None) == {"message": "hi"}, "no agents: backend defaults"


def test_settings_values_round_trip() -> None:
    agents, defaults = parse_models(MODELS_BODY)
    choices = Choices("wait", ["offline-2"], {"offline-2": "offline-1"})
    values = choices.settings_values(agents)
    assert values[AGENT_PREFIX + "openai"] is False
    assert values[AGENT_PREFIX + "offline"] is False
    assert Choices.from_settings(values, agents, "wait") == choices


def test_choices_survive_conversation_metadata_and_backend_changes() -> None:
    agents, _ = parse_models(MODELS_BODY)
    saved = Choices("wait", ["offline", "gone"], {"offline": "fault-500", "gone": "x"})
    metadata = {"ui": saved.to_metadata(), "other_client": {"keep": True}}
    restored = Choices.from_metadata(metadata)
    assert restored == saved
    assert restored.restricted_to(agents) == Choices("wait", ["offline"], {"offline": "fault-500"})
    assert Choices.from_metadata({}) is None
    assert Choices.from_metadata({"ui": {"mode": "bogus"}}) == Choices("streaming", [], {})


def test_planned_panes_follow_the_chosen_order() -> None:
    choices = Choices("streaming", ["offline-2", "offline"], {"offline": "fault-500"})
    assert choices.planned() == [("offline-2", ""), ("offline", "fault-500")]


def test_configured_agents_say_which_tools_they_have_and_which_servers_are_down() -> None:
    body = {
        "agents": [
            {
                "name": "helper",
                "provider": "offline",
                "default_model": "offline-tools",
                "models": ["offline-tools"],
                "available": True,
                "configured": True,
                "tools": ["calculator", "current_time", "search_docs"],
                "mcp_servers": [
                    {"name": "docs", "up": False, "state": "failed", "reason": "exited 1"},
                    {"name": "files", "up": True, "state": "up", "reason": None},
                ],
            },
            {"name": "openai", "provider": "openai", "available": False, "reason": "no key"},
            {"name": "offline", "provider": "offline", "available": True},
        ],
        "default_agents": ["offline"],
    }
    helper, openai, offline = parse_models(body)[0]
    assert helper.description() == (
        "Configured agent. Tools: calculator, current_time, search_docs. Down: docs (exited 1)."
    )
    assert openai.description() == "Unavailable: no key"
    assert offline.description() == "Answer with offline."
