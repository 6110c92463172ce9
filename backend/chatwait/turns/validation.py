"""Text a user sends: rules every store can hold and every client can show."""

from __future__ import annotations

import re

from chatwait.errors import ValidationFailed

_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
"""C0 controls (tab, newline and carriage return allowed), DEL, and lone surrogates:
Postgres refuses NUL in text and no encoder accepts a lone surrogate."""


def check_text(text: str, *, field: str, limit: int) -> str:
    """`text` if it is a non-blank string within `limit` characters with no control codes."""
    if not text.strip():
        raise ValidationFailed(f"'{field}' is empty")
    if len(text) > limit:
        raise ValidationFailed(f"'{field}' has {len(text)} characters; the limit is {limit}")
    bad = _FORBIDDEN.search(text)
    if bad:
        raise ValidationFailed(
            f"'{field}' contains a control character (U+{ord(bad.group()):04X}) at position "
            f"{bad.start()}"
        )
    return text
