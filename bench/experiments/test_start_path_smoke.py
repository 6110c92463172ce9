"""`python -m bench.experiments.start_path`, small: every stage is stamped for every turn.

No timing is asserted (figures live in docs/benchmarks.md); the stages must come out in
the order a turn passes them, or the wrapper no longer stamps what it names.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STAGES = {
    "start",
    "admitted",
    "request out",
    "response headers in",
    "rows insert begins",
    "rows committed",
    "turn_started logged",
    "first text from the provider",
    "first text sent",
}


def test_start_path_stamps_every_stage(tmp_path: Path) -> None:
    out = tmp_path / "path.json"
    command = [
        sys.executable, "-m", "bench.experiments.start_path",
        "--warm", "2", "--turns", "5", "--out", str(out),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["turns"] == 5 and set(result["stages"]) == STAGES
    p50 = {name: stage["p50"] for name, stage in result["stages"].items()}
    assert p50["start"] <= p50["admitted"] <= p50["request out"] <= p50["response headers in"]
    assert p50["rows committed"] <= p50["turn_started logged"] <= p50["first text sent"]
