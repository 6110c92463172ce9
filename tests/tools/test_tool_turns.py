"""Configured agents over real HTTP: tool calls, MCP servers and reasoning in turns.

One ChatWait server per module, its config file naming test MCP servers (stdio and
Streamable HTTP, `mcp_servers/server.py`) and agents on the offline provider:
`offline-tools` calls the tools a message names, `offline-reasoner` thinks aloud,
`fault-tool-loop` never stops calling, `fault-unknown-tool` calls a tool nobody offered.
Storage is SQLite, or Postgres with `CHATWAIT_TEST_POSTGRES_URL`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_sse import connect_sse

from tests.support.app import running_app
from tests.support.eventually import eventually
from tests.support.sse import Event, read_stream, texts_by_run

from ._support import SERVER, http_server

PY = Path(sys.executable).as_posix()


def _config(remote_url: str) -> str:
    def stdio(name: str, tools: str, extra: str = "") -> str:
        return (
            f'[[mcp_servers]]\nname = "{name}"\ncommand = "{PY}"\n'
            f'args = ["{SERVER.as_posix()}", "stdio", "--name", "{name}", "--tools", "{tools}"]\n'
            f"{extra}\n"
        )

    def agent(name: str, model: str, tools: str = "", servers: str = "") -> str:
        return (
            f'[[agents]]\nname = "{name}"\nprovider = "offline"\nmodel = "{model}"\n'
            f"tools = [{tools}]\nmcp_servers = [{servers}]\n\n"
        )

    return (
        stdio("local", "add,echo,slow,fail")
        + stdio("sleepy", "slow", "timeout_seconds = 600")
        + stdio("fragile", "pid,die")
        + f'[[mcp_servers]]\nname = "remote"\nurl = "{remote_url}"\n\n'
        + '[[mcp_servers]]\nname = "ghost"\ncommand = "/nonexistent/mcp-server"\n\n'
        + agent("helper", "offline-tools", '"calculator", "current_time"', '"local"')
        + agent("patient", "offline-tools", '"calculator"', '"sleepy"')
        + agent("fragile", "offline-tools", "", '"fragile"')
        + agent("remote", "offline-tools", "", '"remote"')
        + agent("ghostly", "offline-tools", '"calculator"', '"ghost"')
        + agent("looper", "fault-tool-loop", '"calculator"')
        + agent("stray", "fault-unknown-tool", '"calculator"')
        + agent("thinker", "offline-reasoner")
    )


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    directory = tmp_path_factory.mktemp("tool-turns")
    with http_server(directory) as remote:
        path = directory / "chatwait.toml"
        path.write_text(_config(f"{remote.base_url}/mcp"), encoding="utf-8")
        overrides = {"CHATWAIT_CONFIG": str(path), "MAX_TOOL_ROUNDS": 3}
        overrides |= {"TOOL_TIMEOUT_SECONDS": 2.0, "RUN_TIMEOUT_SECONDS": 60.0}
        with (
            running_app(directory, **overrides) as (base_url, _settings),
            httpx.Client(base_url=base_url, timeout=60) as http,
        ):
            yield http


def _stream(client: httpx.Client, agent: str, message: str) -> list[Event]:
    body = {"message": message, "agents": [agent]}
    return read_stream(client, "POST", "/chat/streaming", json_body=body)


def _wait(client: httpx.Client, agent: str, message: str) -> dict[str, Any]:
    response = client.post("/chat/wait", json={"message": message, "agents": [agent]})
    assert response.status_code == 200, response.text
    [run] = response.json()["runs"]
    return dict(run)


def _of(events: list[Event], kind: str) -> list[dict[str, Any]]:
    return [e.data for e in events if e.type == kind]


def _agents(client: httpx.Client) -> dict[str, dict[str, Any]]:
    return {a["name"]: a for a in client.get("/models").json()["agents"]}


def test_models_lists_configured_agents_with_their_tools_and_servers(
    client: httpx.Client,
) -> None:
    agents = _agents(client)
    helper = agents["helper"]
    assert helper["configured"] is True and helper["available"] is True
    assert helper["models"] == ["offline-tools"] and helper["default_model"] == "offline-tools"
    assert helper["tools"] == ["calculator", "current_time", "add", "echo", "slow", "fail"]
    [local] = helper["mcp_servers"]
    assert local == {
        "name": "local",
        "up": True,
        "state": "up",
        "reason": None,
        "tools": ["add", "echo", "slow", "fail"],
    }
    assert agents["remote"]["mcp_servers"][0]["up"] is True
    [ghost] = agents["ghostly"]["mcp_servers"]
    assert ghost["up"] is False and ghost["reason"]
    assert agents["ghostly"]["available"] is True  # its other tools still work
    assert agents["offline"]["configured"] is False
    assert "helper" not in client.get("/models").json()["default_agents"]


def test_wait_returns_the_tool_calls_and_the_answer_quoting_them(client: httpx.Client) -> None:
    run = _wait(client, "helper", 'Please use the calculator {"expression": "6 * 7"}')
    assert run["status"] == "done", run
    [call] = run["tool_calls"]
    assert call["name"] == "calculator" and call["output"] == "42"
    assert call["is_error"] is False and call["call_id"]
    assert call["arguments"] == '{"expression":"6 * 7"}'
    assert call["started_at"] <= call["ended_at"]
    assert run["output"].startswith('The calculator tool returned "42".')
    assert run["reasoning"] is None


def test_stream_carries_tool_events_and_the_stored_run_matches(client: httpx.Client) -> None:
    events = _stream(client, "helper", 'Use echo {"text": "hi there"} for me')
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    [call], [result] = _of(events, "tool_call"), _of(events, "tool_result")
    assert call["name"] == "echo" and call["arguments"] == '{"text":"hi there"}'
    assert result == {
        "run_id": call["run_id"],
        "call_id": call["call_id"],
        "output": "hi there",
        "is_error": False,
    }
    kinds = [e.type for e in events]
    assert kinds.index("tool_call") < kinds.index("tool_result") < kinds.index("delta")
    turn_id = events[0].data["turn_id"]
    [run] = client.get(f"/chat/turns/{turn_id}").json()["runs"]
    assert [(c["call_id"], c["name"], c["output"]) for c in run["tool_calls"]] == [
        (call["call_id"], "echo", "hi there")
    ]
    assert texts_by_run(events)[run["run_id"]] == run["output"]
    done = _of(events, "run_done")[0]
    assert "tool_calls" not in done and "output" not in done


def test_resume_after_every_event_of_a_tool_run_gives_the_same_stream(
    client: httpx.Client,
) -> None:
    full = _stream(client, "helper", 'calculator {"expression": "2 ** 10"} and current_time')
    assert len(_of(full, "tool_call")) == 2 and len(_of(full, "tool_result")) == 2
    turn_id = full[0].data["turn_id"]
    for k in range(len(full) + 1):
        resumed = read_stream(
            client, "GET", f"/chat/streaming/{turn_id}", headers={"Last-Event-ID": str(k)}
        )
        assert resumed == full[k:], f"resume after {k}"


def test_streamable_http_server_tools_work(client: httpx.Client) -> None:
    run = _wait(client, "remote", 'echo {"text": "over http"}')
    assert run["status"] == "done"
    assert [(c["name"], c["output"], c["is_error"]) for c in run["tool_calls"]] == [
        ("echo", "over http", False)
    ]


def test_a_failing_tool_is_an_error_result_and_the_run_goes_on(client: httpx.Client) -> None:
    run = _wait(client, "helper", 'call fail {"reason": "today"}')
    assert run["status"] == "done" and run["error"] is None
    [call] = run["tool_calls"]
    assert call["is_error"] is True and "the tool failed today" in call["output"]
    assert run["output"]


def test_a_tool_past_its_timeout_is_an_error_result(client: httpx.Client) -> None:
    run = _wait(client, "helper", 'call slow {"seconds": 30}')
    assert run["status"] == "done"
    [call] = run["tool_calls"]
    assert call["is_error"] is True and "did not answer within 2 s" in call["output"]


def test_an_unknown_tool_name_is_an_error_result_not_a_dead_run(client: httpx.Client) -> None:
    events = _stream(client, "stray", "call something")
    [result] = _of(events, "tool_result")
    assert result["is_error"] is True and "no_such_tool" in result["output"]
    assert _of(events, "tool_call")[0]["name"] == "no_such_tool"
    assert events[-2].type == "run_done"


def test_past_max_tool_rounds_the_run_ends_error(client: httpx.Client) -> None:
    run = _wait(client, "looper", 'calculator {"expression": "1 + 1"}')
    assert run["status"] == "error"
    assert run["error"]["code"] == "max_tool_rounds"
    assert len(run["tool_calls"]) >= 3
    assert all(c["output"] == "2" for c in run["tool_calls"])


def test_a_server_that_never_started_fails_its_calls_softly(client: httpx.Client) -> None:
    run = _wait(client, "ghostly", 'calculator {"expression": "3 * 3"}')
    assert run["status"] == "done"
    assert [c["output"] for c in run["tool_calls"]] == ["9"]


def test_a_server_dying_mid_call_is_an_error_result_and_comes_back(
    client: httpx.Client,
) -> None:
    run = _wait(client, "fragile", "please die now")
    assert run["status"] == "done"
    [call] = run["tool_calls"]
    assert call["name"] == "die" and call["is_error"] is True
    eventually(
        lambda: _agents(client)["fragile"]["mcp_servers"][0]["up"],
        timeout=60,
        interval=0.1,
        message="the fragile server did not come back",
    )
    again = _wait(client, "fragile", "what is your pid")
    [pid] = again["tool_calls"]
    assert pid["is_error"] is False and pid["output"].isdigit()


def test_cancel_mid_tool_stops_it_and_keeps_the_finished_calls(client: httpx.Client) -> None:
    body = {
        "message": 'calculator {"expression": "5 + 5"} then slow {"seconds": 600}',
        "agents": ["patient"],
    }
    events: list[Event] = []
    cancelled = False
    with connect_sse(client, "POST", "/chat/streaming", json=body) as source:
        for sse in source.iter_sse():
            events.append(Event(int(sse.id), sse.event, json.loads(sse.data)))
            calls, results = _of(events, "tool_call"), _of(events, "tool_result")
            if not cancelled and len(calls) == 2 and len(results) == 1:
                turn_id = events[0].data["turn_id"]
                cancel = client.post(f"/chat/turns/{turn_id}/cancel")
                assert cancel.status_code in (200, 202), cancel.text
                cancelled = True
    assert cancelled, [e.type for e in events]
    [error] = _of(events, "run_error")
    assert error["status"] == "cancelled"
    assert [r["output"] for r in _of(events, "tool_result")] == ["10"]
    [run] = client.get(f"/chat/turns/{events[0].data['turn_id']}").json()["runs"]
    assert run["status"] == "cancelled"
    assert [(c["name"], c["output"]) for c in run["tool_calls"]] == [("calculator", "10")]


def test_reasoning_streams_apart_from_the_answer_and_is_stored(client: httpx.Client) -> None:
    events = _stream(client, "thinker", "Why is the sky blue?")
    chunks = _of(events, "reasoning")
    assert chunks and [c["index"] for c in chunks] == list(range(len(chunks)))
    kinds = [e.type for e in events]
    assert kinds.index("reasoning") < kinds.index("delta")
    [run] = client.get(f"/chat/turns/{events[0].data['turn_id']}").json()["runs"]
    assert run["reasoning"] == "".join(c["text"] for c in chunks)
    assert run["reasoning"] not in run["output"]
    conversation = client.get(f"/conversations/{events[0].data['conversation_id']}").json()
    assert conversation["turns"][0]["runs"][0]["reasoning"] == run["reasoning"]


def test_one_mcp_server_process_is_started_with_the_app_and_shared_by_runs(
    tmp_path: Path,
) -> None:
    config = tmp_path / "chatwait.toml"
    config.write_text(
        f'[[mcp_servers]]\nname = "own"\ncommand = "{PY}"\n'
        f'args = ["{SERVER.as_posix()}", "stdio", "--tools", "pid"]\n\n'
        '[[agents]]\nname = "own"\nprovider = "offline"\nmodel = "offline-tools"\n'
        'mcp_servers = ["own"]\n',
        encoding="utf-8",
    )
    with (
        running_app(tmp_path, CHATWAIT_CONFIG=str(config)) as (base_url, _settings),
        httpx.Client(base_url=base_url, timeout=60) as http,
    ):
        assert _agents(http)["own"]["mcp_servers"][0]["up"] is True  # up once started
        pids = {_wait(http, "own", "your pid")["tool_calls"][0]["output"] for _ in range(3)}
        assert len(pids) == 1, "one server process shared by every run"
