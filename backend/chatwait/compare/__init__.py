"""Compare: Bradley–Terry ratings with intervals, a leaderboard, identity words.

Pure functions over battle records: no providers, no HTTP, no database. `turns/` and the
votes service hand it battles; it hands back standings.
"""

from chatwait.compare.battles import OUTCOMES, Battle, Outcome, Side
from chatwait.compare.bradley_terry import Fit, fit_bradley_terry
from chatwait.compare.identity import IDENTITY_WORDS, names_identity
from chatwait.compare.leaderboard import Standing, Standings, board, standings
from chatwait.compare.style import FEATURES, StyleFit, count_markdown, fit_style_controlled

__all__ = [
    "FEATURES",
    "IDENTITY_WORDS",
    "OUTCOMES",
    "Battle",
    "Fit",
    "Outcome",
    "Side",
    "Standing",
    "Standings",
    "StyleFit",
    "board",
    "count_markdown",
    "fit_bradley_terry",
    "fit_style_controlled",
    "names_identity",
    "standings",
]
