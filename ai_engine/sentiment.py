"""Sentiment of short texts (reviews, messages): VADER locally by default, the LLM on request.

VADER (the authors' reference implementation) scores a text's compound polarity in [-1, 1]; its
documented thresholds make the label: >= 0.05 positive, <= -0.05 negative, otherwise neutral. The
LLM path renders the prompt library's ``sentiment`` template (its production version, so a
workspace's own version applies), asks the gateway's ``short`` route for JSON with a label, a
score and a short reason, and says so when the model's answer cannot be read (never a guessed label).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from ai_engine.services import Actor, ai_complete
from ai_engine.services.prompts import messages_render, template_get, version_choose
from suresh_ai.errors import ValidationFailed
from tenants.models import Tenant

LABELS = ("positive", "neutral", "negative")
MAX_LOCAL, MAX_LLM, MAX_CHARS = 1_000, 20, 5_000


@dataclass(frozen=True)
class Sentiment:
    label: str | None
    score: float | None
    engine: str
    reason: str = ""
    error: str = ""


@lru_cache(maxsize=1)
def _vader() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()  # loads its lexicon once per process


def _check(texts: Any, limit: int) -> list[str]:
    if not isinstance(texts, list) or not 1 <= len(texts) <= limit:
        raise ValidationFailed.for_field("texts", f"Send 1 to {limit} texts.")
    for index, text in enumerate(texts):
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_CHARS:
            raise ValidationFailed.for_field("texts", f"Text {index}: 1 to {MAX_CHARS} characters.")
    return texts


def sentiment_local(*, texts: Any) -> list[Sentiment]:
    results = []
    for text in _check(texts, MAX_LOCAL):
        compound = float(_vader().polarity_scores(text)["compound"])
        label = "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"
        results.append(Sentiment(label=label, score=round(compound, 4), engine="vader"))
    return results


def sentiment_llm(*, tenant: Tenant, texts: Any, actor: Actor) -> list[Sentiment]:
    """One gateway call per text (cached, metered, within the AI quota)."""
    texts = _check(texts, MAX_LLM)
    template = template_get("sentiment")
    version = version_choose(template=template).version
    business = tenant.display_name or tenant.name
    results = []
    for text in texts:
        completion = ai_complete(
            tenant=tenant,
            task="short",
            messages=messages_render(version, {"business_name": business, "text": text}, None),
            actor=actor,
            temperature=version.temperature,
            max_tokens=version.max_tokens,
            template=template.key,
            template_version=version.number,
            cache_ttl=template.cache_ttl_seconds,
        )
        results.append(_parse(completion.text, engine=f"llm:{completion.model}"))
    return results


def _parse(answer: str, *, engine: str) -> Sentiment:
    start, end = answer.find("{"), answer.rfind("}")
    unreadable = Sentiment(label=None, score=None, engine=engine, error="The model's answer could not be read.")
    try:
        data = json.loads(answer[start : end + 1]) if start >= 0 and end > start else None
        if not isinstance(data, dict):
            return unreadable
        label, score = data["label"], float(data["score"])
    except (ValueError, TypeError, KeyError):
        return unreadable
    if label not in LABELS or not -1 <= score <= 1:
        return unreadable
    return Sentiment(label=label, score=score, engine=engine, reason=str(data.get("reason", ""))[:300])
