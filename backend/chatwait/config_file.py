"""The config file: MCP servers and configured agents, in TOML, checked at start-up.

`CHATWAIT_CONFIG` names the file; unset, `chatwait.toml` in the working directory is read
if it exists, and no file means no configured agents. The file is written by whoever runs
the server (it can start processes), never by a chat request. See `docs/agents.md`.

Problems are reported together, each with the line and the field (`chatwait.toml:12:
agents[1].temperature: ...`): every shape error at once, then, once the shape is right,
every bad reference (unknown server, tool or provider, duplicate name). `tomllib` gives
lines for syntax errors only, so the line of a semantic error is found by scanning the
text for the offending table and key (`_locate`). Unknown keys are errors: a typo must
not silently do nothing.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from openai.types.shared import ReasoningEffort
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from chatwait.config import Settings

DEFAULT_CONFIG_FILE = Path("chatwait.toml")
NAME_PATTERN = r"^[a-z][a-z0-9_-]{0,31}$"
Loc = tuple[str | int, ...]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class McpServerConfig(_Strict):
    """One MCP server: a command to start (stdio) or a URL to reach (Streamable HTTP)."""

    name: str = Field(pattern=NAME_PATTERN)
    command: str | None = Field(None, min_length=1)
    args: tuple[str, ...] = ()
    env: dict[str, str] = Field(default_factory=dict)
    """Added to a small default environment (PATH, HOME, ...), never ChatWait's own."""
    url: str | None = None
    timeout_seconds: float | None = Field(None, gt=0, le=3600)
    """How long one tool call may take; unset: `TOOL_TIMEOUT_SECONDS`."""
    tool_filter: tuple[str, ...] | None = None
    """The tools agents may use; unset: all of them."""

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is not None and (urlsplit(url).scheme not in ("http", "https") or "//" not in url):
            raise ValueError("must be an http:// or https:// URL")
        return url

    @field_validator("tool_filter")
    @classmethod
    def _tool_names(cls, names: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if names is not None and not all(n.strip() for n in names):
            raise ValueError("tool names must not be empty")
        return names

    @model_validator(mode="after")
    def _one_transport(self) -> McpServerConfig:
        if (self.command is None) == (self.url is None):
            raise ValueError("give either `command` (stdio) or `url` (Streamable HTTP)")
        if self.url is not None and (self.args or self.env):
            raise ValueError("`args` and `env` are for stdio servers (`command`)")
        return self

    @property
    def transport(self) -> Literal["stdio", "http"]:
        return "stdio" if self.command is not None else "http"


class AgentConfig(_Strict):
    """A configured agent: a provider, a model, instructions and tools."""

    name: str = Field(pattern=NAME_PATTERN)
    provider: str = Field(pattern=NAME_PATTERN)
    """`openai`, `gemini`, `offline`, or a `COMPATIBLE_PROVIDERS` name."""
    model: str = Field(min_length=1)
    """Any model the provider serves, listed or not."""
    models: tuple[str, ...] | None = None
    """The models users may switch to (must include `model`); unset: only `model`."""
    instructions: str | None = None
    """The system prompt; unset: `SYSTEM_PROMPT`."""
    temperature: float | None = Field(None, ge=0, le=2)
    max_output_tokens: int | None = Field(None, ge=1)
    reasoning_effort: ReasoningEffort = None
    tools: tuple[str, ...] = ()
    """Built-in tool names (`current_time`, `calculator`)."""
    mcp_servers: tuple[str, ...] = ()
    """Names of `[[mcp_servers]]` whose tools this agent may use."""

    @model_validator(mode="after")
    def _model_is_allowed(self) -> AgentConfig:
        if self.models is not None and self.model not in self.models:
            raise ValueError(f"`model` {self.model!r} must be one of `models`")
        return self

    @property
    def allowed_models(self) -> tuple[str, ...]:
        return self.models if self.models is not None else (self.model,)


class ChatWaitConfig(_Strict):
    """The whole file; empty when there is none."""

    mcp_servers: tuple[McpServerConfig, ...] = ()
    agents: tuple[AgentConfig, ...] = ()


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One problem: where (line, dotted field) and what."""

    line: int | None
    field: str
    message: str


class ConfigFileError(ValueError):
    """The config file cannot be used; `issues` lists every problem found."""

    def __init__(self, path: Path, issues: Sequence[ConfigIssue]) -> None:
        self.path = path
        self.issues = tuple(issues)
        lines = [f"{path}{f':{i.line}' if i.line else ''}: {i.field}: {i.message}" for i in issues]
        super().__init__(f"invalid config file {path}:\n" + "\n".join(lines))


def config_path(settings: Settings) -> Path | None:
    """The file to read: `CHATWAIT_CONFIG`, else `./chatwait.toml` when it exists."""
    if settings.config_file is not None:
        if not settings.config_file.is_file():
            issue = ConfigIssue(None, "CHATWAIT_CONFIG", "the file does not exist")
            raise ConfigFileError(settings.config_file, [issue])
        return settings.config_file
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.is_file() else None


def load_settings_config(
    settings: Settings,
    *,
    known_providers: Collection[str] | None = None,
    known_tools: Collection[str] | None = None,
) -> ChatWaitConfig:
    """The config the settings point to (empty without a file); see `load_config_file`."""
    path = config_path(settings)
    if path is None:
        return ChatWaitConfig()
    return load_config_file(path, known_providers=known_providers, known_tools=known_tools)


def load_config_file(
    path: Path,
    *,
    known_providers: Collection[str] | None = None,
    known_tools: Collection[str] | None = None,
) -> ChatWaitConfig:
    """Read and check `path`, or raise `ConfigFileError` naming every bad line and field.

    `known_providers` and `known_tools` (when given) are the names agents may use; the
    caller knows them (providers from settings, tools from `chatwait.tools`).
    """
    text = path.read_text(encoding="utf-8")
    return parse_config(text, path, known_providers=known_providers, known_tools=known_tools)


def parse_config(
    text: str,
    path: Path,
    *,
    known_providers: Collection[str] | None = None,
    known_tools: Collection[str] | None = None,
) -> ChatWaitConfig:
    """`load_config_file` for text already read (`path` only names it in errors)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(path, [_syntax_issue(exc)]) from None
    try:
        config = ChatWaitConfig.model_validate(data)
    except ValidationError as exc:
        issues = [_issue(text, tuple(e["loc"]), _message(e)) for e in exc.errors()]
        raise ConfigFileError(path, issues) from None
    issues = [
        _issue(text, loc, message)
        for loc, message in _cross_check(config, known_providers, known_tools)
    ]
    if issues:
        raise ConfigFileError(path, issues)
    return config


def _cross_check(
    config: ChatWaitConfig,
    known_providers: Collection[str] | None,
    known_tools: Collection[str] | None,
) -> list[tuple[Loc, str]]:
    """Problems between fields and with names defined elsewhere."""
    problems: list[tuple[Loc, str]] = []
    problems += _duplicates("mcp_servers", [s.name for s in config.mcp_servers])
    problems += _duplicates("agents", [a.name for a in config.agents])
    servers = {s.name for s in config.mcp_servers}
    for i, agent in enumerate(config.agents):
        if known_providers is not None and agent.provider not in known_providers:
            known = ", ".join(sorted(known_providers))
            problems.append((("agents", i, "provider"), f"unknown provider; known: {known}"))
        for j, tool in enumerate(agent.tools):
            if known_tools is not None and tool not in known_tools:
                known = ", ".join(sorted(known_tools))
                problems.append(
                    (("agents", i, "tools", j), f"unknown tool {tool!r}; known: {known}")
                )
        for j, server in enumerate(agent.mcp_servers):
            if server not in servers:
                message = f"no [[mcp_servers]] is named {server!r}"
                problems.append((("agents", i, "mcp_servers", j), message))
    return problems


def _duplicates(table: str, names: list[str]) -> list[tuple[Loc, str]]:
    return [
        ((table, i, "name"), f"{name!r} is used by an earlier entry")
        for i, name in enumerate(names)
        if name in names[:i]
    ]


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key"
    return str(error["msg"]).removeprefix("Value error, ")


def _syntax_issue(exc: tomllib.TOMLDecodeError) -> ConfigIssue:
    message = str(exc)
    found = re.search(r"\(at line (\d+), column \d+\)", message)
    line = int(found.group(1)) if found else None
    return ConfigIssue(line, "TOML", message.split(" (at line")[0])


def _issue(text: str, loc: Loc, message: str) -> ConfigIssue:
    return ConfigIssue(_locate(text, loc), _dotted(loc), message)


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(file)"


_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(
    r"^\s*((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*="
)


def _locate(text: str, loc: Loc) -> int | None:
    """The 1-based line that best matches `loc`: its key, else its table's header.

    A heuristic over the text (arrays of tables are counted, dotted keys split): the line
    whose path is the longest prefix of `loc`, else the first line inside `loc` (an
    unknown table). A line inside a multi-line string may pass for a key, which only
    moves the pointer a little.
    """
    best_line, best_len = None, 0
    inside: int | None = None
    for line_no, path in _key_paths(text):
        common = _common_prefix(path, loc)
        if common == len(path) and common > best_len:
            best_line, best_len = line_no, common
        elif common == len(loc) and inside is None:
            inside = line_no
    return best_line if best_line is not None else inside


def _key_paths(text: str) -> list[tuple[int, Loc]]:
    """(line, full path) of every table header and key line, array indexes included."""
    found: list[tuple[int, Loc]] = []
    arrays: dict[tuple[str, ...], int] = {}
    table: Loc = ()
    for line_no, line in enumerate(text.splitlines(), 1):
        header = _HEADER.match(line)
        if header:
            parts = _split_key(header.group(2))
            if header.group(1) == "[[":
                arrays[tuple(parts)] = arrays.get(tuple(parts), -1) + 1
            table = _with_indexes(parts, arrays)
            found.append((line_no, table))
            continue
        key = _KEY.match(line)
        if key:
            found.append((line_no, (*table, *_split_key(key.group(1)))))
    return found


def _with_indexes(parts: list[str], arrays: dict[tuple[str, ...], int]) -> Loc:
    path: list[str | int] = []
    for i, part in enumerate(parts):
        path.append(part)
        index = arrays.get(tuple(parts[: i + 1]))
        if index is not None:
            path.append(index)
    return tuple(path)


def _split_key(key: str) -> list[str]:
    return [
        part.strip().strip("\"'")
        for part in re.split(r"\.(?=(?:[^\"']|\"[^\"]*\"|'[^']*')*$)", key)
    ]


def _common_prefix(path: Loc, loc: Loc) -> int:
    n = 0
    for a, b in zip(path, loc, strict=False):
        if a != b:
            break
        n += 1
    return n
