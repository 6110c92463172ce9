"""Unsafe settings stop `chatwait` before it serves: one line naming the setting, exit 1.

Run as the real program (a subprocess). A server that wrongly started would never exit,
so each run has a deadline and a port of its own.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from chatwait.config import SAMPLE_SECRET_KEY
from tests.accounts._support import cli
from tests.support.servers import free_port

SHORT_KEY = "short-but-secret-KEY-123"


def _serve(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    database = f"sqlite+aiosqlite:///{tmp_path / 'refuse.db'}"
    return cli(
        *args,
        "--port",
        str(free_port()),
        "serve",
        database_url=database,
        CHATWAIT_DATA_DIR=str(tmp_path),
        CHATWAIT_UI="false",
        **env,
    )


def _refused(result: subprocess.CompletedProcess[str], setting: str) -> str:
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("chatwait: refusing to start:") and setting in lines[0]
    return lines[0]


@pytest.mark.parametrize("flag", [("--host", "0.0.0.0"), ("--host", "192.0.2.10")])
def test_no_auth_on_a_public_address(tmp_path: Path, flag: tuple[str, str]) -> None:
    _refused(_serve(tmp_path, *flag), "AUTH_MODE")


def test_no_auth_on_a_public_address_from_the_environment(tmp_path: Path) -> None:
    _refused(_serve(tmp_path, CHATWAIT_HOST="::"), "AUTH_MODE")


@pytest.mark.parametrize(
    "secret", [None, "", SAMPLE_SECRET_KEY, SHORT_KEY], ids=["unset", "empty", "sample", "short"]
)
def test_local_mode_needs_a_real_secret_key(tmp_path: Path, secret: str | None) -> None:
    env = {"AUTH_MODE": "local"}
    if secret is not None:
        env["CHATWAIT_SECRET_KEY"] = secret
    line = _refused(_serve(tmp_path, **env), "CHATWAIT_SECRET_KEY")
    if secret:
        assert secret not in line


def test_an_unknown_auth_mode_is_named(tmp_path: Path) -> None:
    result = _serve(tmp_path, AUTH_MODE="sometimes")
    assert result.returncode == 1 and "AUTH_MODE" in result.stderr
    assert "sometimes" not in result.stderr and "Traceback" not in result.stderr
