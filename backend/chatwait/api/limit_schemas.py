"""Bodies of the limit routes: an admin's per-user overrides."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Count = Annotated[int, Field(ge=0, le=2**31 - 1)]
Unlimited = Literal["unlimited"]


class LimitsPatch(BaseModel):
    """`limits` of `PATCH /admin/users/{id}`: a number overrides the server's default,
    `"unlimited"` turns the limit off for this user, `null` restores the default, and a
    name left out stays as it is. 0 refuses every turn."""

    model_config = ConfigDict(extra="forbid")

    turns_per_minute: Count | Unlimited | None = None
    concurrent_turns: Count | Unlimited | None = None
    tokens_per_day: Count | Unlimited | None = None
    cost_usd_per_month: Annotated[float, Field(ge=0, le=1e9)] | Unlimited | None = None

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)
