"""Identity words: an answer that names a model family or vendor gives a blind battle away."""

from __future__ import annotations

import re

IDENTITY_WORDS: tuple[str, ...] = (
    "openai",
    "chatgpt",
    "gpt",
    "gemini",
    "bard",
    "google",
    "deepmind",
    "anthropic",
    "claude",
    "mistral",
    "mixtral",
    "llama",
    "deepseek",
    "qwen",
    "alibaba",
    "grok",
    "xai",
    "phi",
    "microsoft",
    "gemma",
    "cohere",
    "command-r",
)
"""Whole words, matched case-insensitively (`gpt` matches "GPT-4o", not "egypt")."""

_PATTERN = re.compile(
    r"(?<![a-z0-9])(?:" + "|".join(re.escape(w) for w in IDENTITY_WORDS) + r")(?![a-z])",
    re.IGNORECASE,
)


def names_identity(text: str) -> bool:
    """Whether `text` names a model family or vendor from `IDENTITY_WORDS`."""
    return _PATTERN.search(text) is not None
