"""The config file: typed objects from TOML, and errors that name the line and the field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chatwait.config import Settings
from chatwait.config_file import (
    AgentConfig,
    ChatWaitConfig,
    ConfigFileError,
    McpServerConfig,
    config_path,
    load_config_file,
    load_settings_config,
    parse_config,
)
from chatwait.tools import BUILTIN_TOOLS

ROOT = Path(__file__).resolve().parents[1]
PROVIDERS = {"openai", "gemini", "offline", "deepseek"}
FILE = Path("chatwait.toml")


def parse(text: str) -> ChatWaitConfig:
    return parse_config(text, FILE, known_providers=PROVIDERS, known_tools=set(BUILTIN_TOOLS))


def issues(text: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(ConfigFileError) as caught:
        parse(text)
    return [(i.line, i.field, i.message) for i in caught.value.issues]


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of the last `fragment` (what an editor would show)."""
    return [n for n, line in enumerate(text.splitlines(), 1) if fragment in line][-1]


def test_the_example_in_the_docs_is_valid_and_typed() -> None:
    docs = (ROOT / "docs" / "agents.md").read_text(encoding="utf-8")
    example = re.search(r"```toml\n(.*?)```", docs, re.S)
    assert example is not None
    config = parse(example.group(1))
    files, search = config.mcp_servers
    assert isinstance(files, McpServerConfig) and files.transport == "stdio"
    assert files.command == "npx" and files.args[0] == "-y" and files.env
    assert files.tool_filter is not None and files.timeout_seconds == 20
    assert search.transport == "http" and search.url and search.timeout_seconds is None
    helper = config.agents[0]
    assert isinstance(helper, AgentConfig) and helper.allowed_models == helper.models
    assert helper.tools == ("calculator", "current_time") and helper.mcp_servers == ("files",)
    assert {a.provider for a in config.agents} <= PROVIDERS
    reasoner = next(a for a in config.agents if a.reasoning_effort)
    assert reasoner.allowed_models == (reasoner.model,) and reasoner.instructions is None


def test_an_empty_file_is_no_configured_agents() -> None:
    assert parse("# nothing yet\n") == ChatWaitConfig()


TABLES = """\
[[mcp_servers]]
name = "calc"
command = "python"
args = ["server.py"]

[[agents]]
name = "first"
provider = "openai"
model = "gpt-4.1-mini"

[[agents]]
name = "second"
provider = "offline"
model = "offline-tools"
tools = ["calculator"]
mcp_servers = ["calc"]
"""


@pytest.mark.parametrize(
    ("old", "new", "fragment", "field", "message"),
    [
        (
            'tools = ["calculator"]',
            "temprature = 0.5",
            "temprature",
            "agents[1].temprature",
            "unknown key",
        ),
        (
            'tools = ["calculator"]',
            'temperature = "warm"',
            "temperature",
            "agents[1].temperature",
            "valid number",
        ),
        (
            'tools = ["calculator"]',
            "temperature = 2.5",
            "temperature",
            "agents[1].temperature",
            "less than or equal to 2",
        ),
        (
            'tools = ["calculator"]',
            "max_output_tokens = 0",
            "max_output_tokens",
            "agents[1].max_output_tokens",
            "greater than or equal to 1",
        ),
        (
            'tools = ["calculator"]',
            'reasoning_effort = "extreme"',
            "reasoning_effort",
            "agents[1].reasoning_effort",
            "'low'",
        ),
        (
            'tools = ["calculator"]',
            'tools = ["shell"]',
            "tools",
            "agents[1].tools[0]",
            "unknown tool 'shell'",
        ),
        (
            'mcp_servers = ["calc"]',
            'mcp_servers = ["calc", "web"]',
            "mcp_servers = [",
            "agents[1].mcp_servers[1]",
            "no [[mcp_servers]] is named 'web'",
        ),
        (
            'provider = "offline"',
            'provider = "anthropic"',
            "anthropic",
            "agents[1].provider",
            "unknown provider",
        ),
        (
            'name = "second"',
            'name = "first"',
            'name = "first"',
            "agents[1].name",
            "used by an earlier entry",
        ),
        (
            'name = "second"',
            'name = "Second Agent"',
            "Second Agent",
            "agents[1].name",
            "should match pattern",
        ),
        (
            'args = ["server.py"]',
            'args = ["server.py"]\nurl = "http://x/mcp"',
            "[[mcp_servers]]",
            "mcp_servers[0]",
            "either `command`",
        ),
        (
            'command = "python"',
            'command = "python"\nenv = { TOKEN = 7 }',
            "env =",
            "mcp_servers[0].env.TOKEN",
            "valid string",
        ),
        (
            'command = "python"',
            'command = "python"\ntimeout_seconds = -1',
            "timeout_seconds",
            "mcp_servers[0].timeout_seconds",
            "greater than 0",
        ),
        (
            'model = "offline-tools"',
            'model = "offline-tools"\nmodels = ["offline-1"]',
            "[[agents]]",
            "agents[1]",
            "must be one of `models`",
        ),
    ],
)
def test_each_error_names_its_line_and_field(
    old: str, new: str, fragment: str, field: str, message: str
) -> None:
    text = TABLES.replace(old, new, 1)
    [(line, got_field, got_message)] = issues(text)
    assert (line, got_field) == (line_of(text, fragment), field)
    assert message in got_message


def test_a_missing_field_points_at_its_table() -> None:
    text = TABLES.replace('model = "offline-tools"\n', "")
    assert issues(text) == [(line_of(text, "[[agents]]"), "agents[1].model", "Field required")]


def test_keys_of_a_sub_table_and_unknown_tables_are_located() -> None:
    text = TABLES + '\n[mcp_servers.env]\nPATH = 1\n\n[[agent]]\nname = "typo"\n'
    found = issues(text)
    assert (line_of(text, "PATH = 1"), "mcp_servers[0].env.PATH") in [(i[0], i[1]) for i in found]
    assert (line_of(text, "[[agent]]"), "agent", "unknown key") in found


def test_every_problem_is_reported_at_once() -> None:
    text = TABLES.replace('provider = "openai"', 'provider = "nope"').replace(
        'tools = ["calculator"]', 'tools = ["shell"]'
    )
    assert [field for _, field, _ in issues(text)] == ["agents[0].provider", "agents[1].tools[0]"]


def test_a_toml_syntax_error_names_its_line() -> None:
    text = TABLES.replace('model = "gpt-4.1-mini"', "model = gpt-4.1-mini")
    [(line, field, message)] = issues(text)
    assert (line, field) == (line_of(text, "model = gpt-4.1-mini"), "TOML")
    assert message


def test_the_error_message_reads_path_line_field_message() -> None:
    text = TABLES.replace("tools = [", "toolz = [")
    with pytest.raises(ConfigFileError) as caught:
        parse(text)
    line = line_of(text, "toolz")
    assert f"chatwait.toml:{line}: agents[1].toolz: unknown key" in str(caught.value)


def test_names_known_elsewhere_are_only_checked_when_given() -> None:
    text = TABLES.replace('provider = "openai"', 'provider = "ollama"')
    assert parse_config(text, FILE).agents[0].provider == "ollama"


def test_config_path_follows_chatwait_config_then_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert config_path(settings) is None and load_settings_config(settings) == ChatWaitConfig()
    (tmp_path / "chatwait.toml").write_text(TABLES, encoding="utf-8")
    assert config_path(settings) == Path("chatwait.toml")
    assert [a.name for a in load_settings_config(settings).agents] == ["first", "second"]

    elsewhere = tmp_path / "conf" / "agents.toml"
    elsewhere.parent.mkdir()
    elsewhere.write_text(TABLES.replace('"first"', '"other"'), encoding="utf-8")
    named = Settings(_env_file=None, CHATWAIT_CONFIG=str(elsewhere))  # type: ignore[call-arg]
    assert load_settings_config(named).agents[0].name == "other"
    assert load_config_file(elsewhere).agents[0].name == "other"

    missing = Settings(_env_file=None, CHATWAIT_CONFIG=str(tmp_path / "gone.toml"))  # type: ignore[call-arg]
    with pytest.raises(ConfigFileError, match="CHATWAIT_CONFIG: the file does not exist"):
        config_path(missing)


def test_tool_settings_defaults() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.max_tool_rounds, settings.tool_timeout_seconds) == (8, 30.0)
    assert settings.tool_output_max_bytes == 16_384 and settings.config_file is None
