"""One settings object, read from the environment and `.env` once and handed down.

Nothing else in the backend reads `os.environ`. The defaults are the embedded setup: a
SQLite file in `data/`, the in-process event log, and the offline provider served by the
same process, so `uv run chatwait` works with no configuration at all.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SAMPLE_SECRET_KEY = "change-me-to-48-random-characters-see-docs-security"
"""The placeholder `.env.example` ships: never accepted as a real key."""

MIN_SECRET_KEY_BYTES = 32

PRESET_NAMES = ("anthropic", "openrouter", "deepseek", "groq", "mistral", "xai", "ollama")
"""Provider presets: each has `<name>_models` and `<name>_default_model` settings below."""


class UnsafeSettings(Exception):
    """A setting that would leave the server open: refuse to start, naming it."""


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
    config_file: Path | None = Field(None, alias="CHATWAIT_CONFIG")
    """The TOML file of MCP servers and configured agents; unset: ./chatwait.toml if present."""
    public_url: str | None = Field(None, alias="CHATWAIT_PUBLIC_URL")
    """Base URL this server is reached at; derived from host and port when unset."""
    ui_enabled: bool = Field(True, alias="CHATWAIT_UI")
    ui_api_url: str | None = Field(None, alias="CHATWAIT_API_URL")
    """The backend the UI talks to; unset = this server (`resolved_public_url`)."""
    cors_origins: list[str] = Field(default_factory=list, alias="CORS_ORIGINS")
    log_level: str = Field("INFO", alias="LOG_LEVEL")
    shutdown_grace_seconds: float = Field(10.0, alias="SHUTDOWN_GRACE_SECONDS", ge=0)
    allowed_hosts: list[str] = Field(default_factory=list, alias="ALLOWED_HOSTS")
    """Host headers served; empty: the bound host, localhost, 127.0.0.1, [::1], the public URL."""
    forwarded_allow_ips: str = Field("127.0.0.1", alias="FORWARDED_ALLOW_IPS")
    """Proxies whose X-Forwarded-For/-Proto are believed (uvicorn's setting; "*" = any)."""
    request_head_timeout_seconds: float = Field(5.0, alias="REQUEST_HEAD_TIMEOUT_SECONDS", gt=0)
    """A connection that has not sent a whole request head within this is dropped."""
    request_body_timeout_seconds: float = Field(15.0, alias="REQUEST_BODY_TIMEOUT_SECONDS", gt=0)
    """A request whose body has not fully arrived this long after its head is dropped (408)."""

    # Accounts
    auth_mode: Literal["none", "local"] = Field("none", alias="AUTH_MODE")
    """none: one local user, loopback only. local: accounts, bearer tokens on every route."""
    secret_key: SecretStr = Field(SecretStr(SAMPLE_SECRET_KEY), alias="CHATWAIT_SECRET_KEY")
    """Signs access tokens and keys API-key hashes; required (>= 32 bytes) with AUTH_MODE=local."""
    registration: Literal["closed", "open"] = Field("closed", alias="REGISTRATION")
    access_token_minutes: float = Field(10.0, alias="ACCESS_TOKEN_MINUTES", gt=0, le=1440)
    refresh_token_days: float = Field(14.0, alias="REFRESH_TOKEN_DAYS", gt=0, le=365)
    auth_cache_seconds: float = Field(5.0, alias="AUTH_CACHE_SECONDS", ge=0, le=60)
    """How long a replica trusts what it read about a session or key (0: read every time).
    Logout, revocation and disabling act at once on the replica that served them."""
    metrics_token: SecretStr | None = Field(None, alias="METRICS_TOKEN")
    """A bearer token for `GET /metrics` alone (a scraper needs no account); unset: with
    AUTH_MODE=local only admins read the metrics."""
    agent_settings_cache_seconds: float = Field(
        1.0, alias="AGENT_SETTINGS_CACHE_SECONDS", ge=0, le=60
    )
    """How long a replica trusts the admin's agent toggles it read (0: read every request);
    a change takes effect at once on the replica that made it, within this on the others."""
    login_max_attempts: int = Field(10, alias="LOGIN_MAX_ATTEMPTS", ge=1)
    login_window_seconds: int = Field(300, alias="LOGIN_WINDOW_SECONDS", ge=1)
    """At most LOGIN_MAX_ATTEMPTS logins per client IP and per email in this window."""

    # Storage
    database_url: str | None = Field(None, alias="DATABASE_URL")
    redis_url: str | None = Field(None, alias="REDIS_URL")
    redis_key_prefix: str = Field("chatwait", alias="REDIS_KEY_PREFIX", min_length=1)
    """Namespace of every Redis key and channel, so deployments can share one Redis."""
    event_log_ttl_seconds: float = Field(600.0, alias="EVENT_LOG_TTL_SECONDS", gt=0)
    event_log_max_turns: int = Field(2000, alias="EVENT_LOG_MAX_TURNS", ge=1)
    event_log_flush_ms: float = Field(50.0, alias="EVENT_LOG_FLUSH_MS", gt=0, le=1000)
    """With `REDIS_URL`: how often a replica sends its turns' new events to Redis (readers
    on other replicas see them at most about this much later; run ends go at once)."""
    sse_ping_seconds: float = Field(15.0, alias="SSE_PING_SECONDS", gt=0)
    sse_send_timeout_seconds: float = Field(60.0, alias="SSE_SEND_TIMEOUT_SECONDS", ge=0)
    """A stream whose client has not taken a write for this long is closed (0: never)."""
    sse_retry_ms: int = Field(1000, alias="SSE_RETRY_MS", ge=0, le=600_000)
    """The `retry:` every stream starts with: how long an `EventSource` waits to reconnect
    (browsers wait ~3 s without it)."""
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
    # Presets (docs/providers.md): each is enabled by its key; <NAME>_DEFAULT_MODEL unset =
    # the first of <NAME>_MODELS.
    anthropic_api_key: SecretStr | None = Field(None, alias="ANTHROPIC_API_KEY")
    anthropic_base_url: str = Field("https://api.anthropic.com/v1/", alias="ANTHROPIC_BASE_URL")
    anthropic_models: list[str] = Field(
        default_factory=lambda: ["claude-haiku-5-5", "claude-sonnet-5-5", "claude-opus-5-5"],
        alias="ANTHROPIC_MODELS",
        min_length=1,
    )
    anthropic_default_model: str | None = Field(None, alias="ANTHROPIC_DEFAULT_MODEL")
    openrouter_api_key: SecretStr | None = Field(None, alias="OPENROUTER_API_KEY")
    openrouter_base_url: str = Field("https://openrouter.ai/api/v1", alias="OPENROUTER_BASE_URL")
    openrouter_models: list[str] = Field(
        default_factory=lambda: [
            "openai/gpt-5-mini",
            "anthropic/claude-sonnet-5.5",
            "google/gemini-3.5-flash",
            "deepseek/deepseek-v4.1-flash",
            "x-ai/grok-4.3",
        ],
        alias="OPENROUTER_MODELS",
        min_length=1,
    )
    openrouter_default_model: str | None = Field(None, alias="OPENROUTER_DEFAULT_MODEL")
    deepseek_api_key: SecretStr | None = Field(None, alias="DEEPSEEK_API_KEY")
    deepseek_base_url: str = Field("https://api.deepseek.com/v1", alias="DEEPSEEK_BASE_URL")
    deepseek_models: list[str] = Field(
        default_factory=lambda: ["deepseek-flash", "deepseek-v4-pro"],
        alias="DEEPSEEK_MODELS",
        min_length=1,
    )
    deepseek_default_model: str | None = Field(None, alias="DEEPSEEK_DEFAULT_MODEL")
    groq_api_key: SecretStr | None = Field(None, alias="GROQ_API_KEY")
    groq_base_url: str = Field("https://api.groq.com/openai/v1", alias="GROQ_BASE_URL")
    groq_models: list[str] = Field(
        default_factory=lambda: [
            "llama-3.3-70b-versatile",
            "openai/gpt-oss-120b",
            "openai/gpt-oss-20b",
            "llama-3.1-8b-instant",
        ],
        alias="GROQ_MODELS",
        min_length=1,
    )
    groq_default_model: str | None = Field(None, alias="GROQ_DEFAULT_MODEL")
    mistral_api_key: SecretStr | None = Field(None, alias="MISTRAL_API_KEY")
    mistral_base_url: str = Field("https://api.mistral.ai/v1", alias="MISTRAL_BASE_URL")
    mistral_models: list[str] = Field(
        default_factory=lambda: [
            "mistral-small-latest",
            "mistral-medium-latest",
            "mistral-large-latest",
        ],
        alias="MISTRAL_MODELS",
        min_length=1,
    )
    mistral_default_model: str | None = Field(None, alias="MISTRAL_DEFAULT_MODEL")
    xai_api_key: SecretStr | None = Field(None, alias="XAI_API_KEY")
    xai_base_url: str = Field("https://api.x.ai/v1", alias="XAI_BASE_URL")
    xai_models: list[str] = Field(
        default_factory=lambda: ["grok-4.3", "grok-4.7"],
        alias="XAI_MODELS",
        min_length=1,
    )
    xai_default_model: str | None = Field(None, alias="XAI_DEFAULT_MODEL")
    ollama_base_url: str | None = Field(None, alias="OLLAMA_BASE_URL")
    """An Ollama server's OpenAI-compatible URL (http://127.0.0.1:11434/v1); unset = no Ollama."""
    ollama_models: list[str] = Field(
        default_factory=lambda: ["llama3.2", "qwen3", "gpt-oss:20b"],
        alias="OLLAMA_MODELS",
        min_length=1,
    )
    ollama_default_model: str | None = Field(None, alias="OLLAMA_DEFAULT_MODEL")
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
    idempotency_key_hours: float = Field(24.0, alias="IDEMPOTENCY_KEY_HOURS", ge=24)
    """How long an `Idempotency-Key` names its turn (at least a day, the documented promise)."""

    # Limits and quotas, per user (docs/limits.md); `unlimited` (or unset quotas) = no limit
    limit_turns_per_minute: int | None = Field(30, alias="LIMIT_TURNS_PER_MINUTE", ge=0)
    limit_concurrent_turns: int | None = Field(4, alias="LIMIT_CONCURRENT_TURNS", ge=0)
    """Turns running at once; a turn counts from its start until its `turn_done`."""
    quota_tokens_per_day: int | None = Field(None, alias="QUOTA_TOKENS_PER_DAY", ge=0)
    """Input + output tokens of every run in a UTC day."""
    quota_cost_usd_per_month: float | None = Field(None, alias="QUOTA_COST_USD_PER_MONTH", ge=0)
    """Dollars (the runs' `cost_usd`) in a UTC calendar month."""
    quota_output_tokens_per_run: int = Field(1024, alias="QUOTA_OUTPUT_TOKENS_PER_RUN", ge=0)
    """Output tokens reserved for each run before it starts (its prompt is estimated)."""
    # Compare (votes and the leaderboard)
    leaderboard_min_battles: int = Field(5, alias="LEADERBOARD_MIN_BATTLES", ge=1)
    """Battles a model needs before the leaderboard gives it a rank."""
    leaderboard_cache_seconds: float = Field(30.0, alias="LEADERBOARD_CACHE_SECONDS", ge=0)
    """How long a computed leaderboard is served again (a vote here clears it at once)."""

    # Tools
    max_tool_rounds: int = Field(8, alias="MAX_TOOL_ROUNDS", ge=1, le=100)
    """Model calls that may ask for tools in one run; past it the run ends `max_tool_rounds`."""
    tool_timeout_seconds: float = Field(30.0, alias="TOOL_TIMEOUT_SECONDS", gt=0)
    """How long one tool call may take (an MCP server's `timeout_seconds` overrides it)."""
    tool_output_max_bytes: int = Field(16_384, alias="TOOL_OUTPUT_MAX_BYTES", ge=1024)
    """Tool output stored and sent to clients is cut to this many bytes, marked truncated."""

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

    @field_validator(
        "limit_turns_per_minute",
        "limit_concurrent_turns",
        "quota_tokens_per_day",
        "quota_cost_usd_per_month",
        mode="before",
    )
    @classmethod
    def _unlimited(cls, value: object) -> object:
        """`unlimited` turns a limit off (an empty value keeps its default)."""
        if isinstance(value, str) and value.strip().lower() in ("unlimited", "none"):
            return None
        return value

    @model_validator(mode="after")
    def _preset_defaults_are_listed(self) -> Settings:
        """A preset's default model must be one of its models, or every default turn 4xx's."""
        for name in PRESET_NAMES:
            default = getattr(self, f"{name}_default_model")
            if default is not None and default not in getattr(self, f"{name}_models"):
                prefix = name.upper()
                raise ValueError(f"{prefix}_DEFAULT_MODEL {default!r} is not in {prefix}_MODELS")
        return self

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

    @property
    def resolved_allowed_hosts(self) -> list[str]:
        """`ALLOWED_HOSTS`, else the names this server is reached by on its own.

        The host of `resolved_public_url` is always in: the server calls itself there (the
        offline provider it mounts), and a 400 to itself would break every offline run.
        """
        own = urlsplit(self.resolved_public_url).hostname or "127.0.0.1"
        hosts = [own]
        if self.allowed_hosts:
            hosts += self.allowed_hosts
        else:
            hosts += ["localhost", "127.0.0.1", "::1"]
            if self.host and self.host not in ("0.0.0.0", "::"):
                hosts.append(self.host)
        return sorted({f"[{h}]" if ":" in h and not h.startswith("[") else h for h in hosts})


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps the server reachable from this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def refuse_unsafe(settings: Settings) -> None:
    """Raise `UnsafeSettings` for a setup that would serve strangers without a login.

    The message names the setting and never shows a value (it may be a key).
    """
    if settings.auth_mode == "none":
        if not is_loopback(settings.host):
            raise UnsafeSettings(
                f"AUTH_MODE=none serves everything without a login, so it only binds a "
                f"loopback address, not {settings.host!r}: set AUTH_MODE=local (with "
                f"CHATWAIT_SECRET_KEY) or bind 127.0.0.1"
            )
        return
    secret = settings.secret_key.get_secret_value()
    if secret == SAMPLE_SECRET_KEY or not secret.strip():
        raise UnsafeSettings(
            "CHATWAIT_SECRET_KEY is not set (or is the sample of .env.example); AUTH_MODE=local "
            "needs a random key of at least 32 bytes, e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
        )
    if len(secret.encode()) < MIN_SECRET_KEY_BYTES:
        raise UnsafeSettings(
            f"CHATWAIT_SECRET_KEY is too short: AUTH_MODE=local needs at least "
            f"{MIN_SECRET_KEY_BYTES} bytes"
        )


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
