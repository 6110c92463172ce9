"""Compare: Bradley–Terry ratings with intervals, a leaderboard, identity words.

Pure functions over battle records: no providers, no HTTP, no database. `turns/` and the
votes service hand it battles; it hands back standings.
"""

from chatwait.compare.battles import OUTCOMES, Battle, Outcome, Side
from chatwait.compare.bradley_terry import Fit, fit_bradley_terry
from chatwait.compare.identity import IDENTITY_WORDS, names_identity
from chatwait.compare.leaderboard import Standing, standings

__all__ = [
    "IDENTITY_WORDS",
    "OUTCOMES",
    "Battle",
    "Fit",
    "Outcome",
    "Side",
    "Standing",
    "fit_bradley_terry",
    "names_identity",
    "standings",
]
