"""Argon2id password hashes (pwdlib), emails normalised, password rules.

Hashing costs ~50 ms of CPU and 64 MiB: it runs in a worker thread (argon2-cffi drops the
GIL) so the event loop keeps serving streams, behind a semaphore so a burst of logins
cannot take the memory of dozens of hashes at once.
"""

from __future__ import annotations

import asyncio
import secrets

from email_validator import EmailNotValidError, validate_email
from pwdlib import PasswordHash
from pwdlib.exceptions import UnknownHashError
from pwdlib.hashers.argon2 import Argon2Hasher

from chatwait.accounts.errors import InvalidEmail, WeakPassword

MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024
"""Argon2 takes any length; the cap keeps a login from hashing a megabyte."""
MAX_EMAIL_CHARS = 320


def normalize_email(email: str) -> str:
    """The form an email is stored and looked up in: validated, NFC, lower case."""
    if len(email) > MAX_EMAIL_CHARS:
        raise InvalidEmail(f"an email has at most {MAX_EMAIL_CHARS} characters")
    try:
        checked = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(f"not a valid email address: {exc}") from None
    return checked.normalized.lower()


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise WeakPassword(f"a password has at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise WeakPassword(f"a password has at most {MAX_PASSWORD_CHARS} characters")


class Passwords:
    """Hash and verify, off the event loop; unknown users verify a dummy hash."""

    def __init__(self, hasher: PasswordHash | None = None, *, concurrency: int = 2) -> None:
        self._hash = hasher or PasswordHash((Argon2Hasher(),))
        self._gate = asyncio.Semaphore(concurrency)
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        async with self._gate:
            return await asyncio.to_thread(self._hash.hash, password)

    async def verify(self, password: str, stored: str | None) -> tuple[bool, str | None]:
        """(matches, a new hash when the stored one used other parameters).

        With no stored hash (unknown email, no password) a dummy hash is verified, so the
        answer takes as long as for a real account and cannot tell the two apart.
        """
        if stored is None:
            stored = await self._dummy_hash()
            await self._verify(password, stored)
            return False, None
        return await self._verify(password, stored)

    async def _verify(self, password: str, stored: str) -> tuple[bool, str | None]:
        async with self._gate:
            try:
                return await asyncio.to_thread(self._hash.verify_and_update, password, stored)
            except UnknownHashError:
                return False, None

    async def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = await self.hash(secrets.token_urlsafe(24))
        return self._dummy
