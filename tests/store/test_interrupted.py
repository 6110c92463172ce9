"""A process that died left runs `running`: the next start marks them `interrupted`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from tests.support.app import running_app
from tests.support.databases import throwaway_database
from tests.support.seed import seed_running_turn


def test_runs_of_a_dead_process_become_interrupted(tmp_path: Path) -> None:
    with throwaway_database(tmp_path) as url:
        turn_id, _run_id = asyncio.run(seed_running_turn(url))
        with (
            running_app(tmp_path, DATABASE_URL=url) as (base_url, _),
            httpx.Client(base_url=base_url) as client,
        ):
            turn = client.get(f"/chat/turns/{turn_id}").json()
            assert turn["status"] == "interrupted"
            assert turn["runs"][0]["status"] == "interrupted"
            assert turn["runs"][0]["error"]["code"] == "interrupted"
            replay = client.get(f"/chat/streaming/{turn_id}")
            kinds = [line[7:] for line in replay.text.splitlines() if line.startswith("event: ")]
            assert kinds == ["turn_started", "run_started", "run_error", "turn_done"]
