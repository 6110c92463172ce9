"""Votes on a turn's runs, the reveal of a blind turn, and the leaderboard they feed.

A vote names a winner (a slot or a run id), a tie, both bad, or a full ranking; it is
stored with a snapshot of every run and the pairwise battles it implies. Battles whose
runs did not all end `done` are kept but do not count. A blind turn is revealed by its
vote, or by `reveal`, which forfeits the vote.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from chatwait.compare import count_markdown, names_identity
from chatwait.errors import Conflict, NotFound, ValidationFailed
from chatwait.store import Battle, Database, Run, Turn, Vote, repo
from chatwait.store import votes as store
from chatwait.turns import TurnRecord
from chatwait.votes.board import LeaderboardCache
from chatwait.votes.records import VoteResult

VERDICTS = ("tie", "both_bad")


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _label(run: Run) -> str:
    return f"slot {run.slot}" if run.slot else f"run {run.id} ({run.agent})"


def _find(runs: Sequence[Run], name: str) -> Run:
    """The run a slot label or a run id names."""
    for run in runs:
        if name == run.id or (run.slot is not None and name.upper() == run.slot):
            return run
    raise ValidationFailed(
        f"{name[:60]!r} names no run of this turn: give a slot, a run id, 'tie' or 'both_bad'"
    )


def _names_identity(run: Run) -> bool:
    """Whether the run's answer or its shown reasoning names a model family or vendor."""
    return names_identity(run.output) or names_identity(run.reasoning or "")


def _snapshot(run: Run) -> dict[str, Any]:
    return {
        "run_id": run.id,
        "slot": run.slot,
        "position": run.position,
        "agent": run.agent,
        "provider": run.provider,
        "model": run.model,
        "status": run.status,
        "length": len(run.output),
        "markdown": count_markdown(run.output),
        "latency_ms": run.latency_ms,
        "ttft_ms": run.ttft_ms,
        "input_tokens": run.input_tokens,
        "output_tokens": run.output_tokens,
        "cost_usd": run.cost_usd,
    }


def _pairs(
    runs: Sequence[Run], winner: str | None, ranking: list[str] | None
) -> tuple[str, Run | None, list[Run] | None, list[tuple[Run, Run, str]]]:
    """(kind, winning run, ranked runs, battles as (a, b, outcome)) of a vote's body."""
    ordered = sorted(runs, key=lambda r: (r.slot or "", r.position))
    if ranking is not None:
        ranked = [_find(runs, name) for name in ranking]
        if len({r.id for r in ranked}) != len(ranked) or len(ranked) != len(runs):
            raise ValidationFailed("a ranking names every run of the turn once, best first")
        return (
            "ranking",
            None,
            ranked,
            list((a, b, "a") for a, b in itertools.combinations(ranked, 2)),
        )
    assert winner is not None
    if winner in VERDICTS:
        return winner, None, None, [(a, b, winner) for a, b in itertools.combinations(ordered, 2)]
    best = _find(runs, winner)
    return "winner", best, None, [(best, other, "a") for other in ordered if other is not best]


def _contestant(run: Run) -> str:
    """The name a run battles under: its agent, or `fusion:<strategy>:<agent>` for a fused
    run (a fusion is rated apart from the agent that wrote it)."""
    if run.fusion:
        return f"fusion:{run.fusion.get('strategy', 'merge')}:{run.agent}"[:64]
    return run.agent


def _battle(vote: Vote, a: Run, b: Run, outcome: str, now: datetime) -> Battle:
    return Battle(
        id=repo.new_id(),
        vote_id=vote.id,
        user_id=vote.user_id,
        outcome=outcome,
        blind=vote.blind,
        counted=vote.counted,
        identity=vote.identity,
        run_a=a.id,
        agent_a=_contestant(a),
        model_a=a.model,
        ttft_a=a.ttft_ms,
        latency_a=a.latency_ms,
        cost_a=a.cost_usd,
        length_a=len(a.output),
        markdown_a=count_markdown(a.output),
        run_b=b.id,
        agent_b=_contestant(b),
        model_b=b.model,
        ttft_b=b.ttft_ms,
        latency_b=b.latency_ms,
        cost_b=b.cost_usd,
        length_b=len(b.output),
        markdown_b=count_markdown(b.output),
        created_at=now,
    )


class VoteService:
    """Votes and reveals, each for the user who owns the turn."""

    def __init__(self, *, db: Database, board: LeaderboardCache) -> None:
        self.db = db
        self.board = board

    async def _turn(self, session: Any, user_id: str, turn_id: str) -> Turn:
        turn = await repo.get_turn(session=session, user_id=user_id, turn_id=turn_id)
        if turn is None:
            raise NotFound(f"turn {turn_id} does not exist")
        if turn.status == "running":
            raise Conflict(
                f"turn {turn_id} is still running: vote once every slot has ended",
                code="turn_running",
            )
        return turn

    async def vote(
        self, turn_id: str, *, user_id: str, winner: str | None, ranking: list[str] | None
    ) -> VoteResult:
        """Store the user's one vote on their ended turn (409 for a second, or after a
        reveal); a blind turn is revealed by it."""
        if (winner is None) == (ranking is None):
            raise ValidationFailed("give either 'winner' or 'ranking'")
        now = datetime.now(UTC)
        async with self.db.session() as session:
            turn = await self._turn(session, user_id, turn_id)
            if await store.get_vote(session=session, user_id=user_id, turn_id=turn_id):
                raise Conflict(f"turn {turn_id} already has your vote", code="already_voted")
            if turn.blind and turn.revealed_at is not None:
                raise Conflict(
                    f"turn {turn_id} was revealed before a vote: its vote was forfeited",
                    code="vote_forfeited",
                )
            if len(turn.runs) < 2:
                raise Conflict(f"turn {turn_id} has one run: there is nothing to compare")
            kind, best, ranked, pairs = _pairs(turn.runs, winner, ranking)
            unfinished = [run for run in turn.runs if run.status != "done"]
            reason = None
            if unfinished:
                reason = "; ".join(f"{_label(r)} ended {r.status}" for r in unfinished)
                reason += ": the battle does not count"
            finished = _aware(turn.finished_at)
            vote = Vote(
                id=repo.new_id(),
                turn_id=turn.id,
                user_id=user_id,
                kind=kind,
                winner_run_id=best.id if best else None,
                ranking=[r.id for r in ranked] if ranked else None,
                blind=turn.blind,
                counted=not unfinished,
                reason=reason,
                identity=turn.blind and any(_names_identity(r) for r in turn.runs),
                time_to_vote_ms=(now - finished).total_seconds() * 1000 if finished else None,
                snapshot=[_snapshot(run) for run in turn.runs],
                created_at=now,
            )
            if turn.blind:
                turn.revealed_at = now
            try:
                await store.add_vote(
                    session=session,
                    vote=vote,
                    battles=[_battle(vote, a, b, outcome, now) for a, b, outcome in pairs],
                )
            except IntegrityError:
                raise Conflict(
                    f"turn {turn_id} already has your vote", code="already_voted"
                ) from None
            record = TurnRecord.from_row(turn)
        self.board.clear()
        return VoteResult(
            vote_id=vote.id,
            turn_id=turn_id,
            kind=kind,
            winner_run_id=vote.winner_run_id,
            ranking=vote.ranking,
            blind=vote.blind,
            battles=len(pairs),
            counted=vote.counted,
            reason=reason,
            identity=vote.identity,
            time_to_vote_ms=vote.time_to_vote_ms,
            turn=record,
        )

    async def reveal(self, turn_id: str, *, user_id: str) -> TurnRecord:
        """Name a blind turn's runs without a vote (the vote is forfeited)."""
        async with self.db.session() as session:
            turn = await self._turn(session, user_id, turn_id)
            if not turn.blind:
                raise Conflict(f"turn {turn_id} is not blind", code="not_blind")
            if turn.revealed_at is None:
                turn.revealed_at = datetime.now(UTC)
                await session.flush()
            return TurnRecord.from_row(turn)
