"""Chainlit's data layer on top of the backend API: thread = conversation.

The backend already persists every turn and run, so this layer keeps no copy: threads
are listed, read, renamed and deleted through `/conversations`, and steps and elements
are rebuilt from turns (`history.py`). Chainlit's own step/element writes are no-ops:
what the user sees live is rebuilt from the backend's record when the thread reopens.

Every call goes to the API as the signed-in user it runs for (`ApiClient` asks
`sessions.UiCredentials` for that user's token), so the backend only ever answers with
that user's conversations. `get_thread` reports the user it was asked for as the author
of what it found, which is what Chainlit checks before resuming, renaming or deleting a
thread. With `AUTH_MODE=none` there is one user, `LOCAL_USER`, and no token; with
accounts (`sessions`), a user is a sign-in handle and a call for none is refused (401).
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any

from chainlit.data.base import BaseDataLayer
from chainlit.types import Feedback, PageInfo, PaginatedResponse, Pagination, ThreadFilter
from chainlit.user import PersistedUser, User
from fastapi import HTTPException

from .api import ApiClient, ApiError
from .bindings import ThreadBindings, bindings
from .history import thread_from_conversation, thread_summary
from .sessions import SessionStore, current_handle, session_handle

if TYPE_CHECKING:
    from chainlit.element import Element, ElementDict
    from chainlit.step import StepDict
    from chainlit.types import ThreadDict

__all__ = ["LOCAL_USER", "ApiDataLayer"]

logger = logging.getLogger(__name__)

LOCAL_USER = "local"
_USER_CREATED_AT = "2025-01-01T00:00:00Z"
_SEARCH_SCAN_LIMIT = 500
# Metadata keys Chainlit may write through update_thread. Everything else it sends is its
# session dump (live objects, stale copies of our own keys) and must not reach the backend.
_CHAINLIT_METADATA_KEYS = ("is_shared", "shared_at")


class ApiDataLayer(BaseDataLayer):
    """`BaseDataLayer` whose storage is the ChatWait HTTP API."""

    def __init__(
        self,
        api: ApiClient,
        *,
        user_identifier: str = LOCAL_USER,
        sessions: SessionStore | None = None,
        thread_bindings: ThreadBindings = bindings,
        bind_timeout: float = 900.0,
    ) -> None:
        self.api = api
        self.local_identifier = user_identifier
        self.sessions = sessions
        self.bindings = thread_bindings
        self.bind_timeout = bind_timeout

    @property
    def user_identifier(self) -> str:
        """Who the current call is for; with accounts, 401 when nobody is signed in."""
        if self.sessions is None:
            return self.local_identifier
        handle = session_handle()
        if handle is None or handle not in self.sessions:
            raise HTTPException(status_code=401, detail="Not signed in")
        return handle

    # -- users ----------------------------------------------------------------------

    async def get_user(self, identifier: str) -> PersistedUser | None:
        """Chainlit looks the signed-in user up here on every request it authenticates."""
        if self.sessions is None:
            if identifier != self.local_identifier:
                return None
            return PersistedUser(
                id=identifier, identifier=identifier, createdAt=_USER_CREATED_AT, metadata={}
            )
        session = self.sessions.get(identifier)
        if session is None:
            return None
        current_handle.set(identifier)  # the rest of this request acts for this user
        return PersistedUser(
            id=identifier,
            identifier=identifier,
            display_name=session.email,
            createdAt=_USER_CREATED_AT,
            metadata={},
        )

    async def create_user(self, user: User) -> PersistedUser | None:
        return await self.get_user(user.identifier)

    # -- threads --------------------------------------------------------------------

    async def get_thread_author(self, thread_id: str) -> str:
        author = self.user_identifier
        return author if await self._conversation(thread_id) else ""

    async def get_thread(self, thread_id: str) -> ThreadDict | None:
        author = self.user_identifier
        conversation = await self._conversation(thread_id)
        if conversation is None:
            return None
        return thread_from_conversation(  # type: ignore[return-value]
            conversation, user_id=author, user_identifier=author
        )

    async def _conversation(self, conversation_id: str) -> dict[str, Any] | None:
        try:
            return await self.api.conversation(conversation_id)
        except ApiError as exc:
            if exc.status == 401:
                raise HTTPException(status_code=401, detail="Signed out") from exc
            raise

    async def list_threads(
        self, pagination: Pagination, filters: ThreadFilter
    ) -> PaginatedResponse[ThreadDict]:
        """Newest first; the cursor is the backend offset of the next page."""
        author = self.user_identifier
        if filters.userId not in (None, author):
            return PaginatedResponse(PageInfo(False, None, None), [])
        cursor = pagination.cursor or ""
        offset = int(cursor) if cursor.isdigit() else 0
        limit = max(1, pagination.first)
        if filters.search:
            items, total = await self._search(filters.search, offset=offset, limit=limit)
        else:
            page = await self.api.conversations(limit=limit, offset=offset)
            items, total = page.get("items") or [], int(page.get("total") or 0)
        end = offset + len(items)
        threads = [thread_summary(c, user_id=author, user_identifier=author) for c in items]
        page_info = PageInfo(
            hasNextPage=end < total,
            startCursor=str(offset) if threads else None,
            endCursor=str(end) if threads else None,
        )
        return PaginatedResponse(page_info, threads)  # type: ignore[arg-type]

    async def _search(
        self, text: str, *, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        """Title search, client-side: the API has no search parameter."""
        needle = text.casefold()
        matches: list[dict[str, Any]] = []
        scanned = 0
        while scanned < _SEARCH_SCAN_LIMIT:
            page = await self.api.conversations(limit=100, offset=scanned)
            items = page.get("items") or []
            matches += [c for c in items if needle in str(c.get("title") or "").casefold()]
            scanned += len(items)
            if not items or scanned >= int(page.get("total") or 0):
                break
        return matches[offset : offset + limit], len(matches)

    async def update_thread(
        self,
        thread_id: str,
        name: str | None = None,
        user_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        tags: list[str] | None = None,
    ) -> None:
        """Rename, or record sharing flags; hold a new thread until it is bound.

        For a placeholder thread (see `bindings.py`) Chainlit is announcing the first
        message: wait for the conversation id; the backend titles it from that message.
        """
        if self.bindings.is_pending(thread_id):
            if name is not None:
                await self.bindings.wait(thread_id, self.bind_timeout)
            return
        try:
            if name is not None:
                await self.api.update_conversation(thread_id, title=name)
            given = metadata or {}
            shared = {k: given[k] for k in _CHAINLIT_METADATA_KEYS if k in given}
            if shared:
                await self.api.merge_metadata(thread_id, shared)
        except ApiError as exc:
            if exc.status != 404:
                raise
            logger.debug("update_thread: no conversation %s", thread_id)

    async def delete_thread(self, thread_id: str) -> None:
        await self.api.delete_conversation(thread_id)

    # -- steps and elements: the backend records turns itself -----------------------

    async def create_step(self, step_dict: StepDict) -> None:
        return None

    async def update_step(self, step_dict: StepDict) -> None:
        return None

    async def delete_step(self, step_id: str) -> None:
        return None

    async def create_element(self, element: Element) -> None:
        return None

    async def get_element(self, thread_id: str, element_id: str) -> ElementDict | None:
        thread = await self.get_thread(thread_id)
        elements = thread.get("elements") if thread is not None else None
        for element in elements or []:
            if element.get("id") == element_id:
                return element
        return None

    async def delete_element(self, element_id: str, thread_id: str | None = None) -> None:
        return None

    # -- features ChatWait does not offer -------------------------------------------

    async def upsert_feedback(self, feedback: Feedback) -> str:
        return feedback.id or str(uuid.uuid4())

    async def delete_feedback(self, feedback_id: str) -> bool:
        return True

    async def get_favorite_steps(self, user_id: str) -> list[StepDict]:
        return []

    async def build_debug_url(self) -> str:
        return ""

    async def close(self) -> None:
        await self.api.aclose()
