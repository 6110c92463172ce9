"""Accounts: users, Argon2id passwords, sessions with rotating refresh tokens, API keys.

No HTTP here: `api/` turns these calls and errors into routes and status codes.
"""

from chatwait.accounts.errors import (
    AccountError,
    AuthDisabled,
    EmailTaken,
    Forbidden,
    InvalidCredentials,
    InvalidEmail,
    InvalidRefreshToken,
    InvalidToken,
    NotAuthenticated,
    RegistrationClosed,
    TooManyAttempts,
    WeakPassword,
)
from chatwait.accounts.passwords import Passwords, normalize_email
from chatwait.accounts.service import Accounts
from chatwait.accounts.types import (
    ROLES,
    ApiKeyInfo,
    NewApiKey,
    Principal,
    Role,
    TokenPair,
    UserInfo,
)

__all__ = [
    "ROLES",
    "AccountError",
    "Accounts",
    "ApiKeyInfo",
    "AuthDisabled",
    "EmailTaken",
    "Forbidden",
    "InvalidCredentials",
    "InvalidEmail",
    "InvalidRefreshToken",
    "InvalidToken",
    "NewApiKey",
    "NotAuthenticated",
    "Passwords",
    "Principal",
    "RegistrationClosed",
    "Role",
    "TokenPair",
    "TooManyAttempts",
    "UserInfo",
    "WeakPassword",
    "normalize_email",
]
