"""The usage bars beside the chat, sent anew after every turn.

Chainlit 2.x has no header slot for app content. Its side view is the one place beside
the chat that stays put while the chat scrolls, and it shows by itself every element of
the session whose `display` is `side` (titled with the element's name: hence the JSX is
`Usage.jsx`), following each update of that element. So the bars are one such element,
kept in the session and sent again with new props; it belongs to no message (`for_id`
empty) and is not stored (`persist=False`): usage lives in the backend.

A resumed thread replaces the page's elements with the thread's, and Chainlit sends it
only after `on_chat_resume` returns: there the element rides along in the thread instead.

`cl.ElementSidebar` is not used: Chainlit closes a sidebar it opened as soon as any
element changes while the session has no `side` element, and retitles it with the
element's name when it has one.
"""

from __future__ import annotations

import chainlit as cl
from chainlit.types import ThreadDict

from .api import ApiClient, ApiError
from .usage import usage_props

__all__ = ["ELEMENT_NAME", "show_usage"]

ELEMENT_NAME = "Usage"
_SESSION_KEY = "usage_element"


async def show_usage(
    api: ApiClient, *, refused: str | None = None, thread: ThreadDict | None = None
) -> None:
    """Read `GET /me/usage` and show it beside the chat (opening the side view).

    `refused`: the last message was refused; why and when to retry, shown with the bars.
    `thread`: from `on_chat_resume`, the thread about to be sent, which carries the bars.
    """
    try:
        props = usage_props(await api.usage(), refused=refused)
    except ApiError as exc:
        notice = f"Could not read your usage: {exc.message}"
        props = usage_props({}, refused=refused, notice=notice)
    element: cl.CustomElement | None = cl.user_session.get(_SESSION_KEY)
    if element is None:
        element = cl.CustomElement(name=ELEMENT_NAME, props=props, display="side")
        cl.user_session.set(_SESSION_KEY, element)
    element.props = props
    if thread is not None:
        thread["elements"] = [*(thread.get("elements") or []), element.to_dict()]
        return
    await element.send(for_id="", persist=False)
