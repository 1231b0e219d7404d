"""The model catalogue: which models exist, on which provider, their context and price."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

GROQ = "groq"
OPENAI_COMPATIBLE = "openai_compatible"


@dataclass(frozen=True)
class ModelSpec:
    name: str
    provider: str
    context_window: int
    usd_per_million_input: Decimal
    usd_per_million_output: Decimal

    def cost_usd_micros(self, prompt_tokens: int, completion_tokens: int) -> int:
        """Cost in millionths of a US dollar (prices are per million tokens, so tokens x price)."""
        value = prompt_tokens * self.usd_per_million_input + completion_tokens * self.usd_per_million_output
        return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# Groq's public prices (USD per million tokens) at the time of writing; update with Groq's page.
GROQ_MODELS = (
    ModelSpec("llama-3.3-70b-versatile", GROQ, 131_072, Decimal("0.59"), Decimal("0.79")),
    ModelSpec("llama-3.1-8b-instant", GROQ, 131_072, Decimal("0.05"), Decimal("0.08")),
)

TASKS = {"long_form": "AI_ROUTE_LONG_FORM", "short": "AI_ROUTE_SHORT"}


def _openai_models() -> list[ModelSpec]:
    models = []
    for entry in settings.AI_OPENAI_MODELS:
        parts = entry.split(":")
        if len(parts) != 4:
            raise ImproperlyConfigured(f"AI_OPENAI_MODELS entry {entry!r}: expected name:context:in_price:out_price")
        name, context, price_in, price_out = parts
        models.append(ModelSpec(name, OPENAI_COMPATIBLE, int(context), Decimal(price_in), Decimal(price_out)))
    return models


def provider_configured(provider: str) -> bool:
    if provider == GROQ:
        return bool(settings.GROQ_API_KEY)
    return bool(settings.AI_OPENAI_BASE_URL)


def catalogue() -> dict[str, ModelSpec]:
    return {m.name: m for m in (*GROQ_MODELS, *_openai_models())}


def route_for(task: str, override: list[str] | None = None) -> list[ModelSpec]:
    """Models to try for ``task``, in order (the workspace's own route when it set one), keeping
    only those whose provider is configured; the OpenAI-compatible models come last as the fallback
    of every route."""
    known = catalogue()
    names = list(override) if override else list(getattr(settings, TASKS[task]))
    names += [m.name for m in _openai_models() if m.name not in names]
    return [known[n] for n in names if n in known and provider_configured(known[n].provider)]
