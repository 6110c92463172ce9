"""Sign up, sign in, refresh, sign out (AUTH_MODE=local; AUTH_MODE=none answers 404).

`router` takes no credentials (it is how one gets them); `session_router` (logout) is
mounted with the protected routes.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from chatwait.api.auth_schemas import Credentials, RefreshRequest, TokenResponse, UserPublic
from chatwait.api.deps import AccountsDep, CurrentUser, client_ip
from chatwait.api.schemas import error_responses

router = APIRouter(prefix="/auth", tags=["auth"])
session_router = APIRouter(prefix="/auth", tags=["auth"])

_ERRORS = error_responses(400, 401, 403, 404, 409, 422, 429)
_NO_STORE = {"Cache-Control": "no-store"}


def _tokens(pair: object, response: Response) -> TokenResponse:
    response.headers.update(_NO_STORE)
    return TokenResponse.model_validate(pair, from_attributes=True)


@router.post(
    "/register",
    response_model=UserPublic,
    status_code=status.HTTP_201_CREATED,
    responses=_ERRORS,
)
async def register(body: Credentials, request: Request, accounts: AccountsDep) -> UserPublic:
    """A new account with role `user` (REGISTRATION=open only; else 403)."""
    user = await accounts.register(email=body.email, password=body.password, ip=client_ip(request))
    return UserPublic(id=user.id, email=user.email, role=user.role)


@router.post("/login", response_model=TokenResponse, responses=_ERRORS)
async def login(
    body: Credentials, request: Request, response: Response, accounts: AccountsDep
) -> TokenResponse:
    """An access token and a refresh token; one 401 for a wrong email or password."""
    pair = await accounts.login(email=body.email, password=body.password, ip=client_ip(request))
    return _tokens(pair, response)


@router.post("/refresh", response_model=TokenResponse, responses=_ERRORS)
async def refresh(body: RefreshRequest, response: Response, accounts: AccountsDep) -> TokenResponse:
    """A new pair for a refresh token, which is spent; a spent one revokes its session."""
    return _tokens(await accounts.refresh(body.refresh_token), response)


@session_router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(400, 403, 404),
)
async def logout(user: CurrentUser, accounts: AccountsDep) -> Response:
    """End this access token's session: its tokens stop working at once."""
    await accounts.logout(user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
