"""Fuse an ended turn's answers: a new run whose input is the other runs' final outputs.

Mixture-of-Agents style (Wang et al., 2024, "aggregate and synthesize"): the answers are
shuffled, numbered without names, and given to the fusing agent under a strategy prompt
as a system message, followed by the agent's own history and the user's message. The
order it read them is stored (`FusionInfo.sources`). It streams and resumes like any run
added to a turn (`turns/extend.py`); the runs it read are never touched, and its cost is
its own call only. In a blind turn the fused run takes the next slot, so it enters the
battle and the vote without a name.
"""

from __future__ import annotations

import random
import string
from typing import TYPE_CHECKING, Literal

from openai.types.responses import EasyInputMessageParam
from pydantic import BaseModel, Field

from chatwait.errors import Conflict, ValidationFailed
from chatwait.store import Run, repo
from chatwait.turns.extend import reopened_turn, require_ended, start_added_run, users_turn
from chatwait.turns.live_run import LiveRun
from chatwait.turns.records import FusionInfo

if TYPE_CHECKING:
    from chatwait.turns.service import TurnService

Strategy = Literal["merge", "critique", "custom"]

PROMPT_MAX_CHARS = 8_000

STRATEGY_PROMPTS: dict[str, str] = {
    "merge": (
        "You have been provided with a set of responses from various models to the latest "
        "user query. Your task is to synthesize these responses into a single, high-quality "
        "response. Critically evaluate the information provided in these responses, "
        "recognizing that some of it may be biased or incorrect. Do not simply replicate the "
        "given answers: offer a refined, accurate and comprehensive reply to the query."
    ),
    "critique": (
        "You have been provided with a set of responses from various models to the latest "
        "user query. First critique each response briefly: its errors, omissions and "
        "unsupported claims. Then write the best possible answer to the query, correcting "
        "what you found."
    ),
}


class FuseRequest(BaseModel):
    """`POST /chat/turns/{id}/fuse`."""

    agent: str = Field(min_length=1, max_length=200, description="The agent that fuses.")
    strategy: Strategy = "merge"
    prompt: str | None = Field(
        None,
        max_length=PROMPT_MAX_CHARS,
        description="The instructions of strategy `custom` (required there, refused elsewhere).",
    )
    model: str | None = Field(None, max_length=200, description="One of the agent's models.")


class FusionStarted(BaseModel):
    turn_id: str
    run_id: str
    fusion: FusionInfo
    after: int
    """The seq of the turn's last event before the new run: resume after it."""


def fusion_prompt(fusion: FusionInfo, outputs: list[str]) -> str:
    """The system message: the strategy's instructions, then the numbered answers."""
    instructions = (
        fusion.prompt if fusion.strategy == "custom" else STRATEGY_PROMPTS[fusion.strategy]
    )
    answers = "\n\n".join(f"Response {n}:\n{text}" for n, text in enumerate(outputs, 1))
    return f"{instructions}\n\nResponses from models:\n\n{answers}"


def _sources(runs: list[Run], seed: int) -> list[Run]:
    """The answers to fuse: every run that ended `done` with text, fusions aside,
    in a random order."""
    chosen = [run for run in runs if run.status == "done" and run.output and not run.fusion]
    random.Random(seed).shuffle(chosen)
    return chosen


def _shuffle_seed() -> int:
    return random.SystemRandom().randrange(2**31)


def _checked(request: FuseRequest) -> str | None:
    prompt = request.prompt.strip() if request.prompt else None
    if request.strategy == "custom" and not prompt:
        raise ValidationFailed("strategy 'custom' needs a 'prompt'")
    if request.strategy != "custom" and request.prompt is not None:
        raise ValidationFailed(f"'prompt' is for strategy 'custom', not {request.strategy!r}")
    return prompt


async def fuse_turn(
    service: TurnService, turn_id: str, request: FuseRequest, *, user_id: str
) -> FusionStarted:
    """Start a fused run in the user's ended turn.

    404 for someone else's or a missing turn; 409 while it runs or with no finished
    answer to fuse; the agent is resolved from the user's catalog like any turn's.
    """
    prompt = _checked(request)
    async with service.db.session() as session:
        turn = await users_turn(session, user_id=user_id, turn_id=turn_id)
        require_ended(turn, "fuse its answers")
        sources = [(r.id, r.output) for r in _sources(list(turn.runs), _shuffle_seed())]
        if not sources:
            raise Conflict(f"turn {turn_id} has no finished answer to fuse", code="nothing_to_fuse")
        position = len(turn.runs)
        if turn.blind and position >= len(string.ascii_uppercase):
            raise Conflict(f"turn {turn_id} has no slot left for another run")
        slot = string.ascii_uppercase[position] if turn.blind else None
        live, history = await reopened_turn(
            service, session, turn, user_id=user_id, agent=request.agent
        )
        message = turn.message
    models = {request.agent: request.model} if request.model else {}
    (agent,) = await service.catalog.resolve_many(user_id, [request.agent], models, max_agents=1)
    fusion = FusionInfo(
        strategy=request.strategy, sources=[id_ for id_, _ in sources], prompt=prompt
    )
    system = EasyInputMessageParam(
        role="system", content=fusion_prompt(fusion, [text for _, text in sources])
    )
    items = [system, *service.input_for(history, message)]
    run = LiveRun(repo.new_id(), agent, items, live, service.clock, slot=slot)
    run.fusion = fusion
    await start_added_run(service, run, position=position, fusion=fusion.model_dump(mode="json"))
    after = len(live.transcript)
    return FusionStarted(turn_id=turn_id, run_id=run.run_id, fusion=fusion, after=after)
