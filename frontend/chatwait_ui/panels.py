"""Two panels sent as messages: the user's own provider keys, and the admin's agent switches.

They open from the composer's commands (`/keys`, `/agents`). Each is a custom element
(`public/elements/ProviderKeys.jsx`, `AgentToggles.jsx`) whose buttons call an action;
the action calls the API and re-renders the panel. A key typed into the panel goes to
the backend once and is never put in props, a message or a log: the panel shows its last
four characters, as `GET /me/provider-keys` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import chainlit as cl

from chatwait_ui.api import ApiClient, ApiError

__all__ = [
    "ADMIN_COMMAND",
    "COMMANDS",
    "KEYS_COMMAND",
    "handle_agent_toggle",
    "handle_provider_key",
    "keys_props",
    "send_panel",
    "toggles_props",
]

KEYS_COMMAND = "keys"
ADMIN_COMMAND = "agents"
COMMANDS: list[dict[str, Any]] = [
    {
        "id": KEYS_COMMAND,
        "icon": "key-round",
        "description": "Your own provider keys",
        "button": False,
        "persistent": False,
    },
    {
        "id": ADMIN_COMMAND,
        "icon": "toggle-right",
        "description": "Switch agents on or off (admins)",
        "button": False,
        "persistent": False,
    },
]
_PANELS = {KEYS_COMMAND: "ProviderKeys", ADMIN_COMMAND: "AgentToggles"}


def keys_props(
    models: Mapping[str, Any], keys: Iterable[Mapping[str, Any]], notice: str | None = None
) -> dict[str, Any]:
    """ProviderKeys' props: the agents that take a key, each with the last four of yours."""
    last4 = {str(k.get("agent")): str(k.get("last4")) for k in keys}
    agents = [
        {
            "name": str(a["name"]),
            "provider": str(a.get("provider") or a["name"]),
            "last4": last4.get(str(a["name"])),
            "available": bool(a.get("available")),
        }
        for a in models.get("agents") or []
        if a.get("takes_key")
    ]
    return {"agents": agents, "notice": notice}


def toggles_props(agents: Iterable[Mapping[str, Any]], notice: str | None = None) -> dict[str, Any]:
    """AgentToggles' props, from `GET /admin/agents`."""
    rows = [
        {
            "name": str(a["name"]),
            "provider": str(a.get("provider") or ""),
            "enabled": bool(a.get("enabled", True)),
            "models": [str(m) for m in a.get("models") or []],
            "allowed_models": a.get("allowed_models"),
        }
        for a in agents
    ]
    return {"agents": rows, "notice": notice}


async def _props(api: ApiClient, panel: str, notice: str | None) -> dict[str, Any]:
    try:
        if panel == KEYS_COMMAND:
            return keys_props(await api.models(), await api.provider_keys(), notice)
        return toggles_props(await api.admin_agents(), notice)
    except ApiError as exc:
        return {"agents": [], "notice": notice or exc.message}


async def send_panel(api: ApiClient, panel: str) -> None:
    """Send the panel as a message of its own, and keep it to re-render."""
    element = cl.CustomElement(name=_PANELS[panel], props=await _props(api, panel, None))
    cl.user_session.set(f"panel_{panel}", element)
    await cl.Message(content="", elements=[element], author="ChatWait").send()


async def _rerender(api: ApiClient, panel: str, notice: str) -> None:
    element: cl.CustomElement | None = cl.user_session.get(f"panel_{panel}")
    if element is None:
        return
    element.props = await _props(api, panel, notice)
    await element.update()


async def handle_provider_key(api: ApiClient, payload: Mapping[str, Any]) -> str:
    """Save or delete one key; the answer (and the re-rendered panel) says what happened."""
    agent = str(payload.get("agent") or "")
    try:
        if payload.get("op") == "delete":
            await api.delete_provider_key(agent)
            notice = f"Removed your {agent} key."
        else:
            await api.save_provider_key(agent, str(payload.get("api_key") or ""))
            notice = f"Saved your {agent} key."
    except ApiError as exc:
        notice = f"{agent}: {exc.message}"
    await _rerender(api, KEYS_COMMAND, notice)
    return notice


async def handle_agent_toggle(api: ApiClient, payload: Mapping[str, Any]) -> str:
    """Switch an agent on or off, or set its allowed models (`models`: a list, or None)."""
    agent = str(payload.get("agent") or "")
    try:
        if "models" in payload:
            models = payload.get("models")
            allowed = [str(m) for m in models] if isinstance(models, list) else None
            await api.set_agent_models(agent, allowed)
            shown = ", ".join(allowed) if allowed else "every model"
            notice = f"{agent} allows {shown}."
        else:
            enabled = bool(payload.get("enabled"))
            await api.toggle_agent(agent, enabled=enabled)
            notice = f"{agent} is {'on' if enabled else 'off'} for everyone."
    except ApiError as exc:
        notice = f"{agent}: {exc.message}"
    await _rerender(api, ADMIN_COMMAND, notice)
    return notice
