"""`python -m bench.experiments.replica_delay`, small: both replicas deliver every event.

Needs the machine's Postgres and Redis (as the scale-out tests do). No delay is asserted:
figures live in docs/benchmarks.md; the run fails if the other replica's reader misses or
repeats an event, which is what makes its delays comparable at all.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_replica_delay_compares_every_event_of_every_turn(tmp_path: Path) -> None:
    out = tmp_path / "delay.json"
    command = [
        sys.executable, "-m", "bench.experiments.replica_delay",
        "--turns", "3", "--concurrency", "2", "--answer-tokens", "12", "--out", str(out),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["turns"] == 3 and result["events"] > 0
    delay = result["delay_ms"]
    assert delay["min"] <= delay["p50"] <= delay["p99"] <= delay["max"]
    assert "| 3 | 2 | 2 | 12 |" in out.with_suffix(".md").read_text()
