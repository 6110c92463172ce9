"""Why an account operation was refused, with stable codes (the HTTP layer maps them).

AccountError (ChatWaitError)
├── NotAuthenticated      401 not_authenticated     no credentials sent
├── InvalidToken          401 invalid_token         bad, expired or revoked token or key
├── InvalidCredentials    401 invalid_credentials   wrong email or password (one answer)
├── InvalidRefreshToken   401 invalid_refresh_token unknown, expired, spent or revoked
├── Forbidden             403 forbidden             signed in, but not allowed (not admin)
├── RegistrationClosed    403 registration_closed   REGISTRATION=closed
├── AuthDisabled          404 auth_disabled         AUTH_MODE=none has no accounts
├── EmailTaken            409 email_taken
├── InvalidEmail          422 invalid_email
├── WeakPassword          422 weak_password
└── TooManyAttempts       429 too_many_attempts     `retry_after` seconds
"""

from __future__ import annotations

from chatwait.errors import ChatWaitError


class AccountError(ChatWaitError):
    """Base of the account layer's refusals."""

    code = "account_error"
    status_code = 400


class NotAuthenticated(AccountError):
    code = "not_authenticated"
    status_code = 401

    def __init__(self, message: str = "send Authorization: Bearer <access token or API key>"):
        super().__init__(message)


class InvalidToken(AccountError):
    code = "invalid_token"
    status_code = 401

    def __init__(self, message: str = "the token or API key is invalid, expired or revoked"):
        super().__init__(message)


class InvalidCredentials(AccountError):
    code = "invalid_credentials"
    status_code = 401

    def __init__(self) -> None:
        super().__init__("wrong email or password")


class InvalidRefreshToken(AccountError):
    code = "invalid_refresh_token"
    status_code = 401

    def __init__(self, message: str = "the refresh token is invalid, expired or revoked"):
        super().__init__(message)


class Forbidden(AccountError):
    code = "forbidden"
    status_code = 403


class RegistrationClosed(AccountError):
    code = "registration_closed"
    status_code = 403

    def __init__(self) -> None:
        super().__init__("registration is closed: ask an admin for an account")


class AuthDisabled(AccountError):
    code = "auth_disabled"
    status_code = 404

    def __init__(self) -> None:
        super().__init__("AUTH_MODE=none: there are no accounts, tokens or API keys here")


class EmailTaken(AccountError):
    code = "email_taken"
    status_code = 409

    def __init__(self) -> None:
        super().__init__("an account with this email exists")


class InvalidEmail(AccountError):
    code = "invalid_email"
    status_code = 422


class WeakPassword(AccountError):
    code = "weak_password"
    status_code = 422


class TooManyAttempts(AccountError):
    code = "too_many_attempts"
    status_code = 429
    retryable = True

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many attempts: try again in {retry_after} s")
        self.retry_after = retry_after
