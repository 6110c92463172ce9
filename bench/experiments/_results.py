"""Where an experiment's figures go: JSON, its markdown beside it, the markdown printed."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

OUT_DIR = Path(__file__).resolve().parents[1] / "results"


def write_results(
    result: dict[str, Any], out: Path | None, name: str, markdown: Callable[[dict[str, Any]], str]
) -> Path:
    """`out`, or `bench/results/<name>-<time>.json`, and the `.md` beside it; the JSON's path."""
    out = out or OUT_DIR / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    text = markdown(result)
    out.with_suffix(".md").write_text(text)
    print(text)
    return out
