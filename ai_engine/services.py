"""The AI gateway: every AI call in the platform goes through ``ai_complete``.

Order of work: validate → route (task → models with a configured provider; none: 503
``ai_provider_not_configured``) → cache (a hit costs nothing and no quota) → reserve one request
of the plan's monthly quota atomically (none left: 429 ``ai_quota_exceeded``) → try the models in
order, each with bounded, jittered retries, honouring Retry-After on 429, falling back on timeout,
5xx and 429 → record the request with every attempt → cache the answer. If every attempt fails,
the quota reservation is given back and the caller gets 503 ``ai_provider_unavailable``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import groq
import httpx
import openai
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from ai_engine.catalogue import GROQ, TASKS, ModelSpec, route_for
from ai_engine.models import AIRequest
from ai_engine.quota import quota_release, quota_reserve
from billing.selectors import entitlements_for_tenant
from suresh_ai.errors import ApplicationError, ServiceUnavailable, ValidationFailed
from tenants.models import Tenant

logger = logging.getLogger(__name__)
ROLES = ("system", "user", "assistant")
MAX_MESSAGES = 50
MAX_CHARS = 100_000


class QuotaExceeded(ApplicationError):
    status_code = 429
    code = "ai_quota_exceeded"


@dataclass(frozen=True)
class Actor:
    user_id: int | None = None
    api_key_id: int | None = None


@dataclass
class Completion:
    text: str
    model: str
    provider: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd_micros: int
    latency_ms: int
    cached: bool
    request_id: int | None = None
    attempts: list[dict[str, Any]] = field(default_factory=list)


class _AttemptFailed(Exception):
    def __init__(self, status: str, retry_after: float | None = None) -> None:
        super().__init__(status)
        self.status, self.retry_after = status, retry_after


def _validate(task: Any, messages: Any, temperature: Any, max_tokens: Any) -> None:
    if task not in TASKS:
        raise ValidationFailed.for_field("task", f"Choose one of: {', '.join(TASKS)}.")
    if not isinstance(messages, list) or not 1 <= len(messages) <= MAX_MESSAGES:
        raise ValidationFailed.for_field("messages", f"Send 1 to {MAX_MESSAGES} messages.")
    total = 0
    for index, message in enumerate(messages):
        if (
            not isinstance(message, dict)
            or message.get("role") not in ROLES
            or not isinstance(message.get("content"), str)
        ):
            raise ValidationFailed.for_field(
                "messages", f"Message {index}: needs a role ({', '.join(ROLES)}) and text content."
            )
        total += len(message["content"])
    if total > MAX_CHARS:
        raise ValidationFailed.for_field("messages", f"At most {MAX_CHARS} characters in all.")
    if temperature is not None and not (isinstance(temperature, int | float) and 0 <= temperature <= 2):
        raise ValidationFailed.for_field("temperature", "A number from 0 to 2.")
    if max_tokens is not None and not (isinstance(max_tokens, int) and 1 <= max_tokens <= 8192):
        raise ValidationFailed.for_field("max_tokens", "A whole number from 1 to 8192.")


def cache_key(*, schema_name: str, model: ModelSpec, params: dict[str, Any], messages: list[dict[str, str]]) -> str:
    material = json.dumps(
        {
            "tenant": schema_name,
            "provider": model.provider,
            "model": model.name,
            "params": params,
            "messages": messages,
        },
        sort_keys=True,
    )
    return "ai:completion:" + hashlib.sha256(material.encode()).hexdigest()


def _call(model: ModelSpec, messages: list[dict[str, str]], params: dict[str, Any]) -> tuple[str, int, int]:
    """One attempt through the provider's official SDK (its own retries off: we retry and record)."""
    timeout = settings.AI_TIMEOUT_SECONDS
    try:
        if model.provider == GROQ:
            client: Any = groq.Groq(
                api_key=settings.GROQ_API_KEY, base_url=settings.GROQ_BASE_URL, timeout=timeout, max_retries=0
            )
        else:
            client = openai.OpenAI(
                api_key=settings.AI_OPENAI_API_KEY or "not-needed",
                base_url=settings.AI_OPENAI_BASE_URL,
                timeout=timeout,
                max_retries=0,
            )
        response = client.chat.completions.create(model=model.name, messages=messages, **params)
    except (groq.RateLimitError, openai.RateLimitError) as exc:
        raise _AttemptFailed("rate_limited", _retry_after(exc.response)) from exc
    except (groq.APITimeoutError, openai.APITimeoutError) as exc:
        raise _AttemptFailed("timeout") from exc
    except (groq.InternalServerError, openai.InternalServerError) as exc:
        raise _AttemptFailed("server_error") from exc
    except (groq.APIConnectionError, openai.APIConnectionError) as exc:
        raise _AttemptFailed("unreachable") from exc
    except (groq.APIStatusError, openai.APIStatusError) as exc:
        raise _AttemptFailed(f"http_{exc.status_code}") from exc
    choice = response.choices[0] if response.choices else None
    text = (choice.message.content or "") if choice is not None else ""
    usage = response.usage
    return text, int(getattr(usage, "prompt_tokens", 0) or 0), int(getattr(usage, "completion_tokens", 0) or 0)


def _retry_after(response: httpx.Response | Any) -> float | None:
    try:
        return float(response.headers.get("retry-after"))
    except (TypeError, ValueError, AttributeError):
        return None


RETRYABLE = {"rate_limited", "timeout", "server_error", "unreachable"}


def _backoff(attempt: int) -> float:
    base = settings.AI_BACKOFF_SECONDS * (2**attempt)
    return base / 2 + random.uniform(0, base / 2)  # noqa: S311 - jitter, not security


def ai_complete(
    *,
    tenant: Tenant,
    task: Any,
    messages: Any,
    actor: Actor,
    temperature: Any = None,
    max_tokens: Any = None,
    use_cache: bool = True,
    template: str = "",
    template_version: int | None = None,
) -> Completion:
    _validate(task, messages, temperature, max_tokens)
    route = route_for(task)
    if not route:
        raise ServiceUnavailable(
            "No AI provider is configured: set GROQ_API_KEY, or AI_OPENAI_BASE_URL and AI_OPENAI_MODELS.",
            code="ai_provider_not_configured",
        )
    params = {k: v for k, v in (("temperature", temperature), ("max_tokens", max_tokens)) if v is not None}
    clean = [{"role": m["role"], "content": m["content"]} for m in messages]
    started = time.perf_counter()
    base = {"task": task, "template": template, "template_version": template_version}
    ids = {"user_id": actor.user_id, "api_key_id": actor.api_key_id}
    if use_cache:
        for model in route:
            hit = cache.get(cache_key(schema_name=tenant.schema_name, model=model, params=params, messages=clean))
            if hit is not None:
                latency = int((time.perf_counter() - started) * 1000)
                record = AIRequest.objects.create(
                    **base,
                    **ids,
                    provider=model.provider,
                    model=model.name,
                    prompt_tokens=hit["prompt_tokens"],
                    completion_tokens=hit["completion_tokens"],
                    cost_saved_usd_micros=hit["cost_usd_micros"],
                    latency_ms=latency,
                    cache_hit=True,
                    outcome=AIRequest.Outcome.CACHED,
                )
                return Completion(**{**hit, "latency_ms": latency, "cached": True, "request_id": record.pk})
    now = timezone.now()
    limit = entitlements_for_tenant(tenant).ai_requests_per_month
    reserved = quota_reserve(schema_name=tenant.schema_name, limit=limit, now=now)
    if not reserved.allowed:
        AIRequest.objects.create(**base, **ids, outcome=AIRequest.Outcome.QUOTA)
        raise QuotaExceeded(
            f"This workspace has used its {limit} AI requests for the month.",
            detail={"limit": limit, "used": reserved.used, "resets_at": reserved.resets_at.isoformat()},
        )
    attempts: list[dict[str, Any]] = []
    for model in route:
        for attempt in range(settings.AI_RETRIES_PER_MODEL + 1):
            t0 = time.perf_counter()
            try:
                text, prompt_tokens, completion_tokens = _call(model, clean, params)
            except _AttemptFailed as failure:
                attempts.append(
                    {
                        "model": model.name,
                        "provider": model.provider,
                        "status": failure.status,
                        "latency_ms": int((time.perf_counter() - t0) * 1000),
                    }
                )
                if failure.status not in RETRYABLE or attempt == settings.AI_RETRIES_PER_MODEL:
                    break  # next model
                wait = failure.retry_after if failure.retry_after is not None else _backoff(attempt)
                if wait > settings.AI_MAX_RETRY_AFTER_SECONDS:
                    break  # the provider asks for longer than we hold a request: next model
                time.sleep(wait)
                continue
            latency = int((time.perf_counter() - started) * 1000)
            attempts.append(
                {
                    "model": model.name,
                    "provider": model.provider,
                    "status": "ok",
                    "latency_ms": int((time.perf_counter() - t0) * 1000),
                }
            )
            cost = model.cost_usd_micros(prompt_tokens, completion_tokens)
            record = AIRequest.objects.create(
                **base,
                **ids,
                provider=model.provider,
                model=model.name,
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                cost_usd_micros=cost,
                latency_ms=latency,
                outcome=AIRequest.Outcome.OK,
                attempts=attempts,
            )
            completion = Completion(
                text=text,
                model=model.name,
                provider=model.provider,
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                cost_usd_micros=cost,
                latency_ms=latency,
                cached=False,
                request_id=record.pk,
                attempts=attempts,
            )
            if use_cache:
                entry = {k: v for k, v in asdict(completion).items() if k not in ("latency_ms", "cached", "request_id")}
                entry["attempts"] = []
                cache.set(
                    cache_key(schema_name=tenant.schema_name, model=model, params=params, messages=clean),
                    entry,
                    settings.AI_CACHE_TTL_SECONDS,
                )
            return completion
    quota_release(schema_name=tenant.schema_name, now=now)
    AIRequest.objects.create(
        **base,
        **ids,
        latency_ms=int((time.perf_counter() - started) * 1000),
        outcome=AIRequest.Outcome.FAILED,
        attempts=attempts,
    )
    logger.warning("ai_all_attempts_failed", extra={"tenant": tenant.schema_name, "attempts": len(attempts)})
    raise ServiceUnavailable(
        "The AI providers did not answer; nothing was charged to your quota. Try again shortly.",
        code="ai_provider_unavailable",
        detail={"attempts": attempts},
    )
