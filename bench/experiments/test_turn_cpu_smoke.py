"""`python -m bench.experiments.turn_cpu`, small: every turn ends and a figure comes out.

No CPU figure is asserted (figures live in docs/benchmarks.md); the run fails if a turn
does not end with `turn_done`, which would make the per-turn figure meaningless.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_turn_cpu_measures_turns_that_all_end(tmp_path: Path) -> None:
    out = tmp_path / "cpu.json"
    command = [
        sys.executable, "-m", "bench.experiments.turn_cpu",
        "--warm", "3", "--turns", "5", "--agents", "2", "--out", str(out),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert (result["warm"], result["turns"], result["agents"]) == (3, 5, 2)
    assert result["cpu_ms_per_turn"] > 0 and result["wall_ms_per_turn"] > 0
    assert "| 3 | 5 | 2 | 2 |" in out.with_suffix(".md").read_text()
