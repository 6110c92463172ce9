"""Settings: `.env.example` stays complete, and a copy of it starts the embedded setup."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatwait.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def _example_keys() -> set[str]:
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    return {line.split("=", 1)[0] for line in lines if line and not line.startswith("#")}


def test_env_example_lists_every_setting() -> None:
    aliases = {field.alias for field in Settings.model_fields.values()}
    assert _example_keys() == aliases


def test_env_example_as_dotenv_gives_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text(encoding="utf-8"))
    monkeypatch.chdir(tmp_path)
    for key in _example_keys():
        monkeypatch.delenv(key, raising=False)
    from_file, defaults = Settings(), Settings(_env_file=None)  # type: ignore[call-arg]
    assert from_file.model_dump() == defaults.model_dump()
    assert from_file.resolved_database_url.startswith("sqlite+aiosqlite:///")
    assert from_file.openai_api_key is None and from_file.redis_url is None


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://postgres@db:5432/chat", "postgresql+psycopg://postgres@db:5432/chat"),
        ("postgres://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
    ],
)
def test_database_url_gets_the_async_driver(given: str, expected: str) -> None:
    settings = Settings(_env_file=None, DATABASE_URL=given)  # type: ignore[call-arg]
    assert settings.resolved_database_url == expected
