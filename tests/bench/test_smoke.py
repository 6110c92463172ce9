"""The benchmark harness end to end, small: concurrency 1 and 4, short answers.

Checks that one `python -m bench run` starts its processes, measures every arm and phase,
and writes well-formed JSON and markdown with zero errors. No timing is asserted: timing
goals live in bench/ and docs/benchmarks.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.databases import POSTGRES_URL_ENV

ROOT = Path(__file__).resolve().parents[2]
ARMS = {"direct", "sdk", "stream", "wait"}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("bench") / "smoke.json"
    command = [
        sys.executable, "-m", "bench", "run",
        "--concurrency", "1,4", "--agents", "1,2", "--answer-tokens", "12",
        "--tokens-per-second", "100", "--ttft-ms", "20",
        "--samples", "4", "--min-rounds", "2", "--max-rounds", "2",
        "--holding", "30", "--persistence-turns", "3",
        "--open-loop-rates", "8", "--open-loop-seconds", "1", "--open-loop-rounds", "1",
        "--postgres-url", os.environ.get(POSTGRES_URL_ENV) or "none",
        "--out", str(out),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=150)
    assert done.returncode == 0, done.stderr[-3000:]
    return {"json": json.loads(out.read_text()), "md": out.with_suffix(".md").read_text()}


def test_every_workload_is_measured_every_way_without_errors(results: dict) -> None:
    workloads = results["json"]["workloads"]
    assert [(w["concurrency"], w["agents"]) for w in workloads] == [(1, 1), (1, 2), (4, 1), (4, 2)]
    for w in workloads:
        assert set(w["arms"]) == ARMS
        for name, arm in w["arms"].items():
            assert arm["errors"] == 0, (w["workload"], name, arm["error_examples"])
            assert arm["turns"] > 0 and arm["tokens"] == arm["runs"] * 12
            assert arm["cpu_ms_per_token"] is not None and arm["cpu_ms_per_token"] > 0
        for name in ("direct", "sdk", "stream"):
            assert w["arms"][name]["ttft_ms"]["n"] == w["arms"][name]["runs"]
            assert w["arms"][name]["delay_ms"]["n"] == w["arms"][name]["tokens"]
        assert set(w["ttft_diff_ms"]) == {"stream_minus_direct", "stream_minus_sdk"}
        assert w["chatwait_peak_rss_mb"] > 0


def test_holding_and_persistence_phases_report(results: dict) -> None:
    holding = results["json"]["holding"]
    assert holding["errors"] == 0, holding["error_examples"]
    assert holding["open_after_ramp"] == 30 and holding["kb_per_stream"] is not None
    assert holding["ttft_held_ms"]["n"] > 0
    sqlite = results["json"]["persistence"]["sqlite"]
    for agents in ("1", "2"):
        assert sqlite[agents]["statements_per_turn"] > 0
        assert sqlite[agents]["commits_per_turn"] >= 1


def test_open_loop_arrivals_are_measured_on_every_arm(results: dict) -> None:
    [row] = results["json"]["open_loop"]
    assert row["rate_per_s"] == 8 and set(row["arms"]) == {"direct", "sdk", "stream"}
    turns = {name: arm["turns"] for name, arm in row["arms"].items()}
    assert len(set(turns.values())) == 1 and turns["stream"] > 0, "one schedule for every arm"
    for name, arm in row["arms"].items():
        assert arm["errors"] == 0, (name, arm["error_examples"])
        assert arm["delay_ms"]["n"] == arm["tokens"] == arm["runs"] * 12
    assert row["delay_added_p99_ms"] is not None and row["server_cpu_ms_per_turn"] > 0


def test_markdown_has_the_tables_and_the_command(results: dict) -> None:
    md = results["md"]
    for heading in (
        "### Targets",
        "### Time to first token",
        "### Open-loop arrivals",
        "### Holding capacity",
        "### Persistence per turn",
        "Command: `uv run python -m bench run",
    ):
        assert heading in md
    assert results["json"]["machine"]["nproc"] >= 1
