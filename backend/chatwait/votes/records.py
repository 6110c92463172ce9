"""The shapes of votes and leaderboards as clients see them."""

from __future__ import annotations

from pydantic import BaseModel, Field

from chatwait.turns import TurnRecord


class VoteResult(BaseModel):
    """What a vote stored, and the turn it revealed."""

    vote_id: str
    turn_id: str
    kind: str = Field(description="winner | tie | both_bad | ranking")
    winner_run_id: str | None
    ranking: list[str] | None = Field(None, description="Run ids, best first.")
    blind: bool
    battles: int = Field(description="Pairwise battles the vote implies.")
    counted: bool = Field(description="Whether the battles count on the leaderboard.")
    reason: str | None = Field(None, description="Why they do not count.")
    identity: bool = Field(
        description="An answer named a model family or vendor: not on the blind board."
    )
    time_to_vote_ms: float | None
    turn: TurnRecord


class LeaderboardRow(BaseModel):
    model: str
    agent: str
    rating: float = Field(description="Bradley–Terry, Elo scale (400 points = 10:1 odds).")
    ci_low: float = Field(description="95 % interval, low end.")
    ci_high: float
    rank: int | None = Field(
        description="1 + models whose interval lies wholly above; null below the minimum "
        "battles (LEADERBOARD_MIN_BATTLES)."
    )
    battles: int
    wins: int
    ties: int = Field(description="Ties and both-bad votes (each half a win).")
    losses: int
    win_rate: float
    median_ttft_ms: float | None
    median_latency_ms: float | None
    mean_cost_usd: float | None = Field(description="Per answer, over answers with a price.")
    cost_per_win: float | None
    style_rating: float = Field(
        description="Bradley–Terry with answer length and markdown as covariates (style "
        "control): the rating a model keeps once longer or more formatted answers are "
        "credited to style."
    )
    style_ci_low: float = Field(description="95 % interval of style_rating, low end.")
    style_ci_high: float
    style_rank: int | None = Field(
        description="As rank, over the style intervals; null below the minimum battles."
    )


class StyleCoefficients(BaseModel):
    """The style covariates' fitted weights: log-odds per root mean square of the
    normalised difference (a − b) / (a + b + 1) of the two answers. Positive: voters prefer
    the longer (`length`) or more formatted (`markdown`) answer."""

    length: float
    markdown: float


class Leaderboard(BaseModel):
    items: list[LeaderboardRow]
    style: StyleCoefficients = Field(
        description="The style coefficients behind style_rating (0 with no battles)."
    )
    scope: str
    board: str = Field(description="blind: blind battles that named no model | all")
    since: str | None
    battles: int = Field(description="Counted battles the board is fitted to.")
    min_battles: int
    computed_at: str
