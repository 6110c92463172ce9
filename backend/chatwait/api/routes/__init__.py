"""One router per resource, gathered here."""

from fastapi import APIRouter

from chatwait.api.routes import chat, conversations, meta

api_router = APIRouter()
api_router.include_router(chat.router)
api_router.include_router(conversations.router)
api_router.include_router(meta.router)

__all__ = ["api_router"]
