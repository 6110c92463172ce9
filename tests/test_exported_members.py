"""Each package's `__all__` names exactly what it exports, both ways (httpx's habit).

A public name a package imports but leaves out of `__all__` is an export nobody declared;
a name in `__all__` that is missing is a broken promise.
"""

from __future__ import annotations

import importlib
import types

import pytest

PACKAGES = [
    "chatwait.api",
    "chatwait.catalog",
    "chatwait.event_log",
    "chatwait.limits",
    "chatwait.providers",
    "chatwait.sim",
    "chatwait.store",
    "chatwait.turns",
    "chatwait.tools",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_matches_the_public_names(name: str) -> None:
    module = importlib.import_module(name)
    exported = module.__all__
    assert sorted(exported) == sorted(set(exported)), "no duplicates"
    public = {
        member
        for member, value in vars(module).items()
        if not member.startswith("_")
        and (not isinstance(value, types.ModuleType) or member in exported)
    }
    public -= {"annotations"}  # `from __future__ import annotations`
    # Submodules are attributes of their package once imported: only those listed count.
    assert set(exported) == public
