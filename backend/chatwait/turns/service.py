"""Run turns: validate, start the runs, persist, finalize.

A turn is owned by this process from `start` until its `turn_done` is logged and its row
is final. Runs live in tasks the service holds, never in an HTTP handler, so a client
that disconnects changes nothing; `cancel` and `shutdown` are the only ways to stop them.

    start ─▶ LiveTurn + one LiveRun per agent ─▶ _drive ─▶ _follow(run) × N ─▶ _finish
              (requests go out at once)          (gather)   (start_run ...      (last run
                                                             complete_run,       + turn row)
                                                             store, emit)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from agents import TResponseInputItem
from sqlalchemy.ext.asyncio import AsyncSession

from chatwait.catalog import AgentCatalog
from chatwait.config import Settings
from chatwait.errors import Conflict, NotFound, ValidationFailed
from chatwait.event_log import TurnEventLog
from chatwait.limits import LimitExceeded, Limits
from chatwait.metrics import Metrics
from chatwait.providers import ProviderRegistry, ResolvedAgent
from chatwait.statuses import EndStatus
from chatwait.store import Conversation, Database, repo, turn_rows
from chatwait.turns.blind import MAX_SLOTS, assign_slots, new_seed
from chatwait.turns.events import TurnDone, terminal_event
from chatwait.turns.history import build_input
from chatwait.turns.idempotency import IdempotencyKeys, KeyedStart
from chatwait.turns.live import LiveTurn
from chatwait.turns.live_run import LiveRun
from chatwait.turns.quota import estimate, used
from chatwait.turns.reader import TurnReader
from chatwait.turns.records import RunRecord, StartedTurn, TurnRequest
from chatwait.turns.run import RunOptions, abandon_run, complete_run, start_run
from chatwait.turns.validation import check_text

logger = logging.getLogger("chatwait.turns")

DISPATCH_WAIT_SECONDS = 1.0
"""At most this long a turn's write waits for its runs' provider requests to go out."""


async def _until_dispatched(runs: list[LiveRun]) -> None:
    """Until every run has sent its provider request or ended (`DISPATCH_WAIT_SECONDS` at most)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(DISPATCH_WAIT_SECONDS):
            for run in runs:
                await run.dispatched.wait()


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
        limits: Limits | None = None,
        catalog: AgentCatalog | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.registry = registry
        self.catalog = catalog or AgentCatalog(registry)
        """Resolves each user's agents: admin toggles and their own provider keys."""
        self.metrics = metrics or Metrics()
        self.event_log = event_log
        self.owner = owner
        self.clock = clock
        self.limits = limits
        """Admits each new turn (429 before anything exists) and settles its runs."""
        self.options = RunOptions(
            instructions=settings.system_prompt,
            tracing=settings.tracing_enabled,
            time_limit=settings.run_timeout_seconds,
            max_tool_rounds=settings.max_tool_rounds,
            output_max_bytes=settings.tool_output_max_bytes,
        )
        self.keys = IdempotencyKeys(ttl_seconds=settings.idempotency_key_hours * 3600)
        self.reader = TurnReader(event_log=event_log, db=db)
        self.live: dict[str, LiveTurn] = {}
        self._drivers: set[asyncio.Task[None]] = set()
        self.unpublished: dict[str, LiveTurn] = {}
        """Ended turns the event log missed (it was unreachable); `republish` retries."""
        self.remote_cancel: Callable[[str], Awaitable[None]] | None = None
        """Set when turns may run on other replicas: asks the owner to cancel."""

    async def start(
        self, request: TurnRequest, *, user_id: str, idempotency_key: str | None = None
    ) -> StartedTurn:
        """Start a turn for `user_id`, or attach to the one an earlier request of theirs
        with the same key started.

        A key already remembered (in the database, or being started by this process)
        answers with that turn; the same key with a different request is refused. Two
        replicas racing on one key both start, and the one whose write loses cancels its
        runs unseen and attaches to the winner's turn. Keys are the user's own: the same
        key from someone else names another turn.
        """
        if idempotency_key is None:
            turn = await self._start(request, user_id, None)
            return StartedTurn(turn.turn_id, turn)
        keyed = KeyedStart(user_id, idempotency_key, request.fingerprint())
        return await self.keys.start_once(
            keyed, self.db, lambda: self._start(request, user_id, keyed), self.live.get
        )

    async def _start(
        self, request: TurnRequest, user_id: str, keyed: KeyedStart | None
    ) -> LiveTurn:
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
        agents = await self.catalog.resolve_many(
            user_id,
            request.agents,
            request.models or {},
            max_agents=self.settings.max_agents_per_turn,
        )
        seed: int | None = None
        slots: list[str | None] = [None] * len(agents)
        if request.blind:
            if not 2 <= len(agents) <= MAX_SLOTS:
                raise ValidationFailed(
                    f"a blind turn needs 2 to {MAX_SLOTS} agents, got {len(agents)}"
                )
            seed = new_seed()
            slots = list(assign_slots(len(agents), seed))
        histories: list[list[tuple[str, str | None]]] = [[] for _ in agents]
        if request.conversation_id is not None:
            async with self.db.session() as session:
                await self._conversation(session, user_id, request.conversation_id)
                histories = [
                    await self._history(session, user_id, request.conversation_id, a)
                    for a in agents
                ]
        turn = LiveTurn(repo.new_id(), "", self.event_log, user_id=user_id)
        turn.runs = [
            LiveRun(repo.new_id(), agent, self.input_for(history, message), turn, self.clock, slot)
            for agent, history, slot in zip(agents, histories, slots, strict=True)
        ]
        await self._admit(turn)
        driver = self.begin(turn)
        try:
            await _until_dispatched(turn.runs)
            conversation_id, new = request.conversation_id, None
            if conversation_id is None:
                conversation_id = repo.new_id()
                new = turn_rows.NewConversation(user_id, repo.make_title(message))
            async with self.db.session() as session:
                if new is None:
                    await self._conversation(session, user_id, conversation_id)
                await turn_rows.insert_turn(
                    session=session,
                    conversation_id=conversation_id,
                    turn_id=turn.turn_id,
                    message=message,
                    owner=self.owner,
                    runs=[run.ref().model_dump() for run in turn.runs],
                    blind_seed=seed,
                    new_conversation=new,
                )
                if keyed is not None:
                    await self.keys.remember(session, keyed, turn.turn_id)
        except BaseException:
            self.live.pop(turn.turn_id, None)
            driver.cancel()
            await self._release(turn)
            raise
        await turn.open(conversation_id)
        return turn

    async def _admit(self, turn: LiveTurn) -> None:
        """Count the turn against its user's limits, or raise `LimitExceeded` (429)."""
        if self.limits is None:
            return
        output = self.settings.quota_output_tokens_per_run
        estimates = [
            estimate(run, instructions=self.options.instructions, output_tokens=output)
            for run in turn.runs
        ]
        try:
            turn.admission = await self.limits.admit(
                user_id=turn.user_id, turn_id=turn.turn_id, estimates=estimates
            )
        except LimitExceeded as refused:
            self.metrics.request_refused(refused.limit)
            raise

    async def _release(self, turn: LiveTurn) -> None:
        """A start that failed after admission gives its place back (best effort: the
        lease expires anyway)."""
        if self.limits is not None and turn.admission is not None:
            try:
                await asyncio.shield(self.limits.release(turn.admission))
            except Exception:
                logger.warning("turn %s: could not release its limits lease", turn.turn_id)

    async def _settle(self, session: AsyncSession, turn: LiveTurn, record: RunRecord) -> None:
        if self.limits is not None and turn.admission is not None:
            await self.limits.settle(session, turn.admission, used(record), run_id=record.run_id)

    async def _history(
        self, session: AsyncSession, user_id: str, conversation_id: str, agent: ResolvedAgent
    ) -> list[tuple[str, str | None]]:
        return await repo.agent_history(
            session=session,
            user_id=user_id,
            conversation_id=conversation_id,
            agent=agent.spec.name,
            limit=self.settings.history_max_messages,
        )

    def input_for(
        self, history: list[tuple[str, str | None]], message: str
    ) -> list[TResponseInputItem]:
        """A run's input: this agent's history in the conversation, then the message."""
        return build_input(
            history,
            message,
            max_messages=self.settings.history_max_messages,
            max_tokens=self.settings.history_max_tokens,
        )

    def begin(self, turn: LiveTurn) -> asyncio.Task[None]:
        """Start the turn's runs now; they emit once the turn is opened."""
        self.live[turn.turn_id] = turn
        driver = asyncio.create_task(self._drive(turn), name=f"turn-{turn.turn_id}")
        self._drivers.add(driver)
        driver.add_done_callback(self._drivers.discard)
        return driver

    async def _conversation(
        self, session: AsyncSession, user_id: str, conversation_id: str
    ) -> Conversation:
        """The user's conversation to continue; 404 if it is missing or not theirs."""
        conversation = await repo.get_conversation(
            session=session, user_id=user_id, conversation_id=conversation_id
        )
        if conversation is None:
            raise NotFound(f"conversation {conversation_id} does not exist")
        return conversation

    async def _drive(self, turn: LiveTurn) -> None:
        """Run every agent concurrently, then end the turn; never raises."""
        try:
            turn.runs_going = len(turn.runs)
            if len(turn.runs) == 1:  # no gather: its task per run holds memory all turn
                ended = [await self._follow(turn, turn.runs[0])]
            else:
                ended = await asyncio.gather(*(self._follow(turn, run) for run in turn.runs))
            await self._finish(turn, next((r for r in ended if r is not None), None))
        except Exception:
            logger.exception("turn %s could not be finalized", turn.turn_id)
        finally:
            self.live.pop(turn.turn_id, None)
            turn.finished.set()

    async def _follow(self, turn: LiveTurn, run: LiveRun) -> RunRecord | None:
        """One run from its provider request to its stored record and terminal event.

        Its request goes out at once; its events wait until the turn is opened. The last
        of the turn's runs to end is returned unstored, for `_finish` to store with the
        turn.
        """
        relay = start_run(run, self.options)
        try:
            await turn.opened.wait()
        except BaseException:
            abandon_run(run, relay)
            raise
        await run.open()
        record = await complete_run(run, self.options, relay)
        self.metrics.run_ended(record)
        turn.runs_going -= 1
        if not turn.runs_going:
            return record
        try:
            async with self.db.session() as session:
                await turn_rows.finish_run(
                    session=session, run_id=run.run_id, values=record.row_values()
                )
                await self._settle(session, turn, record)
        except Exception:
            logger.exception("run %s: could not persist its result", run.run_id)
        await turn.emit(terminal_event(record))
        return None

    async def _finish(self, turn: LiveTurn, last: RunRecord | None) -> None:
        """Store the last run with the turn in one transaction, then publish both ends.

        One commit fewer per turn, and `turn_done` is published only once both rows are
        final, so a client that read it never finds the turn `running`.
        """
        if last is not None:
            await turn.emit(terminal_event(last), publish=False)
        status = turn.cancel_status or "done"
        self.metrics.turn_ended(status)
        await turn.emit(TurnDone(turn.turn_id, status), publish=False)
        try:
            async with self.db.session() as session:
                if last is not None:
                    await turn_rows.finish_run(
                        session=session, run_id=last.run_id, values=last.row_values()
                    )
                    await self._settle(session, turn, last)
                if self.limits is not None and turn.admission is not None:
                    await self.limits.end(session, turn.admission)
                await turn_rows.finish_turn(
                    session=session,
                    turn_id=turn.turn_id,
                    status=status,
                    transcript=turn.transcript_text(),
                )
            turn.stored = True
        finally:
            if not await turn.close_log():
                self.unpublished[turn.turn_id] = turn

    def cancel_local(self, turn_id: str, *, status: EndStatus = "cancelled") -> bool:
        """Cancel the runs of a turn live in this process; False if it is not live here.

        Unscoped: for shutdown and for cancels a replica forwards after `cancel` checked
        the owner.
        """
        turn = self.live.get(turn_id)
        if turn is None:
            return False
        turn.cancel(status)
        return True

    async def cancel(self, turn_id: str, *, user_id: str) -> str:
        """Cancel the user's turn wherever it runs (wraps `cancel_local`): 404 unknown or
        someone else's, 409 ended."""
        live = self.live.get(turn_id)
        if live is not None and live.user_id == user_id and not live.stored:
            self.cancel_local(turn_id)
            return "cancelling"
        async with self.db.session() as session:
            turn = await repo.get_turn(session=session, user_id=user_id, turn_id=turn_id)
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
        for turn_id, turn in list(self.unpublished.items()):
            if await turn.close_log():
                self.unpublished.pop(turn_id, None)

    async def wait(self, started: StartedTurn) -> None:
        """Until the turn is final, wherever it runs; a cancelled waiter (client gone)
        leaves the turn alone."""
        if started.live is not None:
            await started.live.finished.wait()
        else:
            await self.reader.until_done(started)

    async def shutdown(self, grace: float) -> None:
        """Let runs finish for `grace` seconds, then end the rest `interrupted`."""
        pending = {turn.finished for turn in self.live.values()}
        if pending:
            waiters = [asyncio.create_task(event.wait()) for event in pending]
            _, late = await asyncio.wait(waiters, timeout=grace)
            for task in late:
                task.cancel()
        for turn_id in list(self.live):
            self.cancel_local(turn_id, status="interrupted")
        if self._drivers:
            await asyncio.wait(set(self._drivers), timeout=max(grace, 5.0))
