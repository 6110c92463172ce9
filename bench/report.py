"""The markdown report of one run: only figures the run measured, as it printed them."""

from __future__ import annotations

from typing import Any

from bench.specs import stream_arms
from bench.targets import evaluate


def _f(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _pair(summary: dict[str, Any]) -> str:
    return f"{_f(summary['p50'])} / {_f(summary['p99'])}"


def _cw(row: dict[str, Any]) -> str:
    """The first ChatWait arm: the one the main tables show (`stream` by default)."""
    return stream_arms(row["arms"])[0]


def ttft_table(workloads: list[dict[str, Any]]) -> list[str]:
    header = [
        "workload",
        "n",
        "direct p50/p99",
        "bare SDK p50/p99",
        "ChatWait p50/p95/p99",
        "CW−direct p50/p99",
        "CW−SDK p50/p99",
        "/chat/wait server TTFT p50/p99",
        "errors",
    ]
    rows = []
    for w in workloads:
        arms, diff = w["arms"], w["ttft_diff_ms"]
        cw = arms[_cw(w)]["ttft_ms"]
        wait = arms.get("wait", {}).get("ttft_ms", {"p50": None, "p99": None})
        errors = sum(a["errors"] for a in arms.values())
        rows.append(
            [
                w["workload"],
                str(cw["n"]),
                _pair(arms["direct"]["ttft_ms"]),
                _pair(arms["sdk"]["ttft_ms"]),
                f"{_f(cw['p50'])} / {_f(cw['p95'])} / {_f(cw['p99'])}",
                _pair(diff["stream_minus_direct"]),
                _pair(diff["stream_minus_sdk"]),
                _pair(wait),
                str(errors),
            ]
        )
    return _table(header, rows)


def flow_table(workloads: list[dict[str, Any]]) -> list[str]:
    header = [
        "workload",
        "delay p99 direct / SDK / CW",
        "added p99",
        "turns/s direct / SDK / CW / wait",
        "CPU ms/token openai / SDK / CW / CW wait",
        "CW÷SDK",
        "CW peak RSS MB",
        "other processes (cores)",
    ]
    rows = []
    for w in workloads:
        a = w["arms"]
        wait = a.get("wait", {})
        rows.append(
            [
                w["workload"],
                " / ".join(_f(a[k]["delay_ms"]["p99"]) for k in ("direct", "sdk", _cw(w))),
                _f(w["delay_diff_ms"]["stream_minus_direct"]["p99"]),
                " / ".join(
                    _f(x.get("turns_per_s"), 2) for x in (a["direct"], a["sdk"], a[_cw(w)], wait)
                ),
                " / ".join(
                    _f(x.get("cpu_ms_per_token"), 3)
                    for x in (a["direct"], a["sdk"], a[_cw(w)], wait)
                ),
                _f(w.get("cpu_ratio_stream_to_sdk"), 2),
                _f(w["chatwait_peak_rss_mb"]),
                _f(w.get("other_processes_cores"), 2),
            ]
        )
    return _table(header, rows)


def holding_lines(h: dict[str, Any]) -> list[str]:
    header = [
        "streams",
        "open after ramp",
        "ramp s",
        "errors",
        "RSS before / held MB",
        "KB/stream",
        "bare SDK KB/stream",
        "server fds held",
        "new-turn TTFT p50/p99 idle",
        "held",
        "CPU ms/token",
    ]
    row = [
        str(h["streams"]),
        str(h["open_after_ramp"]),
        _f(h["ramp_s"]),
        str(h["errors"]),
        f"{_f(h['rss_before_mb'])} / {_f(h['rss_held_mb'])}",
        _f(h["kb_per_stream"]),
        _f(h.get("bare_sdk", {}).get("kb_per_stream")),
        str(h["fds_held"]),
        _pair(h["ttft_idle_ms"]),
        _pair(h["ttft_held_ms"]),
        _f(h["cpu_ms_per_token"], 3),
    ]
    return _table(header, [row])


def persistence_lines(p: dict[str, Any]) -> list[str]:
    header = [
        "database",
        "agents",
        "statements/turn",
        "by kind",
        "commits/turn",
        "DB ms/turn p50/p99",
        "in statements ms",
        "/chat/wait read: statements, ms p50",
        "CPU ms/turn p50/p99",
    ]
    rows = []
    for db, per_agents in p.items():
        if "skipped" in per_agents:
            rows.append([db, "–", f"skipped: {per_agents['skipped']}", "", "", "", "", "", ""])
            continue
        for agents, m in per_agents.items():
            kinds = ", ".join(f"{k} {_f(v)}" for k, v in m["by_kind_per_turn"].items())
            rows.append(
                [
                    db,
                    agents,
                    _f(m["statements_per_turn"]),
                    kinds,
                    _f(m["commits_per_turn"]),
                    _pair(m["db_ms_per_turn"]),
                    _f(m["statement_ms_per_turn"], 2),
                    f"{_f(m['wait_read_statements'])}, {_f(m['wait_read_ms']['p50'], 2)}",
                    _pair(m["cpu_ms_per_turn"]) if "cpu_ms_per_turn" in m else "–",
                ]
            )
    return _table(header, rows)


def open_loop_table(rows: list[dict[str, Any]]) -> list[str]:
    """Poisson arrivals: what streams in flight feel while new turns keep arriving."""
    out = []
    for r in rows:
        a, cw = r["arms"], _cw(r)
        out.append(
            [
                r["workload"],
                str(a[cw]["turns"]),
                " / ".join(_f(a[x]["delay_ms"]["p99"]) for x in ("direct", "sdk", cw)),
                _f(r["delay_added_p99_ms"]),
                " / ".join(_f(a[x]["ttft_ms"]["p99"]) for x in ("direct", "sdk", cw)),
                _f(r["ttft_added_p99_ms"]),
                " / ".join(_f(a[x]["cpu_ms_per_token"], 3) for x in ("sdk", cw)),
                _f(r["server_cpu_ms_per_turn"]),
                str(sum(a[x]["errors"] for x in a)),
            ]
        )
    header = [
        "arrivals",
        "turns/arm",
        "delay p99 direct / SDK / CW",
        "added p99",
        "TTFT p99 direct / SDK / CW",
        "added p99",
        "CPU ms/token SDK / CW",
        "CW CPU ms/turn",
        "errors",
    ]
    return _table(header, out)


def per_turn_table(rows: list[dict[str, Any]], arm: str = "") -> list[str]:
    """The server's CPU per turn, fitted as fixed + per token over the answer lengths."""
    out = [
        [
            f"c{r['concurrency']}-a{r['agents']}" + (f" {arm}" if arm else ""),
            ", ".join(f"{k}: {v:.1f}" for k, v in r["ms_per_turn"].items()),
            _f(r["fixed_ms_per_turn"], 2),
            _f(r["ms_per_token"], 3),
        ]
        for r in rows
    ]
    return _table(["workload", "CW CPU ms/turn measured", "fixed ms/turn", "ms/token"], out)


def _arm_rows(rows: list[dict[str, Any]], cells: Any) -> list[list[str]]:
    return [
        [r["workload"], arm, *cells(r, r["arms"][arm], versus)]
        for r in rows
        for arm, versus in r.get("by_chatwait_arm", {}).items()
    ]


def chatwait_arms_lines(results: dict[str, Any]) -> list[str]:
    """With several ChatWait arms: each one against `direct` and `sdk` of the same rounds."""

    def closed(r: dict[str, Any], arm: dict[str, Any], v: dict[str, Any]) -> list[str]:
        turn_ms = arm["cpu_s"] * 1000 / arm["turns"] if arm["turns"] else None
        return [
            str(arm["ttft_ms"]["n"]),
            _pair(arm["ttft_ms"]),
            _f(v["ttft_diff_ms"]["stream_minus_direct"]["p99"]),
            _f(v["ttft_diff_ms"]["stream_minus_sdk"]["p99"]),
            _f(v["delay_diff_ms"]["stream_minus_direct"]["p99"]),
            _f(arm["cpu_ms_per_token"], 3),
            _f(v["cpu_ratio_stream_to_sdk"], 2),
            _f(turn_ms),
            _f(v["chatwait_peak_rss_mb"]),
            str(arm["errors"]),
        ]

    def opened(r: dict[str, Any], arm: dict[str, Any], v: dict[str, Any]) -> list[str]:
        return [
            str(arm["turns"]),
            _f(arm["ttft_ms"]["p99"]),
            _f(v["ttft_added_p99_ms"]),
            _f(v["delay_added_p99_ms"]),
            _f(v["delay_added_over_sdk_p99_ms"]),
            _f(arm["cpu_ms_per_token"], 3),
            _f(v["cpu_ratio_stream_to_sdk"], 2),
            _f(v["server_cpu_ms_per_turn"]),
            str(arm["errors"]),
        ]

    lines = ["Closed loop (ms; added = arm − direct, same rounds):", ""]
    lines += _table(
        [
            "workload",
            "arm",
            "n",
            "TTFT p50/p99",
            "TTFT added p99",
            "−SDK p99",
            "delivery added p99",
            "CPU ms/token",
            "÷SDK",
            "server CPU ms/turn",
            "peak RSS MB",
            "errors",
        ],
        _arm_rows(results["workloads"], closed),
    )
    if results.get("open_loop"):
        lines += ["", "Open-loop arrivals (ms):", ""]
        lines += _table(
            [
                "arrivals",
                "arm",
                "turns",
                "TTFT p99",
                "TTFT added p99",
                "delivery added p99",
                "over SDK p99",
                "CPU ms/token",
                "÷SDK",
                "server CPU ms/turn",
                "errors",
            ],
            _arm_rows(results["open_loop"], opened),
        )
    return lines


def _servers_line(o: dict[str, Any]) -> str:
    arms = o.get("chatwait_arms")
    if not arms:
        return (
            f"provider client {o.get('provider_client', 'default')}, "
            f"event log {o.get('event_log', 'memory')}"
        )
    each = ", ".join(
        f"`{a}` ({d['provider_client']} client, {d['event_log']} log)" for a, d in arms.items()
    )
    return f"ChatWait arms {each} (the main tables show the first)"


def targets_lines(results: dict[str, Any]) -> list[str]:
    rows = [
        [
            c["target"],
            c["where"],
            f"{_f(c['value'], 2)} {c['unit']}",
            f"≤ {c['limit']} {c['unit']}",
            "met" if c["met"] else "**not met**",
        ]
        for c in evaluate(results)
    ]
    return _table(["target", "where", "measured", "limit", ""], rows)


def markdown(results: dict[str, Any]) -> str:
    m, o = results["machine"], results["options"]
    lines = [
        f"Command: `{results['command']}`  ",
        f"Machine: {m['nproc']} cores, {m['cpu_model']}, Python {m['python']}, "
        f"fd limit {m['fd_limit']}; run took {results.get('duration_s', '–')} s.  ",
        f"Provider: offline, TTFT {o['ttft_ms']:g} ms, {o['tokens_per_second']:g} tokens/s, "
        f"stamped tokens; ChatWait database: {o['database']}, {_servers_line(o)}. "
        "Times in ms.",
        "",
        "### Targets",
        "",
        *targets_lines(results),
        "",
        "### Time to first token (ms)",
        "",
        *ttft_table(results["workloads"]),
        "",
        "### Delivery delay (ms), throughput, CPU, memory",
        "",
        *flow_table(results["workloads"]),
        "",
    ]
    if any("by_chatwait_arm" in w for w in results["workloads"]):
        lines += ["### ChatWait arms", "", *chatwait_arms_lines(results), ""]
    if results.get("open_loop"):
        lines += ["### Open-loop arrivals", "", *open_loop_table(results["open_loop"]), ""]
    by_arm = results.get("per_turn_cpu_by_arm")
    if by_arm and any(by_arm.values()):
        table = [line for arm, fits in by_arm.items() for line in per_turn_table(fits, arm)[2:]]
        header = per_turn_table([], "")
        lines += ["### Server CPU per turn", "", *header, *table, ""]
    elif results.get("per_turn_cpu"):
        lines += ["### Server CPU per turn", "", *per_turn_table(results["per_turn_cpu"]), ""]
    if results.get("holding"):
        lines += ["### Holding capacity", "", *holding_lines(results["holding"]), ""]
    if results.get("persistence"):
        lines += ["### Persistence per turn", "", *persistence_lines(results["persistence"]), ""]
    return "\n".join(lines)
