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


def test_a_bad_config_file_stops_the_start_naming_each_line_and_field(tmp_path: Path) -> None:
    config = tmp_path / "chatwait.toml"
    config.write_text(
        '[[agents]]\nname = "offline"\nprovider = "offline"\nmodel = "offline-tools"\n\n'
        '[[agents]]\nname = "mine"\nprovider = "offline"\nmodel = "offline-1"\n'
        "temprature = 0.2\n",
        encoding="utf-8",
    )
    env = {"CHATWAIT_CONFIG": str(config), "CHATWAIT_DATA_DIR": str(tmp_path)}
    typo = _run("--port", "0", env=env)
    assert typo.returncode != 0
    assert f"{config}:10: agents[1].temprature: unknown key" in typo.stderr
    config.write_text(config.read_text().replace("temprature = 0.2\n", ""), encoding="utf-8")
    clash = _run("--port", "0", env=env)
    assert clash.returncode != 0
    assert "agents[0].name: 'offline' is the name of a built-in agent" in clash.stderr
