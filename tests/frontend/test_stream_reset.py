"""A turn whose process died is renumbered: the UI reads it again from the start."""

from __future__ import annotations

import asyncio
from pathlib import Path

from chatwait_ui.api import ApiClient
from chatwait_ui.stream import follow_turn
from chatwait_ui.turn_view import TurnEvent, TurnView
from tests.support.app import running_app
from tests.support.databases import throwaway_database
from tests.support.seed import seed_running_turn

PERSISTED = "Half an answer that survived the crash"


def test_follower_restarts_a_renumbered_turn(tmp_path: Path) -> None:
    with throwaway_database(tmp_path) as url:
        turn_id, run_id = asyncio.run(seed_running_turn(url, output=PERSISTED))
        with running_app(tmp_path, DATABASE_URL=url) as (base_url, _):
            view = TurnView("streaming")
            for seq, kind, data in [
                (
                    1,
                    "turn_started",
                    {
                        "turn_id": turn_id,
                        "conversation_id": "c",
                        "runs": [
                            {
                                "run_id": run_id,
                                "agent": "offline",
                                "provider": "offline",
                                "model": "offline-1",
                            }
                        ],
                    },
                ),
                (2, "run_started", {"run_id": run_id}),
                (3, "delta", {"run_id": run_id, "index": 0, "text": "Half "}),
                (4, "delta", {"run_id": run_id, "index": 1, "text": "an "}),
            ]:
                view.apply(TurnEvent(seq, kind, data))

            async def follow() -> list[str]:
                api = ApiClient(base_url)
                try:
                    return [event.type async for event in follow_turn(api, view)]
                finally:
                    await api.aclose()

            seen = asyncio.run(follow())
            assert seen[-1] == "turn_done"
            pane = view.panes[run_id]
            assert pane.text == PERSISTED, "the old numbering's chunks were dropped, not mixed"
            assert pane.status == "interrupted"
