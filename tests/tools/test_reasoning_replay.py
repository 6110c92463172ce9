"""DeepSeek's rule over real HTTP: reasoning streamed before a tool call goes back with it.

A configured agent on the `deepseek` preset, pointed at the offline provider's
`offline-reasoner-tools` (it streams `reasoning_content`, then calls the tool the message
names, then answers from the result). The model's name has no "deepseek" in it, so only
the preset's replay quirk (not the SDK's own name rule) can send the reasoning back. The
provider's `GET /v1/debug/requests` shows what the follow-up request carried, as digests.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest

from tests.support.app import running_app

MODEL = "offline-reasoner-tools"
CONFIG = f"""
[[agents]]
name = "thinker"
provider = "deepseek"
model = "{MODEL}"
tools = ["calculator"]
"""


@pytest.mark.parametrize("client", ["fast", "sdk"])
def test_the_reasoning_before_a_tool_call_is_sent_back_on_the_next_request(
    sim_v1: str, tmp_path: Path, client: str
) -> None:
    config = tmp_path / "chatwait.toml"
    config.write_text(CONFIG, encoding="utf-8")
    settings = {
        "CHATWAIT_CONFIG": str(config),
        "DEEPSEEK_API_KEY": "sk-test-deepseek",
        "DEEPSEEK_BASE_URL": sim_v1,
        "PROVIDER_CLIENT": client,
    }
    with (
        running_app(tmp_path, **settings) as (base_url, _settings),
        httpx.Client(base_url=base_url, timeout=60) as http,
    ):
        before = len(httpx.get(f"{sim_v1}/debug/requests").json()["requests"])
        body = {"message": 'calculator {"expression": "6 * 7"}', "agents": ["thinker"]}
        response = http.post("/chat/wait", json=body)
        assert response.status_code == 200, response.text
    [run] = response.json()["runs"]
    assert run["status"] == "done", run
    assert [(c["name"], c["output"]) for c in run["tool_calls"]] == [("calculator", "42")]
    assert run["reasoning"], "the model reasoned before its call"
    seen = httpx.get(f"{sim_v1}/debug/requests").json()["requests"][before:]
    first, second = [r for r in seen if r["model"] == MODEL]
    assert all(m["reasoning_content_sha256"] is None for m in first["messages"])
    [assistant] = [m for m in second["messages"] if m["role"] == "assistant"]
    assert assistant["tool_calls"] == 1
    digest = hashlib.sha256(run["reasoning"].encode()).hexdigest()
    assert assistant["reasoning_content_sha256"] == digest, "reasoning sent back, unchanged"
