"""Accounts over real HTTP: a server in AUTH_MODE=local, and the calls every test makes."""

from __future__ import annotations

import secrets
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support.app import running_app
from tests.support.processes import CHATWAIT, clean_env

SECRET_KEY = "test-secret-" + secrets.token_urlsafe(32)
LOCAL = {"AUTH_MODE": "local", "CHATWAIT_SECRET_KEY": SECRET_KEY}


@contextmanager
def local_app(directory: Path, **overrides: Any) -> Iterator[tuple[str, str]]:
    """A ChatWait in AUTH_MODE=local with open registration; yields (base URL, database)."""
    settings = {**LOCAL, "REGISTRATION": "open", "LOGIN_MAX_ATTEMPTS": 1000, **overrides}
    with running_app(directory, **settings) as (url, resolved):
        yield url, resolved.resolved_database_url


def new_email() -> str:
    return f"user-{uuid.uuid4().hex[:10]}@example.com"


def new_password() -> str:
    return "pw-" + secrets.token_urlsafe(18)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Account:
    """A registered user and the tokens of their last login or refresh."""

    id: str
    email: str
    password: str
    access_token: str = ""
    refresh_token: str = ""

    @property
    def auth(self) -> dict[str, str]:
        return bearer(self.access_token)


def login(client: httpx.Client, account: Account, **headers: str) -> httpx.Response:
    response = client.post(
        "/auth/login", json={"email": account.email, "password": account.password}, headers=headers
    )
    if response.status_code == 200:
        account.access_token = response.json()["access_token"]
        account.refresh_token = response.json()["refresh_token"]
    return response


def signed_up(client: httpx.Client) -> Account:
    """A new account (open registration), logged in."""
    email, password = new_email(), new_password()
    response = client.post("/auth/register", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    account = Account(response.json()["id"], email, password)
    assert login(client, account).status_code == 200
    return account


def cli(
    *args: str, database_url: str, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    """`chatwait ARGS` as a subprocess on this database, in a clean environment."""
    return subprocess.run(
        [str(CHATWAIT), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env({"DATABASE_URL": database_url, "LOG_LEVEL": "WARNING", **env}),
        check=False,
    )


def admin_of(client: httpx.Client, database_url: str) -> Account:
    """A new admin, made the way the first one is: `chatwait users create --admin`."""
    email, password = new_email(), new_password()
    made = cli(
        "users",
        "create",
        email,
        "--admin",
        "--password-stdin",
        database_url=database_url,
        stdin=password + "\n",
    )
    assert made.returncode == 0, made.stderr
    account = Account("", email, password)
    assert login(client, account).status_code == 200
    account.id = client.get("/me", headers=account.auth).json()["id"]
    return account


def execute(database_url: str, sql: str, **params: Any) -> None:
    """One statement on the server's database, committed (to set up what HTTP cannot)."""
    from sqlalchemy import create_engine, text

    from tests.reliability._db import sync_url

    engine = create_engine(sync_url(database_url))
    try:
        with engine.begin() as connection:
            connection.execute(text(sql), params)
    finally:
        engine.dispose()
