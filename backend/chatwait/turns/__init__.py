"""Turns: fan a message out to agent runs, map SDK events to ours, finalize, replay."""

from chatwait.turns.live import LiveTurn
from chatwait.turns.reader import TurnReader
from chatwait.turns.service import TurnRequest, TurnService, run_public
from chatwait.turns.validation import check_text
from chatwait.turns.views import conversation_summary, conversation_view, turn_view

__all__ = [
    "LiveTurn",
    "TurnReader",
    "TurnRequest",
    "TurnService",
    "check_text",
    "conversation_summary",
    "conversation_view",
    "run_public",
    "turn_view",
]
