"""`python -m bench.leaderboard` end to end, small: it stores votes, fits and reports.

No timing is asserted (docs/benchmarks.md has the measured figures)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_leaderboard_benchmark_runs_and_recovers_the_order() -> None:
    command = [
        sys.executable,
        "-m",
        "bench.leaderboard",
        "--votes",
        "3000",
        "--models",
        "3",
        "--repeat",
        "1",
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "order recovered: True" in result.stdout
    assert "stored 3000 votes" in result.stdout and "server board, cold" in result.stdout
