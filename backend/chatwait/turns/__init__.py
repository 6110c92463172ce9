"""Turns: fan a message out to agent runs, map SDK events to ours, finalize, replay."""

from chatwait.statuses import EndStatus, RunStatus, TurnStatus
from chatwait.turns.live import LiveTurn
from chatwait.turns.live_run import LiveRun
from chatwait.turns.reader import TurnReader
from chatwait.turns.records import (
    ConversationDetail,
    ConversationPage,
    ConversationSummary,
    RunErrorInfo,
    RunRecord,
    RunRef,
    StartedTurn,
    TurnRecord,
    TurnRequest,
    Usage,
)
from chatwait.turns.service import TurnService
from chatwait.turns.validation import check_text

__all__ = [
    "ConversationDetail",
    "ConversationPage",
    "ConversationSummary",
    "EndStatus",
    "LiveRun",
    "LiveTurn",
    "RunErrorInfo",
    "RunRecord",
    "RunRef",
    "RunStatus",
    "StartedTurn",
    "TurnReader",
    "TurnRecord",
    "TurnRequest",
    "TurnService",
    "TurnStatus",
    "Usage",
    "check_text",
]
