"""`python -m bench run [--quick] [...]`: see `bench/__init__.py` and docs/benchmarks.md."""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import replace
from pathlib import Path

from bench.options import Options


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip())


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(part) for part in text.split(",") if part.strip() and float(part) > 0)


def _arms(text: str) -> tuple[str, ...]:
    from bench.specs import parse_arms

    try:
        return parse_arms(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


ARMS_HELP = (
    "several ChatWait servers in one run, one arm each (stream:SPEC), interleaved with "
    "direct and sdk: comma list of SPEC = fast|sdk and/or memory|redis joined by '+', "
    "e.g. fast,sdk or memory,redis or fast,sdk,fast+redis; a part left out follows "
    "--provider-client / --redis-url (redis default: redis://127.0.0.1:6379/0)"
)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the benchmark and write JSON + markdown")
    run.add_argument("--quick", action="store_true", help="concurrency 1,8, 60 tokens, 200 held")
    run.add_argument("--concurrency", type=_ints, help="turns at once, e.g. 1,4,8,16,64")
    run.add_argument("--agents", type=_ints, help="agents per turn, e.g. 1,2")
    run.add_argument("--answer-tokens", type=_ints, help="answer lengths, e.g. 60,200")
    run.add_argument("--tokens-per-second", type=float, help="provider pace (default 50)")
    run.add_argument("--ttft-ms", type=float, help="provider TTFT (default 100)")
    run.add_argument("--samples", type=int, help="TTFT samples per arm aimed for (60 tokens)")
    run.add_argument("--max-rounds", type=int, help="rounds per workload at most")
    run.add_argument("--min-rounds", type=int, help="rounds per workload at least")
    run.add_argument("--holding", type=int, help="streams held at 1 token/s (0 skips)")
    run.add_argument("--persistence-turns", type=int, help="turns per database (0 skips)")
    run.add_argument("--postgres-url", help="admin URL for a throwaway database, or 'none'")
    run.add_argument("--database-url", help="ChatWait's database in load phases (default SQLite)")
    run.add_argument(
        "--open-loop-rates", type=_floats, help="Poisson arrivals, turns/s, e.g. 5,20 (0 skips)"
    )
    run.add_argument("--open-loop-seconds", type=float, help="each arm's period of arrivals")
    run.add_argument("--open-loop-rounds", type=int, help="periods per arm")
    run.add_argument("--provider-client", choices=("fast", "sdk"), help="ChatWait's client")
    run.add_argument("--redis-url", help="ChatWait's REDIS_URL (the replicated event log)")
    run.add_argument("--chatwait-arms", type=_arms, help=ARMS_HELP)
    run.add_argument("--profile", type=Path, help="py-spy ChatWait into this directory")
    run.add_argument("--native", action="store_true", help="with --profile: C frames too")
    run.add_argument("--out", type=Path, help="results JSON (markdown beside it)")
    run.add_argument(
        "--only", help="phases to run, of load,holding,persistence (default: all three)"
    )
    profile = commands.add_parser("profile", help="summarize a py-spy raw profile")
    profile.add_argument("files", type=Path, nargs="+")
    profile.add_argument("--top", type=int, default=15)
    sdk = commands.add_parser("hold-sdk", help="(holding phase) hold N bare-SDK streams")
    sdk.add_argument("base_url")
    sdk.add_argument("streams", type=int)
    sdk.add_argument("--deadline", type=float, default=60.0)
    return root


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    if args.command == "profile":
        from bench.profile import summarize

        print("\n\n".join(summarize(path, args.top) for path in args.files))
        return
    if args.command == "hold-sdk":
        from bench.sdk_hold import main as hold_sdk

        hold_sdk(args.base_url, args.streams, args.deadline)
        return
    from bench.runner import run

    base = Options.quick() if args.quick else Options()
    options = base.with_overrides(
        concurrency=args.concurrency,
        agents=args.agents,
        answer_tokens=args.answer_tokens,
        tokens_per_second=args.tokens_per_second,
        ttft_ms=args.ttft_ms,
        samples=args.samples,
        max_rounds=args.max_rounds,
        min_rounds=args.min_rounds,
        holding=args.holding,
        persistence_turns=args.persistence_turns,
        database_url=args.database_url,
        open_loop_rates=args.open_loop_rates,
        open_loop_seconds=args.open_loop_seconds,
        open_loop_rounds=args.open_loop_rounds,
        provider_client=args.provider_client,
        redis_url=args.redis_url,
        chatwait_arms=args.chatwait_arms,
        profile_dir=args.profile,
        profile_native=args.native or None,
        out=args.out,
    )
    if args.only:
        phases = set(args.only.split(","))
        options = replace(
            options,
            answer_tokens=options.answer_tokens if "load" in phases else (),
            holding=options.holding if "holding" in phases else 0,
            persistence_turns=options.persistence_turns if "persistence" in phases else 0,
        )
    if args.postgres_url is not None:
        url = None if args.postgres_url.lower() == "none" else args.postgres_url
        options = options.with_overrides(postgres_url=url) if url else _no_postgres(options)
    run(options, "uv run python -m bench " + shlex.join(argv))


def _no_postgres(options: Options) -> Options:
    return replace(options, postgres_url=None)


if __name__ == "__main__":
    main()
