"""The `chatwait` command as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CLI = [sys.executable, "-m", "chatwait.cli"]


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_help_lists_the_commands() -> None:
    result = _run("--help")
    assert result.returncode == 0
    for word in ("--host", "--port", "sim", "db", "openapi"):
        assert word in result.stdout


def test_db_upgrade_and_downgrade(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    upgrade = _run("db", "upgrade", env=env)
    assert upgrade.returncode == 0, upgrade.stderr
    assert "upgrade to head: done" in upgrade.stdout
    downgrade = _run("db", "downgrade", env=env)
    assert downgrade.returncode == 0, downgrade.stderr


def test_invalid_settings_exit_with_the_field_and_not_its_value() -> None:
    bad = (
        '[{"name": "Bad Name", "base_url": "x", "api_key": "sk-cli-canary-123456",'
        ' "models": ["m"]}]'
    )
    result = _run("db", "upgrade", env={"COMPATIBLE_PROVIDERS": bad})
    assert result.returncode != 0
    assert "COMPATIBLE_PROVIDERS" in result.stderr
    assert "sk-cli-canary" not in result.stderr + result.stdout
