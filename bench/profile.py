"""Where a server's CPU goes, from py-spy's raw (collapsed) stacks.

`python -m bench profile FILE` prints self time by package (the leaf frame's file) and
inclusive time of the functions that matter on ChatWait's token path; `bench run
--profile DIR [--native]` writes such files (one per load phase).

Only the event loop's thread counts: py-spy also samples worker threads (aiosqlite's,
the default executor's) while they wait on a lock, which would read as busy time. With
`--native`, samples waiting in `epoll_pwait` are the loop being idle and are set apart;
the rest of uvloop's C time (socket reads and writes, `getpid` in CPython 3.11's
`get_running_loop`) is named by its C leaf.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:()]+)(?::\d+)?\)$")
PACKAGES = (
    ("chatwait", "/chatwait/"),
    ("agents SDK", "/agents/"),
    ("openai", "/openai/"),
    ("httpx2/httpcore", "/httpx2/"),
    ("httpx2/httpcore", "/httpcore"),
    ("sse_starlette", "/sse_starlette/"),
    ("starlette/fastapi", "/starlette/"),
    ("starlette/fastapi", "/fastapi/"),
    ("uvicorn", "/uvicorn/"),
    ("sqlalchemy", "/sqlalchemy/"),
    ("aiosqlite/sqlite3", "/aiosqlite/"),
    ("aiosqlite/sqlite3", "/sqlite3/"),
    ("pydantic", "/pydantic"),
    ("anyio", "/anyio/"),
    ("event loop (uvloop, C)", "/asyncio/runners.py"),
    ("asyncio", "/asyncio/"),
    ("json", "/json/"),
    ("logging", "/logging/"),
)
WATCHED = (
    "relay_stream",
    "emit",
    "append",
    "_follow",
    "framed",
    "frame",
    "start",
    "emit_text",
    "_drive",
    "complete_run",
    "finish_run",
    "finish_turn",
    "stream_events",
    "_send",
    "encode",
)


def package(file: str) -> str:
    """The package a frame's file belongs to (py-spy gives paths from site-packages)."""
    path = "/" + file
    for name, marker in PACKAGES:
        if marker in path:
            return name
    return "other"


STDLIB = frozenset({"other", "asyncio", "json", "logging", "event loop (uvloop, C)"})


def component(frames: list[tuple[str, str]]) -> str:
    """Who a sample is spent for: the deepest frame outside the standard library.

    `inspect` under openai's model construction is openai's time; `json.dumps` under
    ChatWait's `encode` is ChatWait's. Samples with no such frame keep the leaf's label.
    """
    for _func, file in reversed(frames):
        name = package(file)
        if name not in STDLIB:
            return name
    return package(frames[-1][1]) if frames else "other"


AREAS = (
    ("database", ("sqlalchemy", "aiosqlite/sqlite3"), ()),
    (
        "SSE relay (reader, framing, send)",
        ("sse_starlette",),
        ("_follow", "framed", "frame", "_send", "_ping"),
    ),
    ("event log (emit, append, wake)", (), ("emit", "append", "_publish", "_wake")),
    ("provider stream (SDK, openai, httpx2)", ("agents SDK", "openai", "httpx2/httpcore"), ()),
    (
        "HTTP server (requests, routing, validation)",
        ("uvicorn", "starlette/fastapi", "pydantic"),
        (),
    ),
)


LOOP_FRAMES = ("asyncio/runners.py", "asyncio/base_events.py", "asyncio/events.py")


def _below_loop(frames: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The frames under the event loop: a task's own stack (uvicorn's `run` is above all)."""
    for position in range(len(frames) - 1, -1, -1):
        if frames[position][1].endswith(LOOP_FRAMES):
            return frames[position + 1 :]
    return frames


def area(frames: list[tuple[str, str]]) -> str:
    """What a sample is part of, by the first rule any frame of its task's stack matches.

    Time in the loop itself (uvloop's C code: I/O, callbacks) has no task frame.
    """
    frames = _below_loop(frames)
    if not frames:
        return "event loop (uvloop: I/O, callbacks)"
    packages = {package(file) for _func, file in frames}
    ours = {func.rsplit(".", 1)[-1] for func, file in frames if package(file) == "chatwait"}
    for name, wanted_packages, wanted_functions in AREAS:
        if packages.intersection(wanted_packages) or ours.intersection(wanted_functions):
            return name
    return "other (event loop, asyncio, turns)"


def parse(path: Path) -> list[tuple[list[tuple[str, str]], int]]:
    """(frames root-first as (function, file), sample count) per collapsed line."""
    stacks = []
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = []
        for raw in stack.split(";"):
            match = _FRAME.match(raw.strip())
            frames.append((match["func"], match["file"]) if match else (raw.strip(), ""))
        stacks.append((frames, int(count)))
    return stacks


MAIN_THREAD_ROOT = "<frozen runpy>"
"""The event loop's thread runs the program (`python -m chatwait.cli`); workers do not."""
IDLE_LEAVES = ("epoll_pwait", "epoll_wait")


def loop_samples(
    stacks: list[tuple[list[tuple[str, str]], int]],
) -> tuple[list[tuple[list[tuple[str, str]], int]], int, int]:
    """(busy event-loop stacks, idle loop samples, other threads' samples)."""
    busy, idle, others = [], 0, 0
    for frames, count in stacks:
        if not any(file.startswith(MAIN_THREAD_ROOT) for _func, file in frames[:3]):
            others += count
        elif frames[-1][0] in IDLE_LEAVES:
            idle += count
        else:
            busy.append((frames, count))
    return busy, idle, others


def summarize(path: Path, top: int = 15) -> str:
    stacks, idle, others = loop_samples(parse(path))
    total = sum(count for _, count in stacks) or 1
    by_package: Counter[str] = Counter()
    by_component: Counter[str] = Counter()
    by_area: Counter[str] = Counter()
    by_leaf: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for frames, count in stacks:
        leaf_func, leaf_file = frames[-1]
        by_package[package(leaf_file)] += count
        by_component[component(frames)] += count
        by_area[area(frames)] += count
        by_leaf[f"{leaf_func} ({Path(leaf_file).name})"] += count
        seen = set()
        for func, file in frames:
            short = func.rsplit(".", 1)[-1]
            if package(file) == "chatwait" and short in WATCHED and func not in seen:
                seen.add(func)
                inclusive[f"chatwait {func} ({Path(file).name})"] += count
    lines = [
        f"{path.name}: {total} busy samples of the event loop's thread "
        f"(set apart: {idle} idle in epoll, {others} in other threads)"
    ]
    lines.append("time by area (whole stack):")
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in by_area.most_common()]
    lines.append("self time by package:")
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in by_package.most_common()]
    lines.append("time by component (deepest non-stdlib frame):")
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in by_component.most_common()]
    lines.append(f"top {top} functions by self time:")
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in by_leaf.most_common(top)]
    lines.append("inclusive time of ChatWait's token-path functions:")
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in inclusive.most_common()]
    return "\n".join(lines)
