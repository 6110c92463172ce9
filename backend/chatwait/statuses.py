"""The closed sets of states a run and a turn go through, as types.

Shared by `store/` (the columns hold them) and `turns/` (the records and events carry
them), like `errors.py`: a status spelled wrong is a type error, not a silent new state.
"""

from __future__ import annotations

from typing import Literal, TypeAlias, get_args

RunStatus: TypeAlias = Literal["running", "done", "error", "timeout", "cancelled", "interrupted"]
"""`running` until it ends; every run ends in one of the other five, persisted."""

TurnStatus: TypeAlias = Literal["running", "done", "cancelled", "interrupted"]
"""`done` once every run ended by itself (some may have failed); `cancelled` after a
cancel; `interrupted` when the process running it stopped or died."""

EndStatus: TypeAlias = Literal["cancelled", "interrupted"]
"""Why a turn was cut short: what its unfinished runs end with."""

FailureStatus: TypeAlias = Literal["error", "timeout", "cancelled", "interrupted"]
"""The terminal run statuses a failure leads to."""

RUN_STATUSES: tuple[RunStatus, ...] = get_args(RunStatus)
TURN_STATUSES: tuple[TurnStatus, ...] = get_args(TurnStatus)
