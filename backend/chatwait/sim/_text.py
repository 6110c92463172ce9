"""Deterministic answers: the same conversation always gets the same readable text.

The seed is a sha256 of the model and the messages (never Python's salted `hash()`), so
answers repeat across processes and replicas, and tests can compare a streamed answer
with a non-streamed one. The opening quotes the last user message and counts the user
messages, so a test can see that an agent really sent its history.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Mapping, Sequence
from typing import Any

_TOKEN = re.compile(r"\S+\s*")
_PROMPT_TOKEN = re.compile(r"\w+|[^\w\s]")
_QUOTE_WORDS = 8
_TOOL_QUOTE_WORDS = 24
_PER_MESSAGE_TOKENS = 4

_CONCISE = (
    (
        "In short,",
        "Put simply,",
        "Briefly,",
        "The key point:",
        "First,",
        "Next,",
        "Also,",
        "Finally,",
        "In practice,",
        "As a rule,",
    ),
    (
        "a small test",
        "the simplest option",
        "a clear plan",
        "the first draft",
        "a short list",
        "one careful check",
        "the default setting",
        "a quick estimate",
        "the usual approach",
        "a second opinion",
    ),
    (
        "keeps the risk low",
        "saves time later",
        "shows what matters most",
        "makes the next step obvious",
        "keeps the cost visible",
        "makes the result easy to check",
        "settles most doubts early",
        "leaves room to change course",
        "works better than it sounds",
        "is usually enough",
    ),
)
_THINKING = (
    (
        "Hmm,",
        "Let me see,",
        "On one hand,",
        "On the other hand,",
        "Wait,",
        "So,",
        "Then again,",
        "Checking again,",
    ),
    _CONCISE[1],
    _CONCISE[2],
)
_ELABORATE = (
    (
        "To begin with",
        "On reflection",
        "Moreover",
        "Taken together",
        "Seen from another angle",
        "In the longer run",
        "By the same token",
        "All things considered",
        "With that in mind",
        "Perhaps most importantly",
    ),
    (
        "a patient, well-documented approach",
        "the more deliberate option",
        "a careful comparison of the alternatives",
        "an honest look at the trade-offs",
        "a plan that can be revised",
        "the quieter, sturdier choice",
        "a measured first experiment",
        "the context you have already shared",
    ),
    (
        "tends to reward the effort it demands",
        "reveals details a quick answer would miss",
        "lowers the chance of costly surprises",
        "gives everyone a shared vocabulary",
        "turns vague worries into concrete questions",
        "makes the eventual decision easier to defend",
    ),
    (
        "although it asks for a little more time up front",
        "which matters more than it first appears",
        "provided the assumptions are written down",
        "even when the constraints are tight",
        "as long as the results are checked against reality",
        "especially once the stakes begin to rise",
    ),
)


def message_text(message: Mapping[str, Any]) -> str:
    """The text of one chat message: a string, or the `text` of its content parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            part["text"]
            for part in content
            if isinstance(part, Mapping) and isinstance(part.get("text"), str)
        )
    return ""


def fingerprint(model: str, messages: Sequence[Any]) -> bytes:
    """Stable digest of a request's model and messages (seed and flaky-counter key)."""
    canonical = json.dumps(
        [model, messages], sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(canonical.encode()).digest()


def prompt_tokens(messages: Sequence[Mapping[str, Any]]) -> int:
    """A simple, deterministic prompt size: words and punctuation, plus 4 per message."""
    return sum(len(_PROMPT_TOKEN.findall(message_text(m))) + _PER_MESSAGE_TOKENS for m in messages)


def split_tokens(text: str) -> list[str]:
    """Tokens are words with their trailing space/punctuation: they join back to `text`."""
    return _TOKEN.findall(text)


def answer_tokens(
    voice: str, messages: Sequence[Mapping[str, Any]], count: int, *, opening: str | None = None
) -> list[str]:
    """Exactly `count` tokens of the answer `voice` gives to `messages`.

    A given `opening` (a quoted tool result) is never cut: the answer is then at least as
    long as it.
    """
    rng = random.Random(int.from_bytes(fingerprint(voice, messages)[:8], "big"))
    elaborate = voice == "offline-2"
    parts = [opening or _opening(messages, elaborate=elaborate)]
    have = len(split_tokens(parts[0]))
    count = max(count, have) if opening else count
    while have < count:
        parts.append(_sentence(rng, elaborate=elaborate))
        have += len(split_tokens(parts[-1]))
    return _closed(split_tokens(" ".join(parts))[:count])


def reasoning_tokens(messages: Sequence[Mapping[str, Any]], count: int) -> list[str]:
    """Exactly `count` tokens of thinking aloud about `messages` (`offline-reasoner`)."""
    rng = random.Random(int.from_bytes(fingerprint("reasoning", messages)[:8], "big"))
    users = [m for m in messages if m.get("role") == "user"]
    parts = [f"Let me think about {_quote(message_text(users[-1]) if users else '')}."]
    have = len(split_tokens(parts[0]))
    while have < count:
        lead, subject, predicate = (_pick(rng, bank) for bank in _THINKING)
        parts.append(f"{lead} {subject} {predicate}.")
        have += len(split_tokens(parts[-1]))
    return _closed(split_tokens(" ".join(parts))[:count])


def tool_results_opening(results: Sequence[tuple[str, str]]) -> str:
    """`The add tool returned "3".` for each (tool name, output) of the last tool turn."""
    return " ".join(f"The {name} tool returned {_quote(output)}." for name, output in results)


def _closed(tokens: list[str]) -> list[str]:
    """The last token ends a sentence."""
    last = tokens[-1].rstrip()
    if last[-1] not in '.!?"':
        last = last.rstrip(",;:") + "."
    tokens[-1] = last
    return tokens


def _quote(text: str) -> str:
    words = text.split()
    if not words:
        return "nothing"
    more = "..." if len(words) > _TOOL_QUOTE_WORDS else ""
    return f'"{" ".join(words[:_TOOL_QUOTE_WORDS])}{more}"'


def _opening(messages: Sequence[Mapping[str, Any]], *, elaborate: bool) -> str:
    users = [m for m in messages if m.get("role") == "user"]
    held = f"{len(users)} user message{'s' if len(users) != 1 else ''}"
    words = message_text(users[-1]).split() if users else []
    if not words:
        asked = "No question was asked yet"
    else:
        more = "..." if len(words) > _QUOTE_WORDS else ""
        asked = f'You asked: "{" ".join(words[:_QUOTE_WORDS])}{more}"'
    if elaborate:
        return (
            f"Let me think this through with some care. {asked}, and this conversation now "
            f"holds {held}, which I keep in mind as I answer."
        )
    return f"{asked}. This conversation holds {held} so far."


def _pick(rng: random.Random, choices: Sequence[str]) -> str:
    # `random()` is the one stream Python guarantees to repeat for a seed across versions.
    return choices[int(rng.random() * len(choices))]


def _sentence(rng: random.Random, *, elaborate: bool) -> str:
    if elaborate:
        lead, subject, predicate, qualifier = (_pick(rng, bank) for bank in _ELABORATE)
        return f"{lead}, {subject} {predicate}, {qualifier}."
    lead, subject, predicate = (_pick(rng, bank) for bank in _CONCISE)
    return f"{lead} {subject} {predicate}."
