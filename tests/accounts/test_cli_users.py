"""`chatwait users create` on a database no server ever touched, then that account in use."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.accounts._support import LOCAL, Account, cli, login, new_email, new_password
from tests.reliability._db import query
from tests.support.databases import throwaway_database
from tests.support.processes import chatwait_server


def test_the_first_admin_comes_from_the_cli_before_the_server_ran(tmp_path: Path) -> None:
    email, password = new_email(), new_password()
    with throwaway_database(tmp_path) as database:
        made = cli(
            "users", "create", email.upper(), "--admin", "--password-stdin",
            database_url=database, stdin=password + "\n", **LOCAL,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        assert f"created admin {email}" in made.stdout and password not in made.stdout
        (row,) = query(database, "SELECT email, role, password_hash FROM users")
        assert row["email"] == email and row["role"] == "admin"
        assert row["password_hash"].startswith("$argon2id$")

        with (
            chatwait_server(tmp_path / "server", database, **LOCAL) as server,
            httpx.Client(base_url=server.base_url) as client,
        ):
            admin = Account("", email, password)
            assert login(client, admin).status_code == 200
            assert client.get("/admin/users", headers=admin.auth).status_code == 200


def test_the_cli_refuses_what_the_api_refuses(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    email = new_email()
    first = cli("users", "create", email, "--password-stdin", database_url=database, stdin="p" * 12)
    assert first.returncode == 0, first.stderr
    again = cli("users", "create", email, "--password-stdin", database_url=database, stdin="p" * 12)
    assert again.returncode == 1 and "exists" in again.stderr and "Traceback" not in again.stderr
    short = cli(
        "users", "create", new_email(), "--password-stdin", database_url=database, stdin="p"
    )
    assert short.returncode == 1 and "12 characters" in short.stderr
    no_stdin = cli("users", "create", new_email(), database_url=database)
    assert no_stdin.returncode == 1 and "--password-stdin" in no_stdin.stderr
