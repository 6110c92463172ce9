"""The issue's targets, checked against the figures of one run (never against old runs)."""

from __future__ import annotations

from typing import Any

from bench.specs import stream_arms


def _row(results: dict[str, Any], concurrency: int, agents: int) -> list[dict[str, Any]]:
    return [
        w for w in results["workloads"] if w["concurrency"] == concurrency and w["agents"] == agents
    ]


def _check(name: str, value: float | None, limit: float, unit: str, where: str) -> dict[str, Any]:
    met = value is not None and value <= limit
    return {
        "target": name,
        "where": where,
        "value": value,
        "limit": limit,
        "unit": unit,
        "met": met,
    }


def _ttft_p99(row: dict[str, Any], arm: str) -> float | None:
    return row["arms"][arm]["ttft_ms"]["p99"]


def _sub(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else round(a - b, 2)


def _versus(row: dict[str, Any], arm: str) -> dict[str, Any]:
    """The arm's comparisons with `direct` and `sdk` (top level: the first ChatWait arm)."""
    return row.get("by_chatwait_arm", {}).get(arm, row)


def evaluate(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One entry per target, workload and ChatWait arm it applies to; `met` is value <= limit.

    With several ChatWait arms (`--chatwait-arms`) every target is checked on each, the
    arm named in `where`."""
    checks: list[dict[str, Any]] = []
    workloads = results["workloads"]
    names = stream_arms(workloads[0]["arms"]) if workloads else []
    for name in names:
        label = "" if name == "stream" else f", {name}"
        checks += _load_checks(results, name, label)
        checks += _relay_checks(results, name, label)
    return checks + _holding_checks(results)


def _relay_checks(results: dict[str, Any], name: str, label: str) -> list[dict[str, Any]]:
    """Issue 15's targets ("relay tokens for less CPU than the bare SDK"), where this run
    has the workload: ratios and differences within the run, per ChatWait arm."""
    checks: list[dict[str, Any]] = []
    upstream_at_once = results["options"].get("ttft_ms") == 0
    for row in results["workloads"]:
        shape, where = (row["concurrency"], row["agents"]), row["workload"] + label
        arms = row["arms"]
        if shape in ((8, 2), (16, 1)) and arms["sdk"]["cpu_ms_per_token"]:
            ratio = arms[name]["cpu_ms_per_token"] / arms["sdk"]["cpu_ms_per_token"]
            checks.append(_check("CPU/token ÷ bare SDK (15)", round(ratio, 2), 0.5, "x", where))
        if shape == (64, 2) and _ttft_p99(row, "sdk"):
            ratio = _ttft_p99(row, name) / _ttft_p99(row, "sdk")
            checks.append(_check("TTFT p99 ÷ bare SDK (15)", round(ratio, 2), 1.5, "x", where))
        if not upstream_at_once:
            continue
        versus = _versus(row, name)
        if shape == (1, 1):
            added = _sub(_ttft_p99(row, name), _ttft_p99(row, "direct"))
            checks.append(_check("TTFT 0: TTFT p99 − direct (15)", added, 3, "ms", where))
        if shape == (8, 2):
            ttft = versus["ttft_diff_ms"]["stream_minus_direct"]["p99"]
            delay = versus["delay_diff_ms"]["stream_minus_direct"]["p99"]
            checks.append(_check("TTFT 0: added TTFT p99 (15)", ttft, 20, "ms", where))
            checks.append(_check("TTFT 0: added delivery p99 (15)", delay, 10, "ms", where))
    for row in results.get("open_loop", []):
        if row["rate_per_s"] == 20:
            added = _versus(row, name)["delay_added_p99_ms"]
            where = row["workload"] + label
            checks.append(_check("open loop: added delivery p99 (15)", added, 10, "ms", where))
    return checks


def _load_checks(results: dict[str, Any], name: str, label: str) -> list[dict[str, Any]]:
    checks: list[dict[str, Any]] = []
    for row in _row(results, 1, 1):
        where = row["workload"] + label
        stream = _ttft_p99(row, name)
        checks.append(
            _check(
                "TTFT p99: ChatWait - bare SDK", _sub(stream, _ttft_p99(row, "sdk")), 2, "ms", where
            )
        )
        checks.append(
            _check(
                "TTFT p99: ChatWait - direct",
                _sub(stream, _ttft_p99(row, "direct")),
                8,
                "ms",
                where,
            )
        )
    cpu = {"sdk": 0.0, name: 0.0}
    tokens = {"sdk": 0, name: 0}
    for row in results["workloads"]:
        for arm in cpu:
            cpu[arm] += row["arms"][arm]["cpu_s"]
            tokens[arm] += row["arms"][arm]["tokens"]
    if tokens["sdk"] and tokens[name] and cpu["sdk"]:
        ratio = (cpu[name] / tokens[name]) / (cpu["sdk"] / tokens["sdk"])
        checks.append(
            _check(
                "CPU/token: ChatWait server / bare SDK",
                round(ratio, 2),
                1.25,
                "x",
                "all workloads" + label,
            )
        )
    for row in _row(results, 8, 2):
        where = row["workload"] + label
        versus = _versus(row, name)
        checks.append(
            _check(
                "TTFT p99 added over direct",
                versus["ttft_diff_ms"]["stream_minus_direct"]["p99"],
                50,
                "ms",
                where,
            )
        )
        checks.append(
            _check(
                "delivery delay p99 added over direct",
                versus["delay_diff_ms"]["stream_minus_direct"]["p99"],
                20,
                "ms",
                where,
            )
        )
    return checks


def _holding_checks(results: dict[str, Any]) -> list[dict[str, Any]]:
    checks: list[dict[str, Any]] = []
    holding = results.get("holding")
    if holding:
        where = f"{holding['streams']} streams at 1 token/s"
        short = max(0, 1000 - holding["open_after_ramp"])
        checks.append(_check("streams short of 1,000 held at once", short, 0, "streams", where))
        checks.append(_check("errors while holding", holding["errors"], 0, "turns", where))
        checks.append(
            _check("server memory per open stream", holding["kb_per_stream"], 50, "KB", where)
        )
        bare = (holding.get("bare_sdk") or {}).get("kb_per_stream")
        if bare and holding["kb_per_stream"] is not None:
            ratio = round(holding["kb_per_stream"] / bare, 2)
            checks.append(_check("memory per stream ÷ bare SDK's (15)", ratio, 1.0, "x", where))
    return checks
