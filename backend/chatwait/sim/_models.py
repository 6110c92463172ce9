"""The model names the offline provider answers to, and what each one does.

Fault models are named for their behaviour so a test or a demo picks a failure by
choosing a model; `fault-drop-after-N` and `fault-flaky-K` take any non-negative integer.
`offline-tools` calls the tools a request offers (see `_reply.py`), `offline-reasoner`
thinks aloud first, `offline-reasoner-tools` thinks aloud before its tool calls (as
DeepSeek's thinking mode does); `fault-tool-loop` calls a tool on every turn (it never answers) and
`fault-unknown-tool` calls a tool the request did not offer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Behaviour = Literal[
    "answer",
    "tools",
    "reasoner",
    "reasoner-tools",
    "tool-loop",
    "unknown-tool",
    "429",
    "500",
    "401",
    "hang",
    "malformed",
    "drop",
    "flaky",
    "unknown",
]

DEFAULT_MODEL = "offline-1"
ANSWER_MODELS = ("offline-1", "offline-2")
OFFLINE_MODELS: tuple[str, ...] = (
    *ANSWER_MODELS,
    "offline-tools",
    "offline-reasoner",
    "offline-reasoner-tools",
    "fault-429",
    "fault-500",
    "fault-401",
    "fault-hang",
    "fault-malformed",
    "fault-drop-after-3",
    "fault-flaky-2",
    "fault-tool-loop",
    "fault-unknown-tool",
)
"""The models `GET /v1/models` lists (one example of each parametrised fault)."""

_FIXED: dict[str, Behaviour] = {
    "offline-1": "answer",
    "offline-2": "answer",
    "offline-tools": "tools",
    "offline-reasoner": "reasoner",
    "offline-reasoner-tools": "reasoner-tools",
    "fault-tool-loop": "tool-loop",
    "fault-unknown-tool": "unknown-tool",
    "fault-429": "429",
    "fault-500": "500",
    "fault-401": "401",
    "fault-hang": "hang",
    "fault-malformed": "malformed",
}
_PARAMETRISED = re.compile(r"fault-(drop-after|flaky)-(0|[1-9][0-9]{0,8})")


@dataclass(frozen=True)
class ModelSpec:
    """A parsed model name: its behaviour and, for parametrised faults, N or K."""

    name: str
    behaviour: Behaviour
    count: int = 0


def parse_model(name: str) -> ModelSpec:
    """What `name` does; `behaviour == "unknown"` for names the provider does not serve."""
    fixed = _FIXED.get(name)
    if fixed is not None:
        return ModelSpec(name, fixed)
    match = _PARAMETRISED.fullmatch(name)
    if match is None:
        return ModelSpec(name, "unknown")
    behaviour: Behaviour = "drop" if match.group(1) == "drop-after" else "flaky"
    return ModelSpec(name, behaviour, int(match.group(2)))


def is_offline_model(name: str) -> bool:
    """True for every model the offline provider serves (fault models with any N or K)."""
    return parse_model(name).behaviour != "unknown"
