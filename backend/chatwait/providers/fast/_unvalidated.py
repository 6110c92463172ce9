"""SDK stream events built from values already known to be right, without validation.

A streamed token becomes one Responses-style event (`response.output_text.delta`, ...). The
SDK's own handler validates each one through pydantic; `model_construct` is no cheaper here
(the `openai` models override it with a recursive, type-inspecting copy: ~100 µs per event
on this machine, against 4 µs validated). The values are ours (a string from the provider's
JSON, ints we count), so the instance is assembled the way pydantic's own `model_construct`
does, field defaults included: `__dict__`, `__pydantic_fields_set__`, `__pydantic_extra__`
({} for the `extra="allow"` openai models) and `__pydantic_private__`. The result compares
equal to, and dumps the same as, the validated event (`tests/providers/test_fast_parser.py`
checks every class used here against pydantic's own construction).
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from openai.types.responses import (
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseRefusalDeltaEvent,
    ResponseTextDeltaEvent,
)
from openai.types.responses.response_reasoning_text_delta_event import (
    ResponseReasoningTextDeltaEvent,
)
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

_new = object.__new__
_set = object.__setattr__


class Unvalidated(Generic[M]):
    """Builds instances of one delta event class from trusted field values.

    The one value that comes from the provider, `delta`, is trusted only when it is a `str`;
    anything else goes through validation, which fails (or coerces) exactly as the SDK's
    validated construction would.
    """

    __slots__ = ("_cls", "_names", "_template")

    def __init__(self, cls: type[M], names: tuple[str, ...]) -> None:
        self._cls = cls
        self._names = frozenset(names)
        """The fields every call passes: they become the instance's `model_fields_set`."""
        self._template = {
            name: None if name in names else field.get_default(call_default_factory=True)
            for name, field in cls.model_fields.items()
        }
        """Every field in declaration order (so dumps list them as validation would)."""

    def __call__(self, **values: Any) -> M:
        if type(values["delta"]) is not str:  # not what a provider should send: let pydantic judge
            return self._cls(**values)
        instance = _new(self._cls)
        fields = self._template.copy()
        fields.update(values)
        _set(instance, "__dict__", fields)
        _set(instance, "__pydantic_fields_set__", set(self._names))
        _set(instance, "__pydantic_extra__", {})
        _set(instance, "__pydantic_private__", None)
        return instance


text_delta = Unvalidated(
    ResponseTextDeltaEvent,
    (
        "content_index",
        "delta",
        "item_id",
        "output_index",
        "type",
        "sequence_number",
        "logprobs",
    ),
)
refusal_delta = Unvalidated(
    ResponseRefusalDeltaEvent,
    ("content_index", "delta", "item_id", "output_index", "type", "sequence_number"),
)
arguments_delta = Unvalidated(
    ResponseFunctionCallArgumentsDeltaEvent,
    ("delta", "item_id", "output_index", "type", "sequence_number"),
)
summary_text_delta = Unvalidated(
    ResponseReasoningSummaryTextDeltaEvent,
    ("delta", "item_id", "output_index", "summary_index", "type", "sequence_number"),
)
reasoning_text_delta = Unvalidated(
    ResponseReasoningTextDeltaEvent,
    ("delta", "item_id", "output_index", "content_index", "type", "sequence_number"),
)
