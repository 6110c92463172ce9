"""ChatWait's Chainlit app: one prompt, several agents, streaming or wait.

Run it mounted in the backend (`uv run chatwait`, see `chatwait.ui.mount_ui`) or on its
own against any backend, from this directory (Chainlit reads `.chainlit/` and `public/`
from the working directory): `cd frontend && CHATWAIT_API_URL=http://host:8000 uv run
chainlit run app.py`. It talks to the backend only through the public HTTP API.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

import chainlit as cl
from chainlit.types import ThreadDict
from starlette.datastructures import Headers

from chatwait_ui.api import ApiClient
from chatwait_ui.bindings import bindings
from chatwait_ui.chat import (
    MODE_ID,
    bind_conversation,
    current_choices,
    load_agents,
    remember_choices,
    run_turn,
    send_controls,
    send_usage,
    stop_turn,
)
from chatwait_ui.choices import Choices
from chatwait_ui.data_layer import LOCAL_USER, ApiDataLayer
from chatwait_ui.panels import (
    COMMANDS,
    handle_agent_toggle,
    handle_provider_key,
    send_panel,
)
from chatwait_ui.reopen import follow_reopened_turn
from chatwait_ui.usage import USAGE_COMMAND, wants_usage

# Header auth needs a JWT secret. Mounted, `mount_ui` sets a persistent one; run on its
# own, a per-process secret is fine: header auth signs the user in again silently.
os.environ.setdefault("CHAINLIT_AUTH_SECRET", secrets.token_urlsafe(32))

api = ApiClient()


@cl.header_auth_callback
async def local_user(headers: Headers) -> cl.User | None:
    """No login screen: everyone who reaches this UI is the single local user."""
    return cl.User(identifier=LOCAL_USER, display_name="You", metadata={"provider": "local"})


@cl.data_layer
def data_layer() -> ApiDataLayer:
    """History lives in the backend; Chainlit reads and edits it through the API."""
    return ApiDataLayer(api)


@cl.on_chat_start
async def start() -> None:
    """A new chat: its thread id is a placeholder until the backend names it."""
    bindings.expect(cl.context.session.thread_id)
    agents, defaults = await load_agents(api)
    await send_controls(agents, Choices.defaults(agents, defaults))
    await cl.context.emitter.set_commands([USAGE_COMMAND, *COMMANDS])


@cl.on_chat_resume
async def resume(thread: ThreadDict) -> None:
    """A conversation reopened from history: restore its mode, agents and models.

    A turn still running on the backend goes on streaming into its panes.
    """
    bind_conversation(thread["id"])
    agents, defaults = await load_agents(api)
    saved = Choices.from_metadata(thread.get("metadata"))
    choices = saved.restricted_to(agents) if saved else Choices()
    if not choices.agents:
        fallback = Choices.defaults(agents, defaults)
        choices = Choices(choices.mode, fallback.agents, fallback.models)
    cl.user_session.set("saved_choices", saved.to_metadata() if saved else None)
    await send_controls(agents, choices)
    await cl.context.emitter.set_commands([USAGE_COMMAND, *COMMANDS])
    follow_reopened_turn(api, thread)


@cl.on_settings_update
async def settings_changed(settings: dict[str, Any]) -> None:
    """Agent or model switched: remember it for this conversation right away."""
    choices = current_choices(None)
    await remember_choices(api, choices)


@cl.on_message
async def on_message(message: cl.Message) -> None:
    """Send the message to every chosen agent, in the mode picked for it (the `usage`
    command, or `/usage`, shows the user's limits and usage instead; another command
    opens its panel)."""
    if wants_usage(message.command, message.content):
        await send_usage(api)
        return
    if message.command in {c["id"] for c in COMMANDS}:
        await send_panel(api, message.command)
        return
    mode = (message.modes or {}).get(MODE_ID)
    choices = current_choices(mode)
    await run_turn(api, message.content, choices)
    await remember_choices(api, choices)


@cl.action_callback("provider_key")
async def provider_key(action: cl.Action) -> str:
    """Save or remove a provider key from the keys panel; the agents list follows."""
    notice = await handle_provider_key(api, action.payload)
    await _refresh_agents()
    return notice


@cl.action_callback("agent_toggle")
async def agent_toggle(action: cl.Action) -> str:
    notice = await handle_agent_toggle(api, action.payload)
    await _refresh_agents()
    return notice


async def _refresh_agents() -> None:
    """Agents gained or lost (a key saved, an agent switched): show the settings anew."""
    agents, _ = await load_agents(api)
    await send_controls(agents, current_choices(None).restricted_to(agents))


@cl.on_stop
async def stop() -> None:
    """The stop button cancels the turn on the backend, not only in this page."""
    await stop_turn(api)
