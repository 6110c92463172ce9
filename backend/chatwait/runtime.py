"""Everything a running server holds, built once at start-up and closed at shutdown."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass

from agents import set_tracing_disabled

from chatwait.accounts.provider_keys import ProviderKeys
from chatwait.catalog import AgentCatalog, AgentToggles
from chatwait.cluster import Cluster
from chatwait.config import Settings
from chatwait.event_log import (
    EventLogUnavailable,
    MemoryEventLog,
    RedisEventLog,
    ReplicatedEventLog,
    TurnEventLog,
)
from chatwait.limits import Limits
from chatwait.metrics import Metrics
from chatwait.providers import ProviderRegistry, configured_agents, load_agent_setup
from chatwait.store import Database, repo, upgrade_database
from chatwait.tools import McpServers
from chatwait.turns import TurnReader, TurnService
from chatwait.votes import LeaderboardCache, VoteService

logger = logging.getLogger("chatwait.runtime")


def replica_id() -> str:
    """This process among replicas: host, pid and a random part (pids get reused)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def build_event_log(settings: Settings) -> TurnEventLog:
    """In-process; with `REDIS_URL`, in-process for this replica's turns and replicated to
    Redis in batches every `EVENT_LOG_FLUSH_MS` for everyone's (`event_log/replicated.py`)."""
    local = MemoryEventLog(
        ttl_seconds=settings.event_log_ttl_seconds, max_turns=settings.event_log_max_turns
    )
    if not settings.redis_url:
        return local
    shared = RedisEventLog(
        settings.redis_url,
        ttl_seconds=settings.event_log_ttl_seconds,
        key_prefix=settings.redis_key_prefix,
    )
    return ReplicatedEventLog(local, shared, flush_seconds=settings.event_log_flush_ms / 1000)


def build_catalog(settings: Settings, db: Database, registry: ProviderRegistry) -> AgentCatalog:
    """The registry with the admin's toggles and the users' sealed provider keys."""
    toggles = AgentToggles(db, cache_seconds=settings.agent_settings_cache_seconds)
    keys = ProviderKeys(
        db, settings.secret_key.get_secret_value(), cache_seconds=settings.auth_cache_seconds
    )
    return AgentCatalog(registry, toggles=toggles, keys=keys)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    registry: ProviderRegistry
    event_log: TurnEventLog
    turns: TurnService
    reader: TurnReader
    owner: str
    votes: VoteService
    cluster: Cluster | None = None
    """Set with `REDIS_URL`: lease, remote cancel and dead-replica reaping."""
    mcp: McpServers | None = None
    """The config file's MCP servers, started once and shared by every run."""
    limits: Limits | None = None
    """Per-user rate limit, concurrency and quotas (docs/limits.md)."""
    catalog: AgentCatalog | None = None
    """Each user's agents: admin toggles and their own provider keys."""

    @property
    def metrics(self) -> Metrics:
        """This process's Prometheus metrics (`GET /metrics`)."""
        return self.turns.metrics

    @classmethod
    async def start(cls, settings: Settings) -> Runtime:
        set_tracing_disabled(not settings.tracing_enabled)
        setup = load_agent_setup(settings)  # a bad config file stops the start here
        mcp = McpServers(
            setup.config.mcp_servers, call_timeout_seconds=settings.tool_timeout_seconds
        )
        configured = configured_agents(
            setup, mcp, tool_timeout_seconds=settings.tool_timeout_seconds
        )
        await mcp.start()
        try:
            runtime = await cls._start(
                settings, ProviderRegistry.from_settings(settings, setup.builtin, configured)
            )
        except BaseException:
            await mcp.close()
            raise
        runtime.mcp = mcp
        return runtime

    @classmethod
    async def _start(cls, settings: Settings, registry: ProviderRegistry) -> Runtime:
        db = Database(settings.resolved_database_url)
        await upgrade_database(db)
        owner = replica_id()
        limits = Limits(settings, db)
        if not settings.redis_url:  # alone: every running turn is a previous process's
            async with db.session() as session:
                interrupted = await repo.interrupt_runs(session=session)
            if interrupted:
                logger.warning("marked %d runs of a previous process interrupted", interrupted)
            await limits.forget_leases()
        catalog = build_catalog(settings, db, registry)
        event_log = build_event_log(settings)
        try:
            await event_log.start()
        except EventLogUnavailable as exc:
            logger.error("cannot start: %s (check REDIS_URL)", exc)
            await db.dispose()
            raise
        turns = TurnService(
            settings=settings,
            db=db,
            registry=registry,
            event_log=event_log,
            owner=owner,
            limits=limits,
            catalog=catalog,
            metrics=Metrics(),
        )
        reader = turns.reader
        cluster = None
        if settings.redis_url:  # replicas: a survivor interrupts a dead one's turns by lease
            shared = event_log.shared if isinstance(event_log, ReplicatedEventLog) else event_log
            cluster = Cluster(settings=settings, owner=owner, db=db, event_log=shared, turns=turns)
            await cluster.start()
        board = LeaderboardCache(
            db=db,
            min_battles=settings.leaderboard_min_battles,
            ttl=settings.leaderboard_cache_seconds,
        )
        votes = VoteService(db=db, board=board)
        return cls(
            settings,
            db,
            registry,
            event_log,
            turns,
            reader,
            owner,
            votes,
            cluster,
            limits=limits,
            catalog=catalog,
        )

    async def stop(self) -> None:
        await self.turns.shutdown(self.settings.shutdown_grace_seconds)
        if self.cluster is not None:
            await self.cluster.stop()
        await self.event_log.close()
        if self.mcp is not None:  # after the runs: none of them still calls a tool
            await self.mcp.close()
        if self.limits is not None:
            await self.limits.close()
        await self.registry.aclose()
        await self.db.dispose()
