"""The leaderboard over real HTTP: what counts on which board, scopes, and isolation."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.accounts._support import Account, local_app, signed_up

AGENTS = ["offline", "offline-2"]
MISSING = "00000000-0000-4000-8000-00000000abcd"


@dataclass
class World:
    client: httpx.Client
    alice: Account
    bob: Account


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    directory = tmp_path_factory.mktemp("leaderboard")
    with (
        local_app(directory, LEADERBOARD_MIN_BATTLES=2) as (url, _),
        httpx.Client(base_url=url, timeout=60) as client,
    ):
        yield World(client, signed_up(client), signed_up(client))


def _battle(world: World, user: Account, message: str, winner: str, *, blind: bool = True) -> str:
    """A turn of both agents and the user's vote; returns the winning agent ('' for none)."""
    body = {"message": message, "agents": AGENTS, "blind": blind}
    turn = world.client.post("/chat/wait", json=body, headers=user.auth).json()
    if not blind:
        winner = turn["runs"][0]["run_id"]
    response = world.client.post(
        f"/chat/turns/{turn['turn_id']}/vote", json={"winner": winner}, headers=user.auth
    )
    assert response.status_code == 200, response.text
    vote = response.json()
    return next(
        (r["agent"] for r in vote["turn"]["runs"] if r["run_id"] == vote["winner_run_id"]), ""
    )


def _board(world: World, user: Account, **params: str) -> dict:
    response = world.client.get("/leaderboard", params=params, headers=user.auth)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_board_counts_blind_votes_and_each_vote_shows_at_once(world: World) -> None:
    assert _board(world, world.alice)["items"] == []
    wins = Counter(_battle(world, world.alice, f"question {i}", "A") for i in range(4))
    board = _board(world, world.alice)
    assert board["battles"] == 4 and board["board"] == "blind" and board["scope"] == "me"
    rows = {row["agent"]: row for row in board["items"]}
    assert set(rows) == set(AGENTS)
    for agent, row in rows.items():
        assert row["battles"] == 4 and row["wins"] == wins[agent]
        assert row["ci_low"] <= row["rating"] <= row["ci_high"]
        assert row["rank"] is not None and row["median_latency_ms"] > 0
        assert row["model"] in ("offline-1", "offline-2")
    best = max(rows.values(), key=lambda row: row["rating"])
    assert best["wins"] == max(wins.values())
    assert board["items"][0] == best


def test_ties_count_and_open_votes_only_on_the_all_board(world: World) -> None:
    before = _board(world, world.alice)["battles"]
    _battle(world, world.alice, "a tie", "tie")
    _battle(world, world.alice, "open vote", "", blind=False)
    assert _board(world, world.alice)["battles"] == before + 1
    assert _board(world, world.alice, board="all")["battles"] == before + 2


def test_an_answer_that_names_a_vendor_is_kept_but_off_the_blind_board(world: World) -> None:
    before = _board(world, world.alice)["battles"]
    everything = _board(world, world.alice, board="all")["battles"]
    _battle(world, world.alice, "Are you ChatGPT from OpenAI?", "B")  # the sim echoes it
    assert _board(world, world.alice)["battles"] == before
    assert _board(world, world.alice, board="all")["battles"] == everything + 1


def test_scope_me_is_your_votes_and_all_is_everyones(world: World) -> None:
    mine = _board(world, world.alice)["battles"]
    _battle(world, world.bob, "bob's question", "A")
    assert _board(world, world.bob)["battles"] == 1
    assert _board(world, world.alice)["battles"] == mine
    assert _board(world, world.alice, scope="all")["battles"] == mine + 1


def test_since_limits_the_battles(world: World) -> None:
    assert _board(world, world.alice, since="2999-01-01T00:00:00Z")["items"] == []
    assert _board(world, world.alice, since="2000-01-01T00:00:00Z")["battles"] > 0


@pytest.mark.parametrize("params", [{"scope": "everyone"}, {"since": "yesterday"}, {"board": "x"}])
def test_bad_parameters_are_a_422(world: World, params: dict[str, str]) -> None:
    response = world.client.get("/leaderboard", params=params, headers=world.alice.auth)
    assert response.status_code == 422 and "error" in response.json()


@pytest.mark.parametrize(
    ("path", "body"),
    [("/chat/turns/{turn}/vote", {"winner": "A"}), ("/chat/turns/{turn}/reveal", None)],
)
def test_someone_elses_turn_is_a_404_like_a_missing_one(
    world: World, path: str, body: dict[str, str] | None
) -> None:
    turn = world.client.post(
        "/chat/wait",
        json={"message": "alice only", "agents": AGENTS, "blind": True},
        headers=world.alice.auth,
    ).json()
    foreign = world.client.post(
        path.format(turn=turn["turn_id"]), json=body, headers=world.bob.auth
    )
    missing = world.client.post(path.format(turn=MISSING), json=body, headers=world.bob.auth)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["error"]["code"] == missing.json()["error"]["code"]
    after = world.client.get(f"/chat/turns/{turn['turn_id']}", headers=world.alice.auth).json()
    assert after["revealed_at"] is None
    vote = world.client.post(
        f"/chat/turns/{turn['turn_id']}/vote", json={"winner": "A"}, headers=world.alice.auth
    )
    assert vote.status_code == 200


def test_the_leaderboard_needs_a_login(world: World) -> None:
    assert world.client.get("/leaderboard").status_code == 401


def test_each_row_has_a_style_controlled_rating_and_the_board_its_coefficients(
    world: World,
) -> None:
    _battle(world, world.alice, "style question", "A")
    board = _board(world, world.alice)
    assert set(board["style"]) == {"length", "markdown"}
    assert all(isinstance(value, float) for value in board["style"].values())
    assert board["items"]
    for row in board["items"]:
        assert row["style_ci_low"] <= row["style_rating"] <= row["style_ci_high"]
        assert row["style_rank"] is not None
        assert row["ci_low"] <= row["rating"] <= row["ci_high"]  # the plain column stays
