"""The client benchmark (`python -m bench.experiments.clients`), tiny: every arm measures.

Each arm runs in a process of its own against the offline provider; the check is that every
arm received every token and reported its CPU. No timing is asserted: the figures live in
the report the benchmark prints.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.experiments.client_arms import ARMS

ROOT = Path(__file__).resolve().parents[2]


def test_every_client_arm_reads_every_token(tmp_path: Path) -> None:
    out = tmp_path / "clients.json"
    command = [
        sys.executable, "-m", "bench.experiments.clients", "--rounds", "1", "--streams", "2",
        "--tokens", "5", "--rate", "200", "--ttft-ms", "0", "--out", str(out),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    samples = json.loads(out.read_text())["samples"]
    assert sorted(s["arm"] for s in samples) == sorted(ARMS)
    for sample in samples:
        assert sample["tokens"] == 2 * 5, sample
        assert sample["cpu_us_per_token"] > 0
    assert "| sdk-fast |" in done.stdout
