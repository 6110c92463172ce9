"""Client CPU per streamed token: which HTTP client ChatWait's fast model reads streams with.

`uv run python -m bench.experiments.clients [--rounds 5] [--streams 16] [--tokens 60] [--rate 50]`
starts the offline provider in a process of its own, then, round after round, runs each arm
of `bench/client_arms.py` in a fresh process (interleaved, the order rotated every round, so
drift on a shared machine hits every arm alike). Each arm process reads one warm-up stream,
then `streams` concurrent streams of `tokens` tokens at `rate` tokens/s, and reports its own
CPU time over them divided by the text chunks it received. Prints a markdown table (median,
min, max over rounds) and, with `--out`, writes every sample as JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.experiments.client_arms import ARMS
from bench.procs import sim_server

ARM_TIMEOUT_S = 300.0


def _run_arm(arm: str, base_url: str, streams: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.experiments.client_arms", arm, base_url, str(streams)],
        capture_output=True,
        text=True,
        timeout=ARM_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"arm {arm} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run(
    arms: list[str], *, rounds: int, streams: int, tokens: int, rate: float, ttft_ms: float
) -> list[dict[str, Any]]:
    """Every sample: one per arm per round."""
    samples: list[dict[str, Any]] = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-clients-") as workdir,
        sim_server(
            Path(workdir), ttft_ms=ttft_ms, tokens_per_second=rate, answer_tokens=tokens
        ) as sim,
    ):
        base_url = f"{sim.base_url}/v1"
        for round_index in range(rounds):
            shift = round_index % len(arms)
            for arm in arms[shift:] + arms[:shift]:
                sample = _run_arm(arm, base_url, streams)
                sample["round"] = round_index
                expected = streams * tokens
                if sample["tokens"] != expected:
                    raise RuntimeError(f"{arm} got {sample['tokens']} of {expected} tokens")
                samples.append(sample)
                print(f"round {round_index} {arm}: {sample['cpu_us_per_token']:.1f} µs/token")
    return samples


def table(samples: list[dict[str, Any]], arms: list[str]) -> str:
    """Median, min and max µs of client CPU per token, per arm."""
    lines = [
        "| arm | CPU µs/token median | min | max | rounds |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for arm in arms:
        values = [s["cpu_us_per_token"] for s in samples if s["arm"] == arm]
        if values:
            lines.append(
                f"| {arm} | {statistics.median(values):.0f} | {min(values):.0f} "
                f"| {max(values):.0f} | {len(values)} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.experiments.clients", description=__doc__
    )
    parser.add_argument("--arms", default=",".join(ARMS), help=f"of {','.join(ARMS)}")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--streams", type=int, default=16)
    parser.add_argument("--tokens", type=int, default=60)
    parser.add_argument("--rate", type=float, default=50.0, help="tokens per second")
    parser.add_argument("--ttft-ms", type=float, default=100.0)
    parser.add_argument("--out", type=Path, help="every sample as JSON")
    args = parser.parse_args(argv)
    arms = [a for a in args.arms.split(",") if a]
    samples = run(
        arms,
        rounds=args.rounds,
        streams=args.streams,
        tokens=args.tokens,
        rate=args.rate,
        ttft_ms=args.ttft_ms,
    )
    report = table(samples, arms)
    print(report)
    if args.out:
        settings = vars(args) | {"out": str(args.out)}
        args.out.write_text(json.dumps({"args": settings, "samples": samples}, indent=1))


if __name__ == "__main__":
    main()
