"""Provider keys at rest: AES-256-GCM under a key derived from CHATWAIT_SECRET_KEY.

The 256-bit key comes from HKDF-SHA256 over the secret (a fixed salt and purpose, so the
JWT and API-key hashes, which use the same secret, never share a key with this). Every
record gets a random 96-bit nonce, and `user_id|agent|key_version` is the associated
data: a ciphertext moved to another user's or agent's row, or replayed under another
version, fails authentication instead of decrypting.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_SALT = b"chatwait/provider-keys"
_INFO = b"AES-256-GCM provider key encryption v1"
NONCE_BYTES = 12


class UndecryptableKey(Exception):
    """The record was sealed under another secret, or for another user, agent or version."""


def derive_key(secret: str) -> bytes:
    """The AES-256 key for `secret` (HKDF-SHA256, 32 bytes)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO)
    return hkdf.derive(secret.encode())


def associated_data(user_id: str, agent: str, key_version: int) -> bytes:
    return f"{user_id}|{agent}|{key_version}".encode()


class KeyCipher:
    """Seals and opens provider keys under one secret."""

    def __init__(self, secret: str) -> None:
        self._aead = AESGCM(derive_key(secret))

    def seal(
        self, plaintext: str, *, user_id: str, agent: str, key_version: int
    ) -> tuple[bytes, bytes]:
        """(nonce, ciphertext with its tag) for `plaintext`."""
        nonce = os.urandom(NONCE_BYTES)
        data = associated_data(user_id, agent, key_version)
        return nonce, self._aead.encrypt(nonce, plaintext.encode(), data)

    def open(
        self, nonce: bytes, ciphertext: bytes, *, user_id: str, agent: str, key_version: int
    ) -> str:
        """The key sealed in `ciphertext`; `UndecryptableKey` if it is not this secret's."""
        data = associated_data(user_id, agent, key_version)
        try:
            return self._aead.decrypt(nonce, ciphertext, data).decode()
        except InvalidTag:
            raise UndecryptableKey(f"the stored key for {agent!r} does not open") from None
