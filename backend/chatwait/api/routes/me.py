"""The signed-in user, their API keys and their own provider keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from chatwait.api.auth_schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyList,
    ApiKeyPublic,
    UserPublic,
)
from chatwait.api.catalog_schemas import ProviderKeyPublic, ProviderKeyPut
from chatwait.api.deps import AccountsDep, CatalogDep, CurrentUser, LimitsDep
from chatwait.api.schemas import ERROR_RESPONSES, error_responses
from chatwait.limits import UsageReport

router = APIRouter(prefix="/me", tags=["me"])

KeyId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="The key's id.")]
AgentName = Annotated[
    str, Path(max_length=64, description="An agent of GET /models whose provider takes a key.")
]


@router.get("", response_model=UserPublic)
async def me(user: CurrentUser) -> UserPublic:
    """Who the credential belongs to (AUTH_MODE=none: the local user)."""
    return UserPublic(id=user.user_id, email=user.email, role=user.role)


@router.get("/usage", response_model=UsageReport, responses=ERROR_RESPONSES)
async def my_usage(user: CurrentUser, limits: LimitsDep) -> UsageReport:
    """Each limit (`limit`, settled `used`, `reserved` by running turns, `remaining`,
    `resets_at`), and today's and this month's usage by agent and model (UTC)."""
    return await limits.usage(user.user_id)


@router.post(
    "/api-keys",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    responses=ERROR_RESPONSES,
)
async def create_api_key(
    body: ApiKeyCreate, user: CurrentUser, accounts: AccountsDep, response: Response
) -> ApiKeyCreated:
    """A new key, shown in this answer only: it is stored as a hash."""
    made = await accounts.create_api_key(user, name=body.name, expires_at=body.expires_at)
    response.headers["Cache-Control"] = "no-store"
    return ApiKeyCreated(**ApiKeyPublic.of(made.info).model_dump(), key=made.key)


@router.get("/api-keys", response_model=ApiKeyList, responses=ERROR_RESPONSES)
async def list_api_keys(user: CurrentUser, accounts: AccountsDep) -> ApiKeyList:
    """The user's keys: name, prefix, created, last used, expiry (never the key)."""
    keys = await accounts.list_api_keys(user)
    return ApiKeyList(api_keys=[ApiKeyPublic.of(info) for info in keys])


@router.delete(
    "/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT, responses=ERROR_RESPONSES
)
async def delete_api_key(key_id: KeyId, user: CurrentUser, accounts: AccountsDep) -> Response:
    """Delete a key: requests with it fail from now on."""
    await accounts.delete_api_key(user, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/provider-keys/{agent}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(400, 404, 409, 422, 502),
)
async def put_provider_key(
    agent: AgentName, body: ProviderKeyPut, user: CurrentUser, catalog: CatalogDep
) -> Response:
    """Save your own key for an agent's provider (replacing one saved before): your runs of
    that agent use it instead of the server's key. Stored encrypted; never shown again."""
    await catalog.save_key(user.user_id, agent, body.api_key, check=body.validate_key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/provider-keys", response_model=list[ProviderKeyPublic], responses=ERROR_RESPONSES)
async def list_provider_keys(user: CurrentUser, catalog: CatalogDep) -> list[ProviderKeyPublic]:
    """Your provider keys: agent, last four characters, saved, last used (never the key)."""
    return [ProviderKeyPublic.of(info) for info in await catalog.list_keys(user.user_id)]


@router.delete(
    "/provider-keys/{agent}", status_code=status.HTTP_204_NO_CONTENT, responses=ERROR_RESPONSES
)
async def delete_provider_key(agent: AgentName, user: CurrentUser, catalog: CatalogDep) -> Response:
    """Forget your key for an agent: its runs go back to the server's key (or none)."""
    await catalog.delete_key(user.user_id, agent)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
