"""HTTP: routes, schemas, SSE framing, error mapping."""

from chatwait.api.app import create_app

__all__ = ["create_app"]
