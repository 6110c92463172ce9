"""`uv run chatwait` serves the UI at `/` and the API on the same origin, API first."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.browser.server import chatwait_server
from tests.support.processes import ChildServer


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mount")


@pytest.fixture(scope="module")
def server(workdir: Path) -> Iterator[ChildServer]:
    with chatwait_server(workdir) as running:
        yield running


def test_the_ui_is_served_at_the_root(server: ChildServer) -> None:
    page = httpx.get(server.base_url + "/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "<title>ChatWait</title>" in page.text
    element = httpx.get(server.base_url + "/public/elements/AgentPanes.jsx")
    assert element.status_code == 200 and "export default <AgentPanesView" in element.text


def test_api_routes_win_over_the_ui(server: ChildServer) -> None:
    models = httpx.get(server.base_url + "/models")
    assert models.headers["content-type"].startswith("application/json")
    assert models.json()["default_agents"] == ["offline", "offline-2"]
    missing = httpx.get(server.base_url + "/conversations/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404 and missing.json()["error"]["code"]


def test_no_login_screen_one_local_user(server: ChildServer) -> None:
    config = httpx.get(server.base_url + "/auth/config").json()
    assert config["headerAuth"] is True and config["passwordAuth"] is False
    with httpx.Client(base_url=server.base_url) as browser_like:
        assert browser_like.post("/auth/header").json() == {"success": True}
        user = browser_like.get("/user").json()
        assert user["identifier"] == "local"
        settings = browser_like.get("/project/settings").json()
        assert settings["dataPersistence"] is True and settings["threadResumable"] is True
        assert settings["ui"]["layout"] == "wide"


def test_the_auth_secret_is_kept_in_the_data_dir(server: ChildServer, workdir: Path) -> None:
    secret = workdir / "data" / "chainlit-auth-secret"  # CHATWAIT_DATA_DIR of the server
    assert secret.is_file() and len(secret.read_text().strip()) >= 32
    assert (secret.stat().st_mode & 0o777) == 0o600


def test_shutdown_runs_the_ui_cleanup_and_exits_cleanly(tmp_path: Path) -> None:
    """Chainlit's own lifespan is skipped when mounted; ours closes the UI's client."""
    with chatwait_server(tmp_path, LOG_LEVEL="INFO") as running:
        assert httpx.get(running.base_url + "/").status_code == 200
    assert running.process.returncode is not None
    log = running.log_text()
    assert "UI mounted at /" in log and "UI closed" in log
    assert "Traceback" not in log and "UI shutdown hook failed" not in log
