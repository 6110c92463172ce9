"""What a benchmark run measures: workloads, provider pace, phases, outputs."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

from bench.workloads import Workload

DEFAULT_OUT = Path("bench/results/latest.json")
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class Options:
    """Every knob of `python -m bench run`; `quick()` is the 1-2 minute variant."""

    concurrency: tuple[int, ...] = (1, 4, 8, 16, 64)
    agents: tuple[int, ...] = (1, 2)
    answer_tokens: tuple[int, ...] = (60, 200)
    tokens_per_second: float = 50.0
    ttft_ms: float = 100.0
    samples: int = 24
    """TTFT samples per arm aimed for at 60-token answers (fewer for longer ones)."""
    min_rounds: int = 2
    """Rounds per workload at least, for answers up to 60 tokens (longer ones: 1)."""
    max_rounds: int = 30
    wait_every: int = 2
    """`/chat/wait` joins every this many rounds (it adds latency figures, not TTFT)."""
    holding: int = 1000
    """Streams held open at 1 token/s in the capacity phase; 0 skips it."""
    holding_probes: int = 10
    persistence_turns: int = 30
    """Turns per database and agent count in the persistence phase; 0 skips it."""
    postgres_url: str | None = POSTGRES_ADMIN_URL
    """Admin URL used to create a throwaway database; None skips Postgres."""
    database_url: str = ""
    """ChatWait's database in the load phases; empty = its SQLite default."""
    open_loop_rates: tuple[float, ...] = (5.0, 20.0)
    """Poisson arrival rates (turns/s) of the open-loop workloads; empty skips them."""
    open_loop_seconds: float = 10.0
    """How long each arm's period of arrivals lasts."""
    open_loop_rounds: int = 2
    provider_client: str = ""
    """ChatWait's PROVIDER_CLIENT (`fast` or `sdk`); empty = its default."""
    redis_url: str = ""
    """ChatWait's REDIS_URL (the replicated event log); empty = the memory log."""
    chatwait_arms: tuple[str, ...] = ()
    """One ChatWait server and arm (`stream:<spec>`) per spec, e.g. ("fast", "sdk"); empty =
    one server, arm `stream` (see `bench/specs.py`)."""
    out: Path = DEFAULT_OUT
    profile_dir: Path | None = None
    """When set, py-spy samples ChatWait in every load phase (slows it: not for figures)."""
    profile_native: bool = False
    """py-spy also samples C frames (uvloop, syscalls): slower still, shows the loop's time."""

    @classmethod
    def quick(cls) -> Options:
        return cls(
            concurrency=(1, 8),
            answer_tokens=(60,),
            samples=10,
            min_rounds=2,
            max_rounds=10,
            holding=200,
            holding_probes=5,
            persistence_turns=10,
            open_loop_rates=(5.0,),
            open_loop_seconds=4.0,
            open_loop_rounds=1,
        )

    def with_overrides(self, **changes: object) -> Options:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def rounds(self, concurrency: int, agents: int, answer_tokens: int) -> int:
        target = self.samples * min(1.0, 60 / answer_tokens)
        rounds = math.ceil(target / (concurrency * agents))
        floor = self.min_rounds if answer_tokens <= 60 else 1
        return max(floor, min(self.max_rounds, rounds))

    def workloads(self, answer_tokens: int) -> list[Workload]:
        return [
            Workload(c, a, answer_tokens, self.rounds(c, a, answer_tokens))
            for c in self.concurrency
            for a in self.agents
        ]
