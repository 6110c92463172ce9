"""Agents and models on offer (health is in `health.py`: it needs no credentials)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from chatwait.api.deps import CatalogDep, CurrentUser
from chatwait.api.schemas import ModelsResponse

router = APIRouter(tags=["meta"])


@router.get("/models", response_model=ModelsResponse)
async def list_models(user: CurrentUser, catalog: CatalogDep) -> dict[str, Any]:
    """Every agent as the caller may use it: provider, default model, the models allowed,
    availability and why not (an agent with no server key is available to the users who
    stored their own, `PUT /me/provider-keys/{agent}`)."""
    return await catalog.describe(user.user_id)
