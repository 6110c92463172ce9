"""Several ChatWait arms in one run (`--chatwait-arms`), small: each server measured as its
own `stream:<spec>` arm next to `direct` and `sdk`. No timing is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.specs import DEFAULT_REDIS_URL, chatwait_specs, parse_arms

ROOT = Path(__file__).resolve().parents[2]


def _run(tmp_path: Path, arms: str) -> tuple[dict, str]:
    out = tmp_path / "arms.json"
    command = [
        sys.executable, "-m", "bench", "run", "--only", "load", "--chatwait-arms", arms,
        "--concurrency", "2", "--agents", "1", "--answer-tokens", "12",
        "--tokens-per-second", "100", "--ttft-ms", "20",
        "--samples", "2", "--min-rounds", "2", "--max-rounds", "2",
        "--open-loop-rates", "8", "--open-loop-seconds", "1", "--open-loop-rounds", "1",
        "--postgres-url", "none", "--out", str(out),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=150)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text()), out.with_suffix(".md").read_text()


def _check(results: dict, md: str, names: list[str]) -> None:
    assert list(results["options"]["chatwait_arms"]) == names
    for rows in (results["workloads"], results["open_loop"]):
        [row] = rows
        assert set(row["arms"]) >= {"direct", "sdk", *names}
        assert list(row["by_chatwait_arm"]) == names
        for name, arm in row["arms"].items():
            assert arm["errors"] == 0, (row["workload"], name, arm["error_examples"])
            assert arm["turns"] > 0 and arm["tokens"] == arm["runs"] * 12
        for name in names:
            assert row["arms"][name]["cpu_s"] > 0, "each server's own CPU is read"
            assert row["arms"][name]["ttft_ms"]["n"] == row["arms"][name]["runs"]
    assert "wait" in results["workloads"][0]["arms"]
    assert "### ChatWait arms" in md
    for name in names:
        assert f"`{name}`" in md and f"| {name} |" in md


def test_two_provider_clients_are_two_arms_of_one_run(tmp_path: Path) -> None:
    results, md = _run(tmp_path, "fast,sdk")
    _check(results, md, ["stream:fast", "stream:sdk"])
    assert results["options"]["chatwait_arms"]["stream:sdk"]["provider_client"] == "sdk"


def _redis_answers() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(DEFAULT_REDIS_URL, socket_timeout=1).ping())
    except Exception:  # noqa: BLE001 - no Redis: the test is skipped
        return False


@pytest.mark.skipif(not _redis_answers(), reason="no Redis at 127.0.0.1:6379")
def test_memory_and_redis_event_logs_are_two_arms_of_one_run(tmp_path: Path) -> None:
    results, md = _run(tmp_path, "memory,redis")
    _check(results, md, ["stream:memory", "stream:redis"])
    assert results["options"]["chatwait_arms"]["stream:redis"]["event_log"] == "redis"


def test_arm_specs_parse_and_fill_in_the_run_settings() -> None:
    assert parse_arms("fast, sdk,fast+redis") == ("fast", "sdk", "fast+redis")
    for bad in ("turbo", "fast+sdk", "memory+redis", "fast,fast"):
        with pytest.raises(ValueError):
            parse_arms(bad)
    [one] = chatwait_specs((), "sdk", "")
    assert one.arm == "stream" and one.env(0) == {"PROVIDER_CLIENT": "sdk"}
    fast, redis_arm, memory = chatwait_specs(("fast", "sdk+redis", "memory"), "", "redis://x/1")
    assert (fast.provider_client, fast.redis_url) == ("fast", "redis://x/1")
    assert (redis_arm.provider_client, redis_arm.redis_url) == ("sdk", "redis://x/1")
    assert memory.redis_url == "" and "REDIS_URL" not in memory.env(2)
    assert fast.env(0)["REDIS_KEY_PREFIX"] != redis_arm.env(1)["REDIS_KEY_PREFIX"]
    [default_url] = chatwait_specs(("redis",), "", "")
    assert default_url.redis_url == DEFAULT_REDIS_URL
