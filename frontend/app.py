"""ChatWait's Chainlit app: one prompt, several agents, streaming or wait.

Run it mounted in the backend (`uv run chatwait`, see `chatwait.ui.mount_ui`) or on its
own against any backend, from this directory (Chainlit reads `.chainlit/` and `public/`
from the working directory): `cd frontend && CHATWAIT_API_URL=http://host:8000
AUTH_MODE=local uv run chainlit run app.py`. It talks to the backend only through the
public HTTP API.

`AUTH_MODE` must match the backend's (mounted, `mount_ui` passes it on as
`CHATWAIT_UI_AUTH_MODE`, which wins):
- `none`: no login page; whoever connects from this machine (a loopback address) is the
  single local user (header auth), and API calls carry no token.
- `local`: Chainlit's login page; sign-in happens at the backend (`sessions.py`), whose
  tokens stay in this process, and every API call carries the signed-in user's token.
"""

from __future__ import annotations

import logging
import os
import secrets
from typing import Any

import chainlit as cl
from chainlit.auth import get_token_from_cookies
from chainlit.auth.jwt import decode_jwt
from chainlit.server import app as chainlit_app
from chainlit.types import ThreadDict
from fastapi import Request, Response
from starlette.datastructures import Headers

from chatwait_ui.api import ApiClient, ApiError
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
from chatwait_ui.compare import (
    BLIND_COMMAND,
    COMPARE_COMMANDS,
    handle_compare_command,
    handle_vote,
    is_compare_command,
    remember_turn,
)
from chatwait_ui.data_layer import LOCAL_USER, ApiDataLayer
from chatwait_ui.extend import handle_fuse, handle_regenerate
from chatwait_ui.guard import UiGuard, client_address, is_loopback_client
from chatwait_ui.leaderboard import view_props
from chatwait_ui.panels import (
    COMMANDS,
    handle_agent_toggle,
    handle_provider_key,
    send_panel,
)
from chatwait_ui.reopen import follow_reopened_turn
from chatwait_ui.sessions import SessionStore, UiCredentials
from chatwait_ui.usage import USAGE_COMMAND, wants_usage
from chatwait_ui.usage_panel import show_usage

# Sign-in needs a JWT secret. Mounted, `mount_ui` sets a persistent one; run on its own,
# a per-process secret: a restart signs everyone out (their backend sessions are gone too).
os.environ.setdefault("CHAINLIT_AUTH_SECRET", secrets.token_urlsafe(32))

_MODE = os.environ.get("CHATWAIT_UI_AUTH_MODE") or os.environ.get("AUTH_MODE") or "none"
ACCOUNTS = _MODE.strip().lower() == "local"

logger = logging.getLogger(__name__)

api = ApiClient()
sessions = SessionStore(api) if ACCOUNTS else None
if sessions is not None:
    api.credentials = UiCredentials(sessions)
chainlit_app.add_middleware(
    UiGuard, known=(lambda handle: handle in sessions) if sessions is not None else None
)

if sessions is not None:
    store = sessions

    @cl.password_auth_callback
    async def sign_in(email: str, password: str) -> cl.User | None:
        """The login page: sign in at the backend; its tokens stay here, under a handle."""
        try:
            signed_in = await store.login(email, password, client_ip=client_address.get())
        except ApiError as exc:  # Chainlit would log a traceback and refuse anyway
            logger.warning("UI sign-in failed: the backend answered %s", exc.code)
            return None
        if signed_in is None:
            return None
        handle, session = signed_in
        return cl.User(identifier=handle, display_name=session.email)

    @cl.on_logout
    async def sign_out(request: Request, response: Response) -> dict[str, bool]:
        """Logout ends the backend session too: its tokens stop working at once."""
        token = get_token_from_cookies(request.cookies)
        if token:
            try:
                handle = decode_jwt(token).identifier
            except Exception:
                handle = None
            if handle:
                await store.logout(handle)
        return {"success": True}

else:

    @cl.header_auth_callback
    async def local_user(headers: Headers) -> cl.User | None:
        """No login screen, for this machine only: a loopback client is the local user."""
        if not is_loopback_client(client_address.get()):
            return None
        return cl.User(identifier=LOCAL_USER, display_name="You", metadata={"provider": "local"})


@cl.data_layer
def data_layer() -> ApiDataLayer:
    """History lives in the backend; Chainlit reads and edits it through the API."""
    return ApiDataLayer(api, sessions=sessions)


@cl.on_chat_start
async def start() -> None:
    """A new chat: its thread id is a placeholder until the backend names it."""
    bindings.expect(cl.context.session.thread_id)
    agents, defaults = await load_agents(api)
    await send_controls(agents, Choices.defaults(agents, defaults))
    await cl.context.emitter.set_commands([USAGE_COMMAND, *COMMANDS, *COMPARE_COMMANDS])
    await show_usage(api)


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
    await cl.context.emitter.set_commands([USAGE_COMMAND, *COMMANDS, *COMPARE_COMMANDS])
    await show_usage(api, thread=thread)
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
    opens its panel or answers it: `leaderboard`, `export`, `share`, `unshare`). With the
    `blind` toggle on, the turn is a blind battle. The usage bars beside the chat follow
    every turn, refused ones too."""
    if wants_usage(message.command, message.content):
        await send_usage(api)
        await show_usage(api)
        return
    if message.command in {c["id"] for c in COMMANDS}:
        await send_panel(api, message.command)
        return
    if is_compare_command(message.command):
        await handle_compare_command(api, str(message.command), message.content)
        return
    mode = (message.modes or {}).get(MODE_ID)
    choices = current_choices(mode)
    blind = message.command == BLIND_COMMAND
    view, renderer = await run_turn(api, message.content, choices, blind=blind)
    remember_turn(view, renderer)
    await show_usage(api, refused=view.notice if view.turn_id is None else None)
    if view.turn_id is None:
        # Refused (too long, ...) or never sent: the panes say why and, as nothing was
        # kept, the text goes back into the composer to be edited (`public/chatwait.js`).
        await cl.send_window_message({"chatwait": "restore-composer", "text": message.content})
        return
    await remember_choices(api, choices)


@cl.action_callback("provider_key")
async def provider_key(action: cl.Action) -> str:
    """Save or remove a provider key from the keys panel; the agents list follows."""
    notice = await handle_provider_key(api, action.payload)
    await _refresh_agents()
    return notice


@cl.action_callback("blind_vote")
async def blind_vote(action: cl.Action) -> str:
    """A vote (or a reveal) from the bar under a blind turn; the panes then show names."""
    return await handle_vote(api, action.payload)


@cl.action_callback("leaderboard_view")
async def leaderboard_view(action: cl.Action) -> dict[str, Any]:
    """The leaderboard page's since control: the board's props anew, for the element."""
    return await view_props(api, action.payload)


@cl.action_callback("turn_regenerate")
async def turn_regenerate(action: cl.Action) -> str:
    """Regenerate one pane's answer: a new pane streams into the same turn."""
    return await handle_regenerate(api, action.payload)


@cl.action_callback("turn_fuse")
async def turn_fuse(action: cl.Action) -> str:
    """Fuse a turn's answers with one agent: the fused pane streams into the same turn."""
    return await handle_fuse(api, action.payload)


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
    await show_usage(api)
