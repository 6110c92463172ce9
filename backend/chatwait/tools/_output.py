"""Tool results as ChatWait sees them: which ones are errors, their text, and their cap.

The Agents SDK has no `is_error` on a tool output: a failing tool's output is just text
the model reads. ChatWait must tell the two apart (`tool_result.is_error`), so every error
made by ChatWait's tools (built-in failures, timeouts, MCP `isError` results, dead MCP
servers) is an `ErrorOutput`: a `str` to the SDK and the model, recognisable to `turns/` in
`RunHooks.on_tool_end(..., result)` and in `ToolCallOutputItem.output`, which both carry
the very object the tool returned.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agents import AgentsException, RunContextWrapper, ToolTimeoutError, UserError

logger = logging.getLogger(__name__)

DEFAULT_OUTPUT_MAX_BYTES = 16_384
_MIN_CAP_BYTES = 128


class ErrorOutput(str):
    """The text of a tool result that is an error (the model reads it like any output)."""

    __slots__ = ()


class ToolFailure(UserError):
    """A tool could not do its job; the message is what the model is told.

    A `UserError` because the SDK's MCP invoker re-raises that family untouched (others it
    wraps in `AgentsException` and logs as errors), so `tool_error_output` gets it as is.
    """


def is_error_output(result: object) -> bool:
    """True for the results ChatWait's tools mark as errors."""
    return isinstance(result, ErrorOutput)


def tool_error_output(context: RunContextWrapper[Any], error: Exception) -> ErrorOutput:
    """`failure_error_function` for ChatWait's tools: the error as a result, the run goes on.

    Messages from ChatWait and the SDK (bad arguments, timeouts, MCP failures) are made to
    be read and carry no secrets; any other exception is named by type only, because its
    text may hold whatever the failing code had at hand.
    """
    if isinstance(error, AgentsException):
        return ErrorOutput(str(error) or type(error).__name__)
    frames = traceback.extract_tb(error.__traceback__)
    where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    # Type and place only: the message may hold a secret, and logs must not.
    logger.warning("tool failed with %s%s", type(error).__name__, where)
    return ErrorOutput(f"The tool failed ({type(error).__name__}).")


def tool_timeout_output(context: RunContextWrapper[Any], error: Exception) -> ErrorOutput:
    """`timeout_error_function` for ChatWait's tools: a timeout is an error result."""
    if isinstance(error, ToolTimeoutError):
        return ErrorOutput(
            f"The tool {error.tool_name} timed out after {error.timeout_seconds:g} seconds."
        )
    return tool_error_output(context, error)


def output_text(result: object) -> str:
    """A tool result as text: SDK output dicts and lists flattened, images named, JSON else."""
    if isinstance(result, str):
        return str(result)
    if isinstance(result, Mapping):
        return _part_text(result)
    if isinstance(result, Sequence) and not isinstance(result, bytes | bytearray):
        return "\n".join(output_text(part) for part in result)
    dump = getattr(result, "model_dump", None)
    if callable(dump):
        return output_text(dump(mode="json"))
    return json.dumps(result, ensure_ascii=False, default=str)


def _part_text(part: Mapping[str, Any]) -> str:
    kind = part.get("type")
    if kind in ("text", "input_text", "output_text") and isinstance(part.get("text"), str):
        return str(part["text"])
    if kind in ("image", "input_image"):
        return "[image]"
    return json.dumps(part, ensure_ascii=False, default=str)


@dataclass(frozen=True, slots=True)
class CappedOutput:
    """A tool output cut to size for storing and sending; `truncated` says it was cut."""

    text: str
    truncated: bool
    original_bytes: int
    """UTF-8 size before the cut."""


def cap_output(text: str, max_bytes: int = DEFAULT_OUTPUT_MAX_BYTES) -> CappedOutput:
    """`text` in at most `max_bytes` UTF-8 bytes (>= 128), marker included.

    The cut falls on a character edge, so the result is always valid UTF-8.
    """
    if max_bytes < _MIN_CAP_BYTES:
        raise ValueError(f"max_bytes must be >= {_MIN_CAP_BYTES}")
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return CappedOutput(text, truncated=False, original_bytes=len(encoded))
    marker = f"\n[output truncated: {len(encoded)} bytes in all]"
    kept = encoded[: max_bytes - len(marker)].decode("utf-8", errors="ignore")
    return CappedOutput(kept + marker, truncated=True, original_bytes=len(encoded))
