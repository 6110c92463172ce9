"""`chatwait`: serve (default), the offline provider alone, migrate, users, provider keys,
export OpenAPI."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from chatwait.config import Settings, UnsafeSettings, get_settings, refuse_unsafe


def _serve(settings: Settings) -> None:
    try:
        refuse_unsafe(settings)
    except UnsafeSettings as exc:
        sys.exit(f"chatwait: refusing to start: {exc}")
    from chatwait.config_file import ConfigFileError
    from chatwait.providers import load_agent_setup

    try:
        load_agent_setup(settings)  # every problem of the config file, before serving
    except ConfigFileError as exc:
        sys.exit(f"chatwait: {exc}")
    from chatwait.api.server import serve

    serve(settings)


def _users(args: argparse.Namespace, settings: Settings) -> None:
    """`users create`: an account before the server ever ran (migrates the database first)."""
    from chatwait.accounts import AccountError, Accounts
    from chatwait.store import Database, upgrade_database

    if not args.password_stdin:
        sys.exit("chatwait: users create needs --password-stdin (a password is never an argument)")
    password = sys.stdin.readline().rstrip("\r\n")

    async def create() -> str:
        db = Database(settings.resolved_database_url)
        accounts = Accounts(settings, db)
        try:
            await upgrade_database(db)
            role: Literal["user", "admin"] = "admin" if args.admin else "user"
            user = await accounts.users.create(email=args.email, password=password, role=role)
            return f"created {user.role} {user.email} ({user.id})"
        finally:
            await accounts.close()
            await db.dispose()

    try:
        print(asyncio.run(create()))
    except AccountError as exc:
        sys.exit(f"chatwait: {exc.message}")


def _keys(args: argparse.Namespace, settings: Settings) -> None:
    """`keys rotate`: re-seal every stored provider key under the current secret."""
    from chatwait.accounts.provider_keys import UndecryptableKey, rotate_keys, usable_secret
    from chatwait.store import Database, upgrade_database

    if not args.old_secret_stdin:
        sys.exit("chatwait: keys rotate needs --old-secret-stdin (a secret is never an argument)")
    old_secret = sys.stdin.readline().rstrip("\r\n")
    new_secret = settings.secret_key.get_secret_value()
    if not usable_secret(new_secret):
        sys.exit("chatwait: set the new CHATWAIT_SECRET_KEY (at least 32 bytes) before rotating")
    if not old_secret or old_secret == new_secret:
        sys.exit("chatwait: the old secret (standard input) must differ from CHATWAIT_SECRET_KEY")

    async def rotate() -> int:
        db = Database(settings.resolved_database_url)
        try:
            await upgrade_database(db)
            return await rotate_keys(db, old_secret=old_secret, new_secret=new_secret)
        finally:
            await db.dispose()

    try:
        count = asyncio.run(rotate())
    except UndecryptableKey as exc:
        sys.exit(f"chatwait: nothing rotated: {exc} with the old secret given")
    print(f"re-encrypted {count} provider keys under the new secret")


def _sim(args: argparse.Namespace, settings: Settings) -> None:
    from chatwait.sim import SimConfig, run

    config = SimConfig.from_settings(settings)
    overrides = {
        "ttft_ms": args.ttft_ms,
        "tokens_per_second": args.tokens_per_second,
        "answer_tokens": args.answer_tokens,
    }
    from dataclasses import replace

    config = replace(config, **{k: v for k, v in overrides.items() if v is not None})
    if args.stamp_tokens:
        config = replace(config, stamp_tokens=True)
    run(host=args.host or "127.0.0.1", port=args.port, config=config)


def _db(args: argparse.Namespace, settings: Settings) -> None:
    from chatwait.store import Database

    async def migrate() -> None:
        db = Database(settings.resolved_database_url)
        try:
            if args.action == "upgrade":
                await db.upgrade(args.revision or "head")
            else:
                await db.downgrade(args.revision or "base")
        finally:
            await db.dispose()

    asyncio.run(migrate())
    target = args.revision or ("head" if args.action == "upgrade" else "base")
    print(f"database {args.action} to {target}: done")


def _openapi(args: argparse.Namespace, settings: Settings) -> None:
    from chatwait.api import create_app

    spec = create_app(settings.model_copy(update={"ui_enabled": False})).openapi()
    text = json.dumps(spec, indent=2, ensure_ascii=False) + "\n"
    if args.out == "-":
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text, encoding="utf-8")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="chatwait",
        description="ChatWait: one prompt, several agents. With no command, serves the API "
        "and UI on http://127.0.0.1:8000 (settings from the environment and .env).",
    )
    root.add_argument("--host", help="interface to listen on (CHATWAIT_HOST, default 127.0.0.1)")
    root.add_argument("--port", type=int, help="port to listen on (CHATWAIT_PORT, default 8000)")
    commands = root.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve the API and UI (the default)")
    sim = commands.add_parser("sim", help="run the offline OpenAI-compatible provider alone")
    sim.add_argument("--host", dest="host", default=None)
    sim.add_argument("--port", dest="port", type=int, default=8001)
    sim.add_argument("--ttft-ms", type=float, help="time to first token (SIM_TTFT_MS)")
    sim.add_argument("--tokens-per-second", type=float, help="token rate (SIM_TOKENS_PER_SECOND)")
    sim.add_argument("--answer-tokens", type=int, help="answer length (SIM_ANSWER_TOKENS)")
    sim.add_argument("--stamp-tokens", action="store_true", help="tokens carry their send time")
    db = commands.add_parser("db", help="database migrations")
    db.add_argument("action", choices=["upgrade", "downgrade"])
    db.add_argument("revision", nargs="?", help="target revision (default head / base)")
    users = commands.add_parser("users", help="manage accounts (AUTH_MODE=local)")
    users_commands = users.add_subparsers(dest="users_command", required=True)
    create = users_commands.add_parser("create", help="create an account")
    create.add_argument("email")
    create.add_argument("--admin", action="store_true", help="with role admin")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    keys = commands.add_parser("keys", help="users' stored provider keys")
    keys_commands = keys.add_subparsers(dest="keys_command", required=True)
    rotate = keys_commands.add_parser(
        "rotate", help="re-encrypt every stored provider key under the current CHATWAIT_SECRET_KEY"
    )
    rotate.add_argument(
        "--old-secret-stdin",
        action="store_true",
        help="read the previous CHATWAIT_SECRET_KEY from standard input",
    )
    openapi = commands.add_parser("openapi", help="write the OpenAPI document")
    openapi.add_argument("--out", default="specs/openapi.json", help="file, or - for stdout")
    return root


def _load_settings() -> Settings:
    """Settings, or exit with the problems named (never the values: they may be keys)."""
    try:
        return get_settings()
    except ValidationError as exc:
        problems = "\n".join(
            f"  {'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in exc.errors(include_input=False, include_url=False)
        )
        sys.exit(f"chatwait: invalid settings (environment or .env):\n{problems}")


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    settings = _load_settings()
    if args.command == "sim":
        _sim(args, settings)
        return
    updates = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    settings = settings.model_copy(update=updates)
    if args.command == "db":
        _db(args, settings)
    elif args.command == "users":
        _users(args, settings)
    elif args.command == "keys":
        _keys(args, settings)
    elif args.command == "openapi":
        _openapi(args, settings)
    else:
        _serve(settings)


if __name__ == "__main__":
    main()
