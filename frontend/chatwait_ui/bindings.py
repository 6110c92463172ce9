"""Make a new Chainlit thread take the id of the conversation the backend creates.

Thread id = conversation id, so the sidebar, `/thread/<id>` URLs and the backend agree.
But Chainlit names a new thread (a random uuid) and announces it to the browser
(`first_interaction`, which sets the URL and refreshes the sidebar) as soon as the first
message arrives, while the backend only names the conversation once the turn starts.

Chainlit announces the thread right after awaiting `data_layer.update_thread(...)` for
it, and reads `session.thread_id` only then. So the data layer holds that call until the
app reports the conversation id (`resolve`), and the app sets `session.thread_id` to it
first: the browser is told the conversation id, never the placeholder.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict

__all__ = ["ThreadBindings", "bindings"]


class ThreadBindings:
    """Placeholder thread id → future conversation id, resolvable in either order."""

    def __init__(self, *, keep: int = 1024) -> None:
        self._futures: OrderedDict[str, asyncio.Future[str]] = OrderedDict()
        self._keep = keep

    def _future(self, thread_id: str) -> asyncio.Future[str]:
        future = self._futures.get(thread_id)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._futures[thread_id] = future
            while len(self._futures) > self._keep:
                _, old = self._futures.popitem(last=False)
                old.cancel()
        return future

    def expect(self, thread_id: str) -> None:
        """Declare `thread_id` a placeholder for a conversation not created yet."""
        self._future(thread_id)

    def is_pending(self, thread_id: str) -> bool:
        """True for a declared placeholder (resolved or not)."""
        return thread_id in self._futures

    def resolve(self, thread_id: str, conversation_id: str) -> None:
        """The backend created the conversation for this placeholder."""
        future = self._future(thread_id)
        if not future.done():
            future.set_result(conversation_id)

    async def wait(self, thread_id: str, within: float) -> str | None:
        """The conversation id for a placeholder, or None if it is not known in time."""
        future = self._futures.get(thread_id)
        if future is None:
            return None
        try:
            return await asyncio.wait_for(asyncio.shield(future), within)
        except TimeoutError:
            return None
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if future.cancelled() and not (task and task.cancelling()):
                return None  # evicted placeholder, not a cancellation of the caller
            raise
        finally:
            if future.done():
                self._futures.pop(thread_id, None)


bindings = ThreadBindings()
"""Shared by the app (which resolves) and the data layer (which waits)."""
