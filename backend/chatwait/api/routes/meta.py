"""Agents and models on offer (health is in `health.py`: it needs no credentials)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from chatwait.api.deps import RuntimeDep
from chatwait.api.schemas import ModelsResponse

router = APIRouter(tags=["meta"])


@router.get("/models", response_model=ModelsResponse)
async def list_models(runtime: RuntimeDep) -> dict[str, Any]:
    """Every agent: provider, default model, allowlist, availability and why not."""
    return runtime.registry.describe()
