"""Cost of a run from the `genai-prices` package: no hand-written price table."""

from __future__ import annotations

from genai_prices import Usage, calc_price


def cost_usd(
    *, price_provider: str | None, model: str, input_tokens: int, output_tokens: int
) -> float | None:
    """Dollars for this usage, or None when the price is unknown (never a made-up 0)."""
    if price_provider is None:
        return None
    try:
        price = calc_price(
            Usage(input_tokens=input_tokens, output_tokens=output_tokens),
            model,
            provider_id=price_provider,
        )
    except LookupError:
        return None
    return float(price.total_price)
