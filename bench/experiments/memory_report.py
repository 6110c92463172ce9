"""The markdown summary of `python -m bench.experiments.memory` (see `bench.experiments.memory`)."""

from __future__ import annotations

from typing import Any

PACKAGE_ROWS = 22
TOP = 15
OWN_TOP = 25


def _kb(value: float | None, n: int) -> str:
    return "-" if value is None or not n else f"{value / n / 1024:.1f}"


def _per(value: float, n: int) -> str:
    return f"{value / n:.2f}" if n else "-"


def _pick(
    runs: list[dict[str, Any]], part: str, traced: bool, pace: float | None = None
) -> dict[str, Any] | None:
    for row in runs:
        if (
            row["part"] == part
            and bool(row["frames"]) == traced
            and (pace is None or row["tokens_per_second"] == pace)
            and "error" not in row
        ):
            return row
    return None


def _summary(runs: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| part | tok/s | tracemalloc | open | ramp s | RSS KB/stream (traced: minus "
        "tracemalloc's own) | tracemalloc KB/stream | of untraced RSS, same pace | tasks/stream "
        "| gc objects/stream |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in sorted(runs, key=lambda r: (r["part"] != "sdk", r["part"], -r["frames"])):
        if "error" in row:
            continue
        n, traced = row["open"], bool(row["frames"])
        rss = row["rss_delta"] - (row["tm_overhead_delta"] if traced else 0)
        tm = share = "-"
        if traced:
            tm = _kb(row["traced_delta"], n)
            clean = _pick(runs, row["part"], False, row["tokens_per_second"])
            if clean and clean["open"]:
                share = f"{row['traced_delta'] / n / (clean['rss_delta'] / clean['open']):.0%}"
        tasks = (row["tasks_after"] - row["tasks_before"]) / n
        lines.append(
            f"| {row['part']} | {row['tokens_per_second']:g} | "
            f"{row['frames'] or 'off'} | {n}/{row['streams']} | {row['ramp_s']} | "
            f"{_kb(rss, n)} | {tm} | {share} | {tasks:.2f} | {_per(row['gc_objects_delta'], n)} |"
        )
    return lines


def _packages(sdk: dict[str, Any] | None, cw: dict[str, Any] | None) -> list[str]:
    cols = [(r, k) for r in (sdk, cw) for k in ("owner", "attributed", "inclusive")]
    names: dict[str, float] = {}
    for row, kind in cols:
        if row:
            for name, size in row[f"by_package_{kind}"].items():
                names[name] = max(names.get(name, 0), abs(size) / row["open"])
    rows = sorted(names, key=lambda k: -names[k])[:PACKAGE_ROWS]
    lines = [
        "| package | SDK owner | SDK attributed | SDK inclusive | ChatWait owner "
        "| ChatWait attributed | ChatWait inclusive | ChatWait - SDK (owner) |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def get(row: dict[str, Any] | None, kind: str, name: str) -> float | None:
        return row[f"by_package_{kind}"].get(name, 0) / row["open"] if row else None

    def fmt(value: float | None) -> str:
        return "-" if value is None else f"{value / 1024:.1f}"

    for name in rows:
        values = [get(r, k, name) for r, k in cols]
        extra = None if sdk is None or cw is None else (values[3] or 0) - (values[0] or 0)
        lines.append(f"| {name} | " + " | ".join(map(fmt, [*values, extra])) + " |")
    lines.append(
        "| **total** | "
        + " | ".join(
            fmt(r["tracemalloc_diff_total"] / r["open"]) if r and k != "inclusive" else "-"
            for r, k in cols
        )
        + " | |"
    )
    return lines


def _sites(row: dict[str, Any], key: str = "top_sites") -> list[str]:
    n = row["open"]
    lines = ["| B/stream | blocks/stream | line | via |", "|---|---|---|---|"]
    for site in row[key][:TOP]:
        via = site["via"].replace("|", "\\|")
        lines.append(
            f"| {site['bytes'] / n:.0f} | {site['blocks'] / n:.2f} | `{site['site']}` | {via} |"
        )
    return lines


def _site_diff(sdk: dict[str, Any], cw: dict[str, Any], key: str) -> list[str]:
    """Lines by how much more they hold per stream in ChatWait than in the bare SDK."""
    per_sdk = {s["site"]: s["bytes"] / sdk["open"] for s in sdk[key]}
    per_cw = {s["site"]: s["bytes"] / cw["open"] for s in cw[key]}
    via = {s["site"]: s["via"] for s in cw[key]}
    diff = {k: per_cw.get(k, 0) - per_sdk.get(k, 0) for k in per_sdk.keys() | per_cw.keys()}
    lines = ["| ChatWait - SDK B/stream | ChatWait | SDK | line | via (ChatWait) |"]
    lines.append("|---|---|---|---|---|")
    for site in sorted(diff, key=lambda k: -diff[k])[:OWN_TOP]:
        lines.append(
            f"| {diff[site]:.0f} | {per_cw.get(site, 0):.0f} | {per_sdk.get(site, 0):.0f} | "
            f"`{site}` | {via.get(site, '').replace('|', '/')} |"
        )
    return lines


def _counts(row: dict[str, Any], key: str, sizes: str | None = None) -> list[str]:
    n = row["open"]
    head = "| per stream | bytes/stream (shallow) | name |" if sizes else "| per stream | name |"
    lines = [head, "|---|---|---|" if sizes else "|---|---|"]
    for name, count in list(row[key].items())[:TOP]:
        size = f" {row[sizes].get(name, 0) / n:.0f} |" if sizes else ""
        lines.append(f"| {count / n:.2f} |{size} `{name}` |")
    return lines


def markdown(results: dict[str, Any]) -> str:
    runs = results["runs"]
    sdk, cw = _pick(runs, "sdk", True), _pick(runs, "chatwait", True)
    out = [
        f"### Memory per held stream ({results['streams']} streams; breakdowns from the "
        + (
            f"tracemalloc pass, {results['frames']} frames, provider at "
            f"{sdk['tokens_per_second']} tok/s)"
            if sdk
            else "no tracemalloc pass)"
        ),
        "",
        f"`{results['command']}` at {results['started_at']}, commit {results.get('commit')}"
        + (" (backend/ has uncommitted changes)" if results.get("backend_changes") else ""),
        "",
        *_summary(runs),
        "",
        "KB per stream by package (owner: nearest frame outside asyncio, anyio, pydantic and "
        "generic stdlib helpers; attributed: outside the generic helpers only; inclusive: any "
        "frame below the event loop):",
        "",
        *_packages(sdk, cw),
    ]
    if sdk and cw:
        out += [
            "",
            f"#### ChatWait's own share: top {OWN_TOP} owner lines (the line in a library or "
            "ChatWait that asked for the memory)",
            "",
            *_site_diff(sdk, cw, "owner_sites"),
        ]
    for label, row in (("bare SDK", sdk), ("ChatWait", cw)):
        if row is None:
            continue
        out += ["", f"#### {label}: top {TOP} owner lines", "", *_sites(row, "owner_sites")]
        out += ["", f"#### {label}: top {TOP} allocation sites (attributed line)", ""]
        out += _sites(row)
        out += ["", f"#### {label}: tasks per stream by coroutine", ""]
        out += _counts(row, "tasks_by_coro")
        out += ["", f"#### {label}: gc-tracked objects per stream by type", ""]
        out += _counts(row, "objects_delta", "object_bytes_delta")
    errors = [
        f"- {r['part']} frames={r['frames']}: {r['error'][-500:]}" for r in runs if "error" in r
    ]
    return "\n".join(out + ([""] + errors if errors else [])) + "\n"
