"""One settings object, read from the environment and `.env` once and handed down.

Nothing else in the backend reads `os.environ`. The defaults are the embedded setup: a
SQLite file in `data/`, the in-process event log, and the offline provider served by the
same process, so `uv run chatwait` works with no configuration at all.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class CompatibleProviderSettings(BaseModel):
    """One extra OpenAI-compatible server (Ollama, vLLM, OpenRouter, DeepSeek, ...)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")
    base_url: str
    api_key: SecretStr | None = None
    models: list[str] = Field(min_length=1)
    default_model: str | None = None
    price_provider: str | None = None
    """genai-prices provider id for cost, when the server serves a priced vendor's models."""


class Settings(BaseSettings):
    """Every setting of ChatWait; `.env.example` lists each with its default."""

    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", populate_by_name=True, env_ignore_empty=True
    )

    # Server
    host: str = Field("127.0.0.1", alias="CHATWAIT_HOST")
    port: int = Field(8000, alias="CHATWAIT_PORT", ge=0, le=65535)
    data_dir: Path = Field(Path("data"), alias="CHATWAIT_DATA_DIR")
    public_url: str | None = Field(None, alias="CHATWAIT_PUBLIC_URL")
    """Base URL this server is reached at; derived from host and port when unset."""
    ui_enabled: bool = Field(True, alias="CHATWAIT_UI")
    ui_api_url: str | None = Field(None, alias="CHATWAIT_API_URL")
    """The backend the UI talks to; unset = this server (`resolved_public_url`)."""
    cors_origins: list[str] = Field(default_factory=list, alias="CORS_ORIGINS")
    log_level: str = Field("INFO", alias="LOG_LEVEL")
    shutdown_grace_seconds: float = Field(10.0, alias="SHUTDOWN_GRACE_SECONDS", ge=0)

    # Storage
    database_url: str | None = Field(None, alias="DATABASE_URL")
    redis_url: str | None = Field(None, alias="REDIS_URL")
    redis_key_prefix: str = Field("chatwait", alias="REDIS_KEY_PREFIX", min_length=1)
    """Namespace of every Redis key and channel, so deployments can share one Redis."""
    event_log_ttl_seconds: float = Field(600.0, alias="EVENT_LOG_TTL_SECONDS", gt=0)
    event_log_max_turns: int = Field(2000, alias="EVENT_LOG_MAX_TURNS", ge=1)
    sse_ping_seconds: float = Field(15.0, alias="SSE_PING_SECONDS", gt=0)
    sse_send_timeout_seconds: float = Field(60.0, alias="SSE_SEND_TIMEOUT_SECONDS", ge=0)
    """A stream whose client has not taken a write for this long is closed (0: never)."""
    replica_heartbeat_seconds: float = Field(2.0, alias="REPLICA_HEARTBEAT_SECONDS", gt=0)
    replica_lease_seconds: float = Field(10.0, alias="REPLICA_LEASE_SECONDS", gt=0)

    # Providers
    openai_api_key: SecretStr | None = Field(None, alias="OPENAI_API_KEY")
    openai_base_url: str = Field("https://api.openai.com/v1", alias="OPENAI_BASE_URL")
    openai_models: list[str] = Field(
        default_factory=lambda: ["gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "gpt-4.1"],
        alias="OPENAI_MODELS",
    )
    openai_default_model: str = Field("gpt-4o-mini", alias="OPENAI_DEFAULT_MODEL")
    gemini_api_key: SecretStr | None = Field(None, alias="GEMINI_API_KEY")
    gemini_base_url: str = Field(
        "https://generativelanguage.googleapis.com/v1beta/openai/", alias="GEMINI_BASE_URL"
    )
    gemini_models: list[str] = Field(
        default_factory=lambda: ["gemini-2.5-flash", "gemini-2.0-flash", "gemini-2.5-pro"],
        alias="GEMINI_MODELS",
    )
    gemini_default_model: str = Field("gemini-2.5-flash", alias="GEMINI_DEFAULT_MODEL")
    compatible_providers: list[CompatibleProviderSettings] = Field(
        default_factory=list, alias="COMPATIBLE_PROVIDERS"
    )
    offline_enabled: bool = Field(True, alias="OFFLINE_ENABLED")
    offline_base_url: str | None = Field(None, alias="OFFLINE_BASE_URL")
    """Where the offline provider is reached; unset = the copy this server mounts at /sim/v1."""
    default_agents: list[str] | None = Field(None, alias="DEFAULT_AGENTS")
    provider_timeout_seconds: float = Field(60.0, alias="PROVIDER_TIMEOUT_SECONDS", gt=0)
    provider_max_retries: int = Field(2, alias="PROVIDER_MAX_RETRIES", ge=0, le=10)
    provider_client: Literal["sdk", "fast"] = Field("fast", alias="PROVIDER_CLIENT")
    """How runs read provider streams: `fast` = ChatWait's `FastChatModel` (same requests,
    events and errors as the SDK's model, held to it by tests/providers/test_fast_model.py,
    for less CPU per token), `sdk` = the Agents SDK's `OpenAIChatCompletionsModel`."""
    tracing_enabled: bool = Field(False, alias="AGENTS_TRACING")

    # Offline provider knobs (also `chatwait sim` flags)
    sim_ttft_ms: float = Field(120.0, alias="SIM_TTFT_MS", ge=0)
    sim_tokens_per_second: float = Field(60.0, alias="SIM_TOKENS_PER_SECOND", gt=0)
    sim_answer_tokens: int = Field(60, alias="SIM_ANSWER_TOKENS", ge=1)

    # Turns
    max_agents_per_turn: int = Field(4, alias="MAX_AGENTS_PER_TURN", ge=1)
    max_message_chars: int = Field(32_000, alias="MAX_MESSAGE_CHARS", ge=1)
    max_request_bytes: int = Field(1_048_576, alias="MAX_REQUEST_BYTES", ge=1024)
    """Largest request body read; bigger ones get 413 before they are read into memory."""
    run_timeout_seconds: float = Field(120.0, alias="RUN_TIMEOUT_SECONDS", gt=0)
    system_prompt: str = Field(
        "You are a helpful assistant. Answer clearly and concisely.", alias="SYSTEM_PROMPT"
    )
    history_max_messages: int = Field(50, alias="HISTORY_MAX_MESSAGES", ge=0)
    history_max_tokens: int = Field(8_000, alias="HISTORY_MAX_TOKENS", ge=0)

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str | None) -> str | None:
        """Accept the usual `postgresql://` form and pick the async drivers we ship."""
        if url is None or not url.strip():
            return None
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        if url.startswith("sqlite://"):
            return "sqlite+aiosqlite://" + url[len("sqlite://") :]
        return url

    @property
    def resolved_database_url(self) -> str:
        """The database to use: `DATABASE_URL`, else a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'chatwait.db').as_posix()}"

    @property
    def resolved_public_url(self) -> str:
        """How this process reaches itself (the mounted offline provider, the UI's API)."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
