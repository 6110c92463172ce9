"""Each package's `__all__` names exactly what it exports (httpx's habit)."""

from __future__ import annotations

import importlib

import pytest

PACKAGES = [
    "chatwait.api",
    "chatwait.providers",
    "chatwait.sim",
    "chatwait.store",
    "chatwait.event_log",
    "chatwait.turns",
    "chatwait.tools",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_names_exist_and_are_public(name: str) -> None:
    module = importlib.import_module(name)
    exported = module.__all__
    assert sorted(exported) == sorted(set(exported)), "no duplicates"
    for member in exported:
        assert hasattr(module, member), f"{name}.{member} is in __all__ but missing"
        assert not member.startswith("_")
