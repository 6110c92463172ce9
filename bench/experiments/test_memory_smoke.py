"""`python -m bench.experiments.memory`, small: every part holds its streams and is broken down.

Checks the profile that docs/benchmarks.md cites for memory per held stream runs end to
end and writes well-formed JSON and markdown (no sizes asserted: figures live in docs).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STREAMS = 4


def test_memory_profile_holds_every_stream_and_breaks_it_down(tmp_path: Path) -> None:
    out = tmp_path / "memory.json"
    command = [
        sys.executable, "-m", "bench.experiments.memory",
        "--streams", str(STREAMS), "--frames", "5", "--no-rss-pass", "--out", str(out),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    runs = json.loads(out.read_text())["runs"]
    assert {run["part"] for run in runs} == {"sdk", "chatwait"}
    for run in runs:
        assert run["open"] == STREAMS, run["part"]
        assert run["tasks_after"] - run["tasks_before"] >= STREAMS
        assert run["top_sites"] and run["tracemalloc_diff_total"] > 0
    chatwait = next(run for run in runs if run["part"] == "chatwait")
    assert "chatwait" in chatwait["by_package_owner"]
    markdown = out.with_suffix(".md").read_text()
    assert "Memory per held stream" in markdown and "| chatwait |" in markdown
