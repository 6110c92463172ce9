"""The account layer without a server: its surface, its layering, its pieces."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import chatwait.accounts as accounts
from chatwait.accounts import InvalidEmail, InvalidToken, normalize_email
from chatwait.accounts._cache import TtlCache
from chatwait.accounts.tokens import AccessTokens, ApiKeyCodec, api_key_id, derive_key

PACKAGE = Path(accounts.__file__).parent


def test_the_exports_are_exactly_the_public_names() -> None:
    assert sorted(accounts.__all__) == sorted(set(accounts.__all__))
    for name in accounts.__all__:
        assert hasattr(accounts, name) and not name.startswith("_")


@pytest.mark.parametrize("module", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_no_http_and_no_turns_in_accounts(module: Path) -> None:
    """DESIGN.md: accounts must not know about HTTP (routes are thin) or turns."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    imported = {
        name.split(".")[0] if not name.startswith("chatwait.") else ".".join(name.split(".")[:2])
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in (
            [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        )
    }
    assert not imported & {"fastapi", "starlette", "chatwait.api", "chatwait.turns"}


def test_emails_are_normalised() -> None:
    assert normalize_email("  Ann.Lee@Example.COM ") == "ann.lee@example.com"
    for bad in ("ann", "ann@", "@example.com", "a@b@c.com", "x" * 400 + "@example.com"):
        with pytest.raises(InvalidEmail):
            normalize_email(bad)


def test_each_purpose_has_its_own_key() -> None:
    assert derive_key("s" * 32, "access-token-v1") != derive_key("s" * 32, "api-key-v1")
    assert len(derive_key("s" * 32, "access-token-v1")) == 32


def test_api_keys_are_recognised_by_shape() -> None:
    codec = ApiKeyCodec("s" * 32)
    key_id, key = codec.new()
    assert api_key_id(key) == key_id and codec.matches(key, codec.digest(key))
    assert not codec.matches(key + "x", codec.digest(key))
    for not_a_key in ("eyJhbGciOi.x.y", "cw_short_x", f"cw_{key_id}_", "cw_" + key_id):
        assert api_key_id(not_a_key) is None


def test_access_tokens_expire() -> None:
    codec = AccessTokens("s" * 32, timedelta(minutes=10))
    now = datetime.now(UTC)
    claims = codec.read(codec.issue(user_id="u", session_id="s", now=now))
    assert (claims.user_id, claims.session_id) == ("u", "s")
    with pytest.raises(InvalidToken):
        codec.read(codec.issue(user_id="u", session_id="s", now=now - timedelta(minutes=11)))


def test_the_cache_forgets_after_its_time_and_on_demand() -> None:
    now = [0.0]
    cache: TtlCache[str] = TtlCache(5.0, max_entries=2, clock=lambda: now[0])
    cache.put("a", "alice")
    cache.put("b", "bob")
    assert cache.get("a") == "alice"
    now[0] = 5.0
    assert cache.get("a") is None, "expired"
    cache.put("c", "carol")
    cache.put("d", "dan")
    cache.put("e", "eve")
    assert cache.get("c") is None, "the oldest entry made room"
    cache.drop_where(lambda held: held == "dan")
    assert cache.get("d") is None and cache.get("e") == "eve"
    off: TtlCache[str] = TtlCache(0)  # AUTH_CACHE_SECONDS=0: read every time
    off.put("x", "xavier")
    assert off.get("x") is None
