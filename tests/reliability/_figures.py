"""Figures the reliability tests report (cases tried, faults survived, inputs tried).

Tests add to them as they run; `conftest.py` prints them at the end of the session so a
run's numbers can be quoted in `docs/reliability.md`.
"""

from __future__ import annotations

from collections import Counter

FIGURES: Counter[str] = Counter()


def record_figure(name: str, count: int) -> None:
    """Add `count` to the figure `name`."""
    FIGURES[name] += count
