"""Where a process's memory went between two points: tracemalloc, gc objects, tasks, RSS.

Used inside the measured process (`bench.experiments.memory_sdk`,
`bench.experiments.memory_server`): `begin()` before the streams open, `end()` once they
are all held. Both collect garbage first, so only live memory counts. tracemalloc runs
only between the two, so it sees what was allocated in between and is still alive
(memory allocated earlier and freed in between is invisible to it, but shows in RSS).
Results are totals; the report divides by the number of streams.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import sysconfig
import tracemalloc
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

STDLIB = sysconfig.get_paths()["stdlib"].rstrip("/") + "/"
BACKEND = str(Path(__file__).resolve().parents[2] / "backend") + "/"
BENCH = str(Path(__file__).resolve().parents[1]) + "/"
GENERIC = frozenset(
    {
        *("copy", "typing", "dataclasses", "functools", "weakref", "_weakrefset", "abc"),
        *("enum", "json", "contextlib", "collections", "re", "types", "inspect", "string"),
        *("codecs", "encodings", "uuid", "datetime", "importlib", "warnings", "<frozen>"),
        "<string>",  # dataclass-generated __init__
    }
)
"""Stdlib helpers that allocate on someone else's behalf: an allocation in one is
attributed to the nearest frame outside them (asyncio stays a package of its own)."""
HELPERS = GENERIC | {"asyncio", "anyio", "pydantic", "pydantic_core", "typing_extensions"}
"""Also skipped when finding an allocation's owner: the library that asked for it."""
MIN_SITE_BYTES = 4096
"""Sites kept in the results (all of them, down to this many bytes in total)."""
CHAIN = 4
VIAS = 4
LOOP = "<event loop>"
"""What the loop's C code allocated with no Python frame above the runner (uvloop, task
steps, protocol callbacks): tracebacks are cut at `asyncio/runners.py`, the frame every
task and callback runs under, so a package's inclusive share is what ran inside it."""


def vm_status() -> dict[str, int]:
    """VmRSS / RssAnon / VmHWM of this process, bytes."""
    values: dict[str, int] = {}
    with open("/proc/self/status") as f:
        for line in f:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "RssAnon", "VmHWM"):
                values[name] = int(rest.split()[0]) * 1024
    return values


def package(filename: str) -> str:
    """The package a source file belongs to (stdlib modules by their top-level name)."""
    if "site-packages/" in filename:
        top = filename.split("site-packages/", 1)[1].split("/", 1)[0]
    elif filename.startswith(BACKEND):
        top = filename[len(BACKEND) :].split("/", 1)[0]
    elif filename.startswith(BENCH):
        return "bench"
    elif filename.startswith(STDLIB):
        top = filename[len(STDLIB) :].split("/", 1)[0]
    elif filename.startswith("<frozen"):
        return "<frozen>"
    else:
        return filename
    return top.removesuffix(".py").split(".", 1)[0]


def short(filename: str) -> str:
    for marker in ("site-packages/", BACKEND, STDLIB):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename.replace(BENCH, "bench/")


def _awaited(obj: Any) -> Any:
    """What a coroutine / async generator (or the `asend` of one) is suspended on."""
    for attr in ("cr_await", "ag_await"):
        if hasattr(obj, attr):
            return getattr(obj, attr)
    if type(obj).__name__ == "async_generator_asend":
        return next((r for r in gc.get_referents(obj) if hasattr(r, "ag_await")), None)
    return None


def task_name(task: asyncio.Task[Any]) -> str:
    """The task's coroutine and what it awaits, e.g. `TaskHandle._run_coro > ... > sleep`."""
    names: list[str] = []
    coro: Any = task.get_coro()
    while coro is not None and len(names) < CHAIN:
        name = getattr(coro, "__qualname__", None)
        if name:
            names.append(name.replace(".<locals>.", ":"))
        coro = _awaited(coro)
    return " > ".join(names) or type(task.get_coro()).__name__


def _tasks() -> Counter[str]:
    try:
        tasks = asyncio.all_tasks()
    except RuntimeError:
        return Counter()
    return Counter(task_name(t) for t in tasks)


def _objects() -> tuple[Counter[str], Counter[str]]:
    """gc-tracked objects by type: counts and shallow bytes (frozen objects excluded)."""
    counts: Counter[str] = Counter()
    sizes: Counter[str] = Counter()
    for obj in gc.get_objects():
        kind = type(obj)
        name = f"{kind.__module__}.{kind.__qualname__}"
        counts[name] += 1
        sizes[name] += sys.getsizeof(obj)
    return counts, sizes


class Probe:
    """Takes the two measurements; `frames=0` skips tracemalloc (a clean RSS pass).

    Tracing starts in `begin` (after imports and warm-up: tracing them with 25 frames
    costs minutes) and stops in `end`, so the "after" snapshot holds just what was
    allocated in between and is still alive.
    """

    def __init__(self, frames: int) -> None:
        self.frames = frames
        self.before: dict[str, Any] = {}
        self.snapshot: tracemalloc.Snapshot | None = None

    def _state(self) -> dict[str, Any]:
        gc.collect()
        state: dict[str, Any] = {"vm": vm_status(), "tasks": _tasks()}
        if self.frames and tracemalloc.is_tracing():
            state["traced"] = tracemalloc.get_traced_memory()[0]
            state["tm_overhead"] = tracemalloc.get_tracemalloc_memory()
            snapshot = tracemalloc.take_snapshot()
            tracemalloc.stop()
            state["snapshot"] = snapshot
        state["objects"], state["object_bytes"] = _objects()
        return state

    def begin(self) -> dict[str, Any]:
        self.before = self._state()
        if self.frames:
            tracemalloc.start(self.frames)
            self.snapshot = tracemalloc.take_snapshot()
            self.before["traced"] = tracemalloc.get_traced_memory()[0]
            self.before["tm_overhead"] = tracemalloc.get_tracemalloc_memory()
        return {"vm": self.before["vm"], "tasks": sum(self.before["tasks"].values())}

    def end(self) -> dict[str, Any]:
        after = self._state()
        before = self.before
        result: dict[str, Any] = {
            "rss_delta": after["vm"]["VmRSS"] - before["vm"]["VmRSS"],
            "rss_anon_delta": after["vm"].get("RssAnon", 0) - before["vm"].get("RssAnon", 0),
            "rss_before": before["vm"]["VmRSS"],
            "rss_after": after["vm"]["VmRSS"],
            "tasks_before": sum(before["tasks"].values()),
            "tasks_after": sum(after["tasks"].values()),
            "tasks_by_coro": _delta(after["tasks"], before["tasks"]),
            "objects_delta": _delta(after["objects"], before["objects"]),
            "object_bytes_delta": _delta(after["object_bytes"], before["object_bytes"]),
            "gc_objects_delta": sum(after["objects"].values()) - sum(before["objects"].values()),
        }
        if self.frames and self.snapshot is not None and "snapshot" in after:
            result["traced_delta"] = after["traced"] - before["traced"]
            result["tm_overhead_delta"] = after["tm_overhead"] - before["tm_overhead"]
            result.update(attribute(after.pop("snapshot"), self.snapshot))
        return result


def _delta(after: Counter[str], before: Counter[str]) -> dict[str, int]:
    changed = {k: after[k] - before.get(k, 0) for k in after.keys() | before.keys()}
    return dict(sorted(((k, v) for k, v in changed.items() if v), key=lambda kv: -abs(kv[1])))


def _below_loop(frames: list[tracemalloc.Frame]) -> list[tracemalloc.Frame]:
    """The frames inside the innermost `asyncio/runners.py` one (all, if none)."""
    for index in range(len(frames) - 1, -1, -1):
        if frames[index].filename.endswith("asyncio/runners.py"):
            return frames[index + 1 :]
    return frames


def _attributed(frames: list[tracemalloc.Frame], skip: frozenset[str] = GENERIC) -> int:
    """Index of the innermost frame outside `skip` (the innermost frame if none is)."""
    for index in range(len(frames) - 1, -1, -1):
        if package(frames[index].filename) not in skip:
            return index
    return len(frames) - 1


class _Sites:
    """Bytes, blocks and the commonest call chains per source line."""

    def __init__(self) -> None:
        self.bytes: Counter[str] = Counter()
        self.blocks: Counter[str] = Counter()
        self.chains: dict[str, Counter[str]] = defaultdict(Counter)

    def add(self, key: str, size: int, blocks: int, chain: str) -> None:
        self.bytes[key] += size
        self.blocks[key] += blocks
        if chain:
            self.chains[key][chain] += size

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "site": key,
                "bytes": size,
                "blocks": self.blocks[key],
                "via": self.chains[key].most_common(1)[0][0] if self.chains[key] else "",
                "vias": self.chains[key].most_common(VIAS),
            }
            for key, size in sorted(self.bytes.items(), key=lambda kv: -abs(kv[1]))
            if abs(size) >= MIN_SITE_BYTES
        ]


def _line(frame: tracemalloc.Frame) -> str:
    return f"{short(frame.filename)}:{frame.lineno}"


def _chain(frames: list[tracemalloc.Frame], at: int) -> str:
    """The allocating line (if not `at`) and up to three callers of `at` outside helpers."""
    callers = [_line(f) for f in reversed(frames[:at]) if package(f.filename) not in GENERIC][:3]
    if at != len(frames) - 1:
        callers.insert(0, f"(in {_line(frames[-1])})")
    return " <- ".join(callers)


def attribute(after: tracemalloc.Snapshot, before: tracemalloc.Snapshot) -> dict[str, Any]:
    """The snapshot difference grouped: by package (attributed: nearest frame outside
    generic stdlib helpers; owner: outside asyncio/anyio/pydantic too; inclusive: any
    frame) and by site (the attributed, and the owner, frame's line with its callers)."""
    ignore = [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, __file__)]
    after, before = after.filter_traces(ignore), before.filter_traces(ignore)
    owner: Counter[str] = Counter()
    attributed: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    sites, owner_sites = _Sites(), _Sites()
    total = 0
    for stat in after.compare_to(before, "traceback"):
        size, blocks = stat.size_diff, stat.count_diff
        if not size:
            continue
        total += size
        frames = _below_loop(list(stat.traceback))  # oldest first
        if not frames:
            for table in (owner, attributed, inclusive):
                table[LOOP] += size
            sites.add(LOOP, size, blocks, "")
            owner_sites.add(LOOP, size, blocks, "")
            continue
        at, by = _attributed(frames), _attributed(frames, HELPERS)
        owner[package(frames[by].filename)] += size
        attributed[package(frames[at].filename)] += size
        for name in {package(f.filename) for f in frames}:
            inclusive[name] += size
        sites.add(_line(frames[at]), size, blocks, _chain(frames, at))
        owner_sites.add(_line(frames[by]), size, blocks, _chain(frames, by))
    return {
        "tracemalloc_diff_total": total,
        "by_package_owner": dict(owner.most_common()),
        "by_package_attributed": dict(attributed.most_common()),
        "by_package_inclusive": dict(inclusive.most_common()),
        "top_sites": sites.rows(),
        "owner_sites": owner_sites.rows(),
    }
