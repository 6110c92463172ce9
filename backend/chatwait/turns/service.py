"""Run turns: validate, persist, fan out to concurrent runs, finalize.

A turn is owned by this process from `start` until its `turn_done` is logged and its row
is final. Runs live in tasks the service holds, never in an HTTP handler, so a client
that disconnects changes nothing; `cancel` and `shutdown` are the only ways to stop them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from chatwait.config import Settings
from chatwait.errors import Conflict, NotFound
from chatwait.event_log import TurnEventLog
from chatwait.providers import ProviderRegistry, ResolvedAgent
from chatwait.store import Database, repo
from chatwait.store.repo import NewRun, RunResult
from chatwait.turns.events import Delta, RunDone, RunError, RunStarted, TurnDone, TurnStarted
from chatwait.turns.history import build_input
from chatwait.turns.live import LiveTurn
from chatwait.turns.run import execute_run
from chatwait.turns.validation import check_text

logger = logging.getLogger("chatwait.turns")


@dataclass(frozen=True, slots=True)
class TurnRequest:
    message: str
    conversation_id: str | None = None
    agents: list[str] | None = None
    models: dict[str, str] | None = None


DISPATCH_WAIT_SECONDS = 1.0
"""At most this long a turn's write waits for its runs' provider requests to go out."""


@dataclass(frozen=True, slots=True)
class PlannedRun:
    run_id: str
    resolved: ResolvedAgent
    items: list[dict[str, object]]
    dispatched: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once the run's first provider request has gone out, or the run has ended."""


@dataclass(frozen=True, slots=True)
class EndedRun:
    """A run that has ended: its result and the event that tells clients so."""

    run_id: str
    result: RunResult
    event: RunDone | RunError


async def _until_dispatched(planned: list[PlannedRun]) -> None:
    """Until every run has sent its provider request or ended (`DISPATCH_WAIT_SECONDS` at most)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(DISPATCH_WAIT_SECONDS):
            for run in planned:
                await run.dispatched.wait()


def run_public(
    run_id: str, resolved_agent: str, provider: str, model: str, result: RunResult
) -> dict[str, object]:
    """A finished run as clients see it (the `/chat/wait` run object)."""
    error = None
    if result.error_code:
        error = {
            "code": result.error_code,
            "message": result.error_message,
            "retryable": result.error_retryable,
        }
    return {
        "run_id": run_id,
        "agent": resolved_agent,
        "provider": provider,
        "model": model,
        "status": result.status,
        "output": result.output,
        "error": error,
        "usage": {"input_tokens": result.input_tokens, "output_tokens": result.output_tokens},
        "cost_usd": result.cost_usd,
        "latency_ms": result.latency_ms,
        "ttft_ms": result.ttft_ms,
        "attempts": result.attempts,
    }


class TurnService:
    """Starts turns and owns every run until it ends."""

    def __init__(
        self,
        *,
        settings: Settings,
        db: Database,
        registry: ProviderRegistry,
        event_log: TurnEventLog,
        owner: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.db = db
        self.registry = registry
        self.event_log = event_log
        self.owner = owner
        self.clock = clock
        self.live: dict[str, LiveTurn] = {}
        self._finalizers: set[asyncio.Task[None]] = set()
        self._user_id: str | None = None
        self.unpublished: dict[str, LiveTurn] = {}
        """Ended turns the event log missed (it was unreachable); `republish` retries."""
        self.remote_cancel: Callable[[str], Awaitable[None]] | None = None
        """Set when turns may run on other replicas: asks the owner to cancel."""

    async def start(self, request: TurnRequest) -> LiveTurn:
        """Validate, start the runs, persist the turn, then emit `turn_started`.

        The turn's rows are written once every run has sent its provider request (or
        ended, or after `DISPATCH_WAIT_SECONDS`): neither the database's time nor the
        CPU its write takes on this event loop lands on the time to first token, and the
        write overlaps the provider's own (docs/benchmarks.md). A follow-up turn reads its
        history first, in a session of its own. The runs emit nothing until
        `turn_started` is logged; if the write fails they are cancelled unseen.
        """
        message = check_text(
            request.message, field="message", limit=self.settings.max_message_chars
        )
        resolved = self.registry.resolve_many(
            request.agents, request.models or {}, max_agents=self.settings.max_agents_per_turn
        )
        histories: list[list[tuple[str, str | None]]] = [[] for _ in resolved]
        if request.conversation_id is not None:
            async with self.db.session() as session:
                conversation = await self._conversation(session, request.conversation_id, message)
                histories = [await self._history(session, conversation.id, a) for a in resolved]
        planned = [
            PlannedRun(repo.new_id(), agent, self._input(history, message))
            for agent, history in zip(resolved, histories, strict=True)
        ]
        turn_id, opened = repo.new_id(), asyncio.Event()
        live, finalizer = self._begin(turn_id, planned, opened)
        try:
            await _until_dispatched(planned)
            async with self.db.session() as session:
                conversation = await self._conversation(session, request.conversation_id, message)
                live.conversation_id = conversation.id
                await repo.create_turn(
                    session=session,
                    conversation=conversation,
                    turn_id=turn_id,
                    message=message,
                    owner=self.owner,
                    runs=[_new_run(p) for p in planned],
                )
        except BaseException:
            self.live.pop(turn_id, None)
            finalizer.cancel()
            raise
        self._user_id = conversation.user_id  # committed: safe to reuse
        await live.emit(TurnStarted(turn_id, live.conversation_id, [_run_ref(p) for p in planned]))
        opened.set()
        return live

    async def _history(
        self, session: Any, conversation_id: str, agent: ResolvedAgent
    ) -> list[tuple[str, str | None]]:
        return await repo.agent_history(
            session=session,
            conversation_id=conversation_id,
            agent=agent.spec.name,
            limit=self.settings.history_max_messages,
        )

    def _input(
        self, history: list[tuple[str, str | None]], message: str
    ) -> list[dict[str, object]]:
        """A run's input: this agent's history in the conversation, then the message."""
        return build_input(
            history,
            message,
            max_messages=self.settings.history_max_messages,
            max_tokens=self.settings.history_max_tokens,
        )

    def _begin(
        self, turn_id: str, planned: list[PlannedRun], opened: asyncio.Event
    ) -> tuple[LiveTurn, asyncio.Task[None]]:
        """Start the turn's runs now; they emit once `opened` is set."""
        live = LiveTurn(turn_id, "", self.event_log)
        self.live[turn_id] = live
        finalizer = asyncio.create_task(self._drive(live, planned, opened), name=f"turn-{turn_id}")
        self._finalizers.add(finalizer)
        finalizer.add_done_callback(self._finalizers.discard)
        return live, finalizer

    async def _conversation(self, session, conversation_id: str | None, message: str):  # type: ignore[no-untyped-def]
        if conversation_id is None:
            # The local user never changes: one SELECT per process, not one per turn.
            user_id = self._user_id or await repo.ensure_user(session=session)
            return await repo.create_conversation(
                session=session, user_id=user_id, title=repo.make_title(message)
            )
        conversation = await repo.get_conversation(session=session, conversation_id=conversation_id)
        if conversation is None:
            raise NotFound(f"conversation {conversation_id} does not exist")
        return conversation

    async def _drive(
        self, live: LiveTurn, planned: list[PlannedRun], opened: asyncio.Event
    ) -> None:
        """Run every agent concurrently, then end the turn; never raises.

        The run that ends last is stored in the turn's own final transaction (one commit
        fewer per turn), so its `run_done` is published with `turn_done`, once both rows
        are final.
        """
        try:
            live.runs_going = len(planned)
            ended = await asyncio.gather(*(self._run(live, p, opened) for p in planned))
            last = next((run for run in ended if run is not None), None)
            if last is not None:
                await live.emit(last.event, publish=False)
            status = live.cancel_status or "done"
            await live.emit(TurnDone(live.turn_id, status), publish=False)
            try:
                async with self.db.session() as session:
                    if last is not None:
                        await repo.finish_run(
                            session=session, run_id=last.run_id, result=last.result
                        )
                    await repo.finish_turn(
                        session=session,
                        turn_id=live.turn_id,
                        status=status,
                        transcript=live.transcript_text(),
                    )
            finally:
                if not await live.close_log():
                    self.unpublished[live.turn_id] = live
        except Exception:
            logger.exception("turn %s could not be finalized", live.turn_id)
        finally:
            self.live.pop(live.turn_id, None)
            live.finished.set()

    async def _run(
        self, live: LiveTurn, planned: PlannedRun, opened: asyncio.Event
    ) -> EndedRun | None:
        """One run: its provider request goes out at once, its events wait for `opened`.

        The last of the turn's runs to end is returned unstored, for `_drive` to store
        with the turn.
        """
        run_id, resolved = planned.run_id, planned.resolved
        # Deltas that came before `run_started` was logged: kept, never waited for (a run
        # blocked here would lose what the SDK had buffered if the stream then broke).
        early: list[Delta] | None = []

        async def emit_delta(index: int, text: str, keep: Callable[[], None]) -> None:
            if early is not None:
                early.append(Delta(run_id, index, text))
                keep()
            else:
                await live.emit(Delta(run_id, index, text), on_numbered=keep)

        execution = asyncio.ensure_future(
            execute_run(
                resolved,
                planned.items,
                instructions=self.settings.system_prompt,
                tracing=self.settings.tracing_enabled,
                time_limit=self.settings.run_timeout_seconds,
                emit_delta=emit_delta,
                register=lambda task: live.tasks.__setitem__(run_id, task),
                cancel_status=lambda: live.cancel_status,
                clock=self.clock,
                on_dispatched=planned.dispatched.set,
            )
        )
        execution.add_done_callback(lambda _: planned.dispatched.set())
        try:
            await opened.wait()
        except BaseException:
            execution.cancel()
            raise
        await live.emit(RunStarted(run_id))
        sent = 0
        while sent < len(early):  # more may arrive while these are emitted
            await live.emit(early[sent])
            sent += 1
        early = None
        result = await execution
        live.tasks.pop(run_id, None)
        public = run_public(
            run_id, resolved.spec.name, resolved.provider.name, resolved.model, result
        )
        public.pop("output")
        ended = EndedRun(
            run_id, result, RunDone(public) if result.status == "done" else RunError(public)
        )
        live.runs_going -= 1
        if not live.runs_going:
            return ended
        try:
            async with self.db.session() as session:
                await repo.finish_run(session=session, run_id=run_id, result=result)
        except Exception:
            logger.exception("run %s: could not persist its result", run_id)
        await live.emit(ended.event)
        return None

    async def cancel(self, turn_id: str, *, status: str = "cancelled") -> bool:
        """Cancel the runs of a live turn of this process; False if it is not live here."""
        live = self.live.get(turn_id)
        if live is None:
            return False
        live.cancel_status = live.cancel_status or status
        for task in list(live.tasks.values()):
            task.cancel()
        return True

    async def request_cancel(self, turn_id: str) -> str:
        """Cancel a turn by id: 404 unknown, 409 already ended, else `cancelling`."""
        if await self.cancel(turn_id):
            return "cancelling"
        async with self.db.session() as session:
            turn = await repo.get_turn(session=session, turn_id=turn_id)
        if turn is None:
            raise NotFound(f"turn {turn_id} does not exist")
        if turn.status != "running":
            raise Conflict(f"turn {turn_id} already ended with status {turn.status!r}")
        if self.remote_cancel is not None:
            await self.remote_cancel(turn_id)
            return "cancelling"
        raise Conflict(f"turn {turn_id} is running in another process that cannot be reached")

    async def republish(self) -> None:
        """Publish ended turns the log missed, so its readers get their `turn_done`."""
        for turn_id, live in list(self.unpublished.items()):
            if await live.close_log():
                self.unpublished.pop(turn_id, None)

    async def wait(self, live: LiveTurn) -> None:
        """Until the turn is final; a cancelled waiter (client gone) leaves the turn alone."""
        await live.finished.wait()

    async def shutdown(self, grace: float) -> None:
        """Let runs finish for `grace` seconds, then end the rest `interrupted`."""
        pending = {live.finished for live in self.live.values()}
        if pending:
            waiters = [asyncio.create_task(event.wait()) for event in pending]
            _, late = await asyncio.wait(waiters, timeout=grace)
            for task in late:
                task.cancel()
        for turn_id in list(self.live):
            await self.cancel(turn_id, status="interrupted")
        if self._finalizers:
            await asyncio.wait(set(self._finalizers), timeout=max(grace, 5.0))


def _new_run(p: PlannedRun) -> NewRun:
    return NewRun(p.run_id, p.resolved.spec.name, p.resolved.provider.name, p.resolved.model)


def _run_ref(planned: PlannedRun) -> dict[str, str]:
    return {
        "run_id": planned.run_id,
        "agent": planned.resolved.spec.name,
        "provider": planned.resolved.provider.name,
        "model": planned.resolved.model,
    }
