"""`specs/openapi.json` is the app's own OpenAPI document, not a stale copy."""

from __future__ import annotations

import json
from pathlib import Path

from chatwait.api import create_app
from chatwait.config import Settings

SPEC = Path(__file__).resolve().parents[2] / "specs" / "openapi.json"


def test_exported_openapi_is_current() -> None:
    app = create_app(Settings(_env_file=None, CHATWAIT_UI=False))  # type: ignore[call-arg]
    assert json.loads(SPEC.read_text(encoding="utf-8")) == app.openapi(), (
        "regenerate with: uv run chatwait openapi --out specs/openapi.json"
    )
