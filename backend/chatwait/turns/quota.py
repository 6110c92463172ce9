"""What a run is expected to use before it starts, and what it used once it ended."""

from __future__ import annotations

from chatwait.limits import RunEstimate, RunUsage
from chatwait.providers.prices import cost_usd
from chatwait.turns.history import approx_tokens
from chatwait.turns.live_run import LiveRun
from chatwait.turns.records import RunRecord


def estimate(run: LiveRun, *, instructions: str, output_tokens: int) -> RunEstimate:
    """Its prompt (instructions, history, message, ~4 characters a token) plus its
    agent's maximum output (a configured agent's `max_output_tokens`, else
    `output_tokens`), priced like its real usage will be (0 if unpriced)."""
    spec = run.agent.spec
    tuning = spec.tuning
    if tuning is not None and tuning.max_tokens:
        output_tokens = tuning.max_tokens
    prompt = approx_tokens(spec.instructions or instructions)
    for item in run.items:
        content = item.get("content") if isinstance(item, dict) else None
        prompt += approx_tokens(content if isinstance(content, str) else str(content or ""))
    price = cost_usd(
        price_provider=run.agent.provider.price_provider,
        model=run.agent.model,
        input_tokens=prompt,
        output_tokens=output_tokens,
    )
    return RunEstimate(run.run_id, prompt + output_tokens, price or 0.0)


def used(record: RunRecord) -> RunUsage:
    return RunUsage(
        agent=record.agent,
        model=record.model,
        input_tokens=record.usage.input_tokens,
        output_tokens=record.usage.output_tokens,
        cost_usd=record.cost_usd,
    )
