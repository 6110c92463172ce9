"""How a pane words a run's timings and errors (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["duration_text", "error_props"]


def duration_text(ms: Any) -> str:
    """Milliseconds under a second, seconds with two decimals above."""
    value = float(ms)
    return f"{value:.0f} ms" if value < 1000 else f"{value / 1000:.2f} s"


def error_props(error: Mapping[str, Any] | None, status: str) -> dict[str, Any] | None:
    """The error box of a pane: a cancelled run says so; otherwise the run's error."""
    if status == "cancelled":
        message = "Cancelled — stopped before it finished; the text above is what arrived."
        return {"code": "cancelled", "message": message, "retryable": False}
    if not error:
        return None
    return {
        "code": str(error.get("code") or status),
        "message": str(error.get("message") or "The run failed."),
        "retryable": bool(error.get("retryable")),
    }
