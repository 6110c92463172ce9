"""Export a conversation (JSON or markdown) and share it read-only behind a token.

A share token is 256 random bits, shown once in the link and stored as its SHA-256 only;
`DELETE` revokes it (the link then 404s like any unknown token). A shared view is the
conversation alone: no client metadata, no other conversation, no cost when the owner
hid it, and blind turns stay blind until their owner votes or reveals.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from chatwait import conversations
from chatwait.errors import NotFound
from chatwait.store import Database
from chatwait.store import votes as store
from chatwait.turns import ConversationDetail, RunRecord, TurnRecord

TOKEN_BYTES = 32


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


async def export_json(db: Database, *, user_id: str, conversation_id: str) -> ConversationDetail:
    """Every turn and every run with its metadata."""
    return await conversations.read(db, user_id=user_id, conversation_id=conversation_id)


async def export_markdown(db: Database, *, user_id: str, conversation_id: str) -> str:
    return to_markdown(
        await conversations.read(db, user_id=user_id, conversation_id=conversation_id)
    )


async def share(db: Database, *, user_id: str, conversation_id: str, hide_costs: bool) -> str:
    """A new token for the user's conversation (an earlier link stops working)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    async with db.session() as session:
        await conversations.owned(session, user_id=user_id, conversation_id=conversation_id)
        await store.put_share(
            session=session,
            conversation_id=conversation_id,
            token_hash=token_hash(token),
            hide_costs=hide_costs,
            now=datetime.now(UTC),
        )
    return token


async def unshare(db: Database, *, user_id: str, conversation_id: str) -> None:
    """Revoke the conversation's link, if it has one."""
    async with db.session() as session:
        await conversations.owned(session, user_id=user_id, conversation_id=conversation_id)
        await store.delete_share(session=session, conversation_id=conversation_id)


async def shared(db: Database, *, token: str) -> ConversationDetail:
    """The conversation a live token names, as its read-only view; 404 otherwise."""
    async with db.session() as session:
        found = await store.shared_conversation(session=session, token_hash=token_hash(token))
        if found is None:
            raise NotFound("this shared link does not exist or was revoked")
        conversation, hide_costs = found
        detail = ConversationDetail.from_row(conversation)
    detail.metadata = {}
    if hide_costs:
        for turn in detail.turns:
            turn.runs = [
                run.model_copy(update={"cost_usd": None}) if isinstance(run, RunRecord) else run
                for run in turn.runs
            ]
    return detail


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f} ms"


def _turn_markdown(number: int, turn: TurnRecord) -> list[str]:
    lines = [f"## Turn {number} · {turn.created_at or ''} · {turn.status}", ""]
    lines += ["**You:**", "", turn.message, ""]
    for run in turn.runs:
        if isinstance(run, RunRecord):
            title = f"{run.agent} · {run.model} ({run.provider})"
            if run.slot:
                title = f"Slot {run.slot}: {title}"
            cost = "–" if run.cost_usd is None else f"${run.cost_usd:.6f}"
            facts = (
                f"TTFT {_ms(run.ttft_ms)} · latency {_ms(run.latency_ms)} · tokens "
                f"{run.usage.input_tokens} in / {run.usage.output_tokens} out · cost {cost}"
            )
        else:
            title = f"Slot {run.slot} (blind)"
            facts = f"TTFT {_ms(run.ttft_ms)} · latency {_ms(run.latency_ms)}"
        lines += [f"### {title} — {run.status}", ""]
        lines += [run.output or "_(no answer)_", ""]
        if run.error is not None:
            lines += [f"> error `{run.error.code}`: {run.error.message or ''}", ">"]
        lines += [f"> {facts}", ""]
    return lines


def to_markdown(conversation: ConversationDetail) -> str:
    """The conversation as a markdown document: each turn, each run and its metadata."""
    lines = [f"# {conversation.title}", ""]
    lines += [f"_Conversation {conversation.id}, started {conversation.created_at or ''}_", ""]
    for number, turn in enumerate(conversation.turns, 1):
        lines += _turn_markdown(number, turn)
    return "\n".join(lines).rstrip() + "\n"
