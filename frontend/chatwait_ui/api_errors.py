"""The one exception type of the UI's backend client, and reading a 2xx JSON object."""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["ApiError", "json_object"]


class ApiError(Exception):
    """A non-2xx answer, or no answer at all, from the backend."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        retryable: bool = False,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after
        """Seconds the backend asked to wait (`Retry-After`), for a 429."""

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiError:
        """Read the backend's error body; fall back to the status line."""
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        retry_after = response.headers.get("Retry-After", "")
        if isinstance(error, dict):
            return cls(
                str(error.get("code") or response.status_code),
                str(error.get("message") or response.reason_phrase),
                status=response.status_code,
                retryable=bool(error.get("retryable")),
                retry_after=int(retry_after) if retry_after.isdigit() else None,
            )
        detail = body.get("detail") if isinstance(body, dict) else None
        message = str(detail) if detail else f"{response.status_code} {response.reason_phrase}"
        return cls(str(response.status_code), message, status=response.status_code)


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The JSON object a 2xx answer carries (the API answers objects only)."""
    body = response.json()
    if not isinstance(body, dict):
        raise ApiError("bad_response", f"expected a JSON object from {response.url.path}")
    return body
