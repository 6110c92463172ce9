"""Seven named presets: OpenAI-compatible endpoints that one setting turns on.

Each is reached like every other provider (an `AsyncOpenAI` client under the Agents SDK's
Chat Completions model) and differs only in data: its agent name, the setting that enables
it, its genai-prices provider id and its `Quirks`. `<NAME>_BASE_URL`, `<NAME>_MODELS` and
`<NAME>_DEFAULT_MODEL` override the rest (`config.py`). A `COMPATIBLE_PROVIDERS` entry with
a preset's name replaces that preset, so a setup written before the presets keeps working.
Where each quirk comes from is in `docs/providers.md`; in short:

- anthropic: the compatibility endpoint ignores `strict` and `response_format`, needs
  `n` = 1 and returns no thinking (docs.claude.com, "OpenAI SDK compatibility").
- openrouter: relays to many upstreams, so strictness is not guaranteed; reasoning comes
  as `delta.reasoning`; usage on the final chunk (openrouter.ai/docs, streaming).
- deepseek: thinking is on by default and streams `reasoning_content`, which must be sent
  back after tool calls or the next request is a 400; `strict` is a beta-URL feature
  (api-docs.deepseek.com, "Thinking Mode", "Tool Calls").
- groq: `n` other than 1 is a 400; usage comes on an extra late chunk
  (console.groq.com/docs/openai; Portkey-AI/gateway#1338).
- mistral: `stream_options` is a 422 `extra_forbidden`, usage comes unasked on the last
  chunk (openai/openai-agents-python#442, TabbyML/tabby#4082).
- xai: usage on the chunk before a last empty one (BerriAI/litellm#17136).
- ollama: no key; usage only when asked; reasoning as `delta.reasoning`.
"""

from __future__ import annotations

from dataclasses import dataclass

from chatwait.config import Settings
from chatwait.providers._quirks import Quirks
from chatwait.providers.base import Provider

OLLAMA_USUAL_URL = "http://127.0.0.1:11434/v1"
"""Where a local Ollama listens; only named in the reason, never called unconfigured."""


@dataclass(frozen=True, slots=True)
class Preset:
    """A named endpoint: its settings prefix is its name, upper-cased."""

    name: str
    """Agent and provider name (`GET /models`), and the settings prefix."""
    price_provider: str | None
    """genai-prices provider id (`genai_prices.data.providers`); None: no price (local)."""
    quirks: Quirks
    keyed: bool = True
    """False: no key; the base URL setting (unset by default) enables it."""

    @property
    def enabling_setting(self) -> str:
        """The setting whose absence makes this preset unavailable."""
        return f"{self.name.upper()}_{'API_KEY' if self.keyed else 'BASE_URL'}"


PRESETS: tuple[Preset, ...] = (
    Preset(
        "anthropic",
        "anthropic",
        Quirks(strict_tools=False, single_choice=True, response_format=False),
    ),
    Preset("openrouter", "openrouter", Quirks(strict_tools=False, reasoning_field="reasoning")),
    Preset(
        "deepseek",
        "deepseek",
        Quirks(strict_tools=False, reasoning_field="reasoning_content", replay_reasoning=True),
    ),
    Preset(
        "groq",
        "groq",
        Quirks(
            late_usage=True, strict_tools=False, single_choice=True, reasoning_field="reasoning"
        ),
    ),
    Preset("mistral", "mistral", Quirks(stream_usage=False)),
    Preset(
        "xai",
        "x-ai",
        Quirks(late_usage=True, strict_tools=False, reasoning_field="reasoning_content"),
    ),
    Preset("ollama", None, Quirks(strict_tools=False, reasoning_field="reasoning"), keyed=False),
)


def preset_provider(preset: Preset, settings: Settings) -> Provider:
    """`preset` under these settings: available, or saying which setting is missing."""
    prefix = preset.name
    secret = getattr(settings, f"{prefix}_api_key", None)
    key: str | None = secret.get_secret_value() if secret is not None else None
    base_url: str | None = getattr(settings, f"{prefix}_base_url")
    models: list[str] = getattr(settings, f"{prefix}_models")
    default: str | None = getattr(settings, f"{prefix}_default_model")
    configured = key if preset.keyed else base_url
    reason = None if configured else f"{preset.enabling_setting} is not set"
    if reason and not preset.keyed:
        reason += f" (Ollama usually listens at {OLLAMA_USUAL_URL})"
    return Provider(
        name=preset.name,
        base_url=base_url or OLLAMA_USUAL_URL,
        api_key=key,
        models=tuple(models),
        default_model=default or models[0],
        timeout=settings.provider_timeout_seconds,
        max_retries=settings.provider_max_retries,
        price_provider=preset.price_provider,
        unavailable_reason=reason,
        quirks=preset.quirks,
        client_kind=settings.provider_client,
        takes_key=preset.keyed,
    )


def preset_providers(settings: Settings) -> list[Provider]:
    """Every preset, except those a `COMPATIBLE_PROVIDERS` entry of the same name replaces."""
    replaced = {spec.name for spec in settings.compatible_providers}
    return [preset_provider(p, settings) for p in PRESETS if p.name not in replaced]
