"""Limits: turns per minute, concurrent turns, token and cost quotas with reservations, usage.

Knows nothing of HTTP: a refusal is a `LimitExceeded` carrying its code, `retry_after`
and every limit's state; `api/` turns that into a 429 with the RateLimit headers.
"""

from chatwait.limits.errors import LimitExceeded, QuotaExceeded, RateLimited
from chatwait.limits.report import LimitUsage, PeriodUsage, UsageList, UsageReport, UserUsage
from chatwait.limits.service import Limits, end_lease
from chatwait.limits.types import (
    LIMIT_NAMES,
    UNLIMITED,
    Admission,
    LimitName,
    LimitSet,
    LimitState,
    RunEstimate,
    RunUsage,
)

__all__ = [
    "LIMIT_NAMES",
    "UNLIMITED",
    "Admission",
    "LimitExceeded",
    "LimitName",
    "LimitSet",
    "LimitState",
    "LimitUsage",
    "Limits",
    "PeriodUsage",
    "QuotaExceeded",
    "RateLimited",
    "RunEstimate",
    "RunUsage",
    "UsageList",
    "UsageReport",
    "UserUsage",
    "end_lease",
]
