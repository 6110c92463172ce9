"""Reliability suite: print what it tried at the end of the run."""

from __future__ import annotations

import pytest

from tests.reliability._figures import FIGURES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.section("reliability figures")
        for name, count in sorted(FIGURES.items()):
            terminalreporter.write_line(f"{count:>8}  {name}")
