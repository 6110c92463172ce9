"""`bench.targets`: issue 15's targets are checked on the figures of one run."""

from __future__ import annotations

from typing import Any

from bench.targets import evaluate


def _arm(ttft_p99: float, cpu_ms_per_token: float) -> dict[str, Any]:
    return {
        "ttft_ms": {"p99": ttft_p99},
        "cpu_ms_per_token": cpu_ms_per_token,
        "cpu_s": 1.0,
        "tokens": 100,
    }


def _row(
    concurrency: int,
    agents: int,
    *,
    stream: float,
    sdk: float,
    direct: float,
    cpu: float,
    delay_added: float,
) -> dict[str, Any]:
    return {
        "workload": f"c{concurrency}-a{agents}-t60",
        "concurrency": concurrency,
        "agents": agents,
        "arms": {"direct": _arm(direct, 0.1), "sdk": _arm(sdk, 0.4), "stream": _arm(stream, cpu)},
        "ttft_diff_ms": {"stream_minus_direct": {"p99": stream - direct}},
        "delay_diff_ms": {"stream_minus_direct": {"p99": delay_added}},
    }


def _verdicts(results: dict[str, Any]) -> dict[tuple[str, str], bool]:
    return {(c["target"], c["where"]): c["met"] for c in evaluate(results) if "(15)" in c["target"]}


def test_upstream_ttft_0_targets_apply_only_to_a_run_at_ttft_0() -> None:
    workloads = [
        _row(1, 1, stream=7.0, sdk=5.0, direct=5.0, cpu=0.3, delay_added=0.5),
        _row(8, 2, stream=45.0, sdk=30.0, direct=20.0, cpu=0.19, delay_added=12.0),
        _row(64, 2, stream=700.0, sdk=400.0, direct=300.0, cpu=0.2, delay_added=5.0),
    ]
    open_loop = [{"workload": "poisson-20/s-t60", "rate_per_s": 20, "delay_added_p99_ms": 9.0}]
    at_once = {"options": {"ttft_ms": 0}, "workloads": workloads, "open_loop": open_loop}
    assert _verdicts(at_once) == {
        ("TTFT 0: TTFT p99 − direct (15)", "c1-a1-t60"): True,  # +2 ms
        ("CPU/token ÷ bare SDK (15)", "c8-a2-t60"): True,  # 0.19 / 0.4
        ("TTFT 0: added TTFT p99 (15)", "c8-a2-t60"): False,  # +25 ms
        ("TTFT 0: added delivery p99 (15)", "c8-a2-t60"): False,  # +12 ms
        ("TTFT p99 ÷ bare SDK (15)", "c64-a2-t60"): False,  # 700 / 400 = 1.75 x
        ("open loop: added delivery p99 (15)", "poisson-20/s-t60"): True,
    }
    later = _verdicts({**at_once, "options": {"ttft_ms": 100}})
    assert not any(target.startswith("TTFT 0") for target, _ in later)
    assert later[("CPU/token ÷ bare SDK (15)", "c8-a2-t60")] is True


def test_memory_per_stream_is_held_against_the_bare_sdks_in_the_same_run() -> None:
    holding = {
        "streams": 1000,
        "open_after_ramp": 1000,
        "errors": 0,
        "kb_per_stream": 120.0,
        "bare_sdk": {"kb_per_stream": 100.0},
    }
    checks = evaluate({"options": {}, "workloads": [], "holding": holding})
    memory = next(c for c in checks if c["target"] == "memory per stream ÷ bare SDK's (15)")
    assert (memory["value"], memory["met"]) == (1.2, False)
