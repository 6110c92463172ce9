"""Access JWTs, opaque refresh tokens and API keys: making, reading, hashing.

One secret (CHATWAIT_SECRET_KEY) yields a separate key per purpose through HKDF, so an
access-token key can never verify an API-key hash or the other way round, and a new
purpose never needs a second secret. Refresh tokens and API keys are stored only as
digests: a refresh token as SHA-256 (256 random bits need no slow hash), an API key as
HMAC-SHA256 under its own key, so a stolen table cannot even be checked offline.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from chatwait.accounts.errors import InvalidToken

ISSUER = "chatwait"
ALGORITHM = "HS256"
API_KEY_PREFIX = "cw_"
REFRESH_PREFIX = "cwr_"
"""Recognisable prefixes, so secret scanners and people can tell what leaked."""


def derive_key(secret: str, purpose: str) -> bytes:
    """A 32-byte key for one purpose, from the server secret."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"chatwait", info=purpose.encode())
    return hkdf.derive(secret.encode())


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: str
    session_id: str
    token_id: str
    expires_at: int


class AccessTokens:
    """Short-lived HS256 JWTs naming the user (`sub`) and the session (`sid`)."""

    def __init__(self, secret: str, lifetime: timedelta) -> None:
        self._key = derive_key(secret, "access-token-v1")
        self.lifetime = lifetime

    def issue(self, *, user_id: str, session_id: str, now: datetime) -> str:
        claims = {
            "iss": ISSUER,
            "sub": user_id,
            "sid": session_id,
            "jti": uuid.uuid4().hex,
            "iat": int(now.timestamp()),
            "exp": int((now + self.lifetime).timestamp()),
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def read(self, token: str) -> AccessClaims:
        """The claims of a token this server signed and that has not expired."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["iss", "sub", "sid", "jti", "exp", "iat"]},
            )
        except jwt.PyJWTError:
            raise InvalidToken() from None
        if not all(isinstance(claims[name], str) for name in ("sub", "sid", "jti")):
            raise InvalidToken()
        return AccessClaims(claims["sub"], claims["sid"], claims["jti"], int(claims["exp"]))


def new_refresh_token() -> str:
    return REFRESH_PREFIX + secrets.token_urlsafe(32)


def refresh_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiKeyCodec:
    """`cw_<id>_<secret>`: the id finds the row, the HMAC of the whole key proves it."""

    def __init__(self, secret: str) -> None:
        self._key = derive_key(secret, "api-key-v1")

    def new(self) -> tuple[str, str]:
        """(key id, the whole key)."""
        key_id = secrets.token_hex(8)
        return key_id, f"{API_KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"

    def digest(self, key: str) -> str:
        return hmac.new(self._key, key.encode(), hashlib.sha256).hexdigest()

    def matches(self, key: str, stored_digest: str) -> bool:
        return hmac.compare_digest(self.digest(key), stored_digest)


def api_key_id(key: str) -> str | None:
    """The id part of something shaped like an API key, else None."""
    if not key.startswith(API_KEY_PREFIX):
        return None
    parts = key.split("_", 2)
    if len(parts) != 3 or len(parts[1]) != 16 or not parts[2]:
        return None
    return parts[1]


def display_prefix(key: str) -> str:
    """Enough of a key to recognise it in a list: `cw_<id>_` and four characters."""
    return key[: len(API_KEY_PREFIX) + 16 + 1 + 4]
