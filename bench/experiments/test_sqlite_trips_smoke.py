"""`python -m bench.experiments.sqlite_trips`, small: both ways insert and a table comes out."""

from __future__ import annotations

import asyncio

from bench.experiments.sqlite_trips import measure


def test_sqlite_trips_measures_both_ways() -> None:
    result = asyncio.run(measure(20))
    assert set(result) == {
        "three_trips_wall_us", "three_trips_cpu_us", "one_trip_wall_us", "one_trip_cpu_us"
    }  # fmt: skip
    assert all(value > 0 for value in result.values())
