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
import math
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

import groq
import httpx
import openai
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from ai_engine.catalogue import GROQ, TASKS, ModelSpec, route_for
from ai_engine.models import AIRequest, AISettings
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
    if not isinstance(task, str) or task not in TASKS:
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
    if temperature is not None and (
        isinstance(temperature, bool) or not (isinstance(temperature, int | float) and 0 <= temperature <= 2)
    ):
        raise ValidationFailed.for_field("temperature", "A number from 0 to 2.")
    if max_tokens is not None and (
        isinstance(max_tokens, bool) or not (isinstance(max_tokens, int) and 1 <= max_tokens <= 8192)
    ):
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


@contextmanager
def _provider_errors() -> Iterator[None]:
    """Both SDKs' errors as one attempt status: what the fallback loop decides on."""
    try:
        yield
    except (groq.RateLimitError, openai.RateLimitError) as exc:
        raise _AttemptFailed("rate_limited", _retry_after(exc.response)) from exc
    except (groq.APITimeoutError, openai.APITimeoutError) as exc:
        raise _AttemptFailed("timeout") from exc
    except (groq.InternalServerError, openai.InternalServerError) as exc:
        raise _AttemptFailed("server_error") from exc
    except (groq.APIConnectionError, openai.APIConnectionError) as exc:
        raise _AttemptFailed("unreachable") from exc
    except (
        groq.AuthenticationError,
        openai.AuthenticationError,
        groq.PermissionDeniedError,
        openai.PermissionDeniedError,
    ) as exc:
        raise _AttemptFailed("unauthorized") from exc
    except (groq.APIStatusError, openai.APIStatusError) as exc:
        if exc.status_code in (400, 413, 422):
            raise _AttemptFailed("rejected") from exc  # the request itself is wrong: no other model helps
        raise _AttemptFailed(f"http_{exc.status_code}") from exc
    except (groq.APIError, openai.APIError, ValueError) as exc:  # an answer we cannot read
        raise _AttemptFailed("bad_response") from exc


def _call(model: ModelSpec, messages: list[dict[str, str]], params: dict[str, Any]) -> tuple[str, int, int]:
    """One attempt through the provider's official SDK (its own retries off: we retry and record)."""
    with _provider_errors():
        response = _client_for(model).chat.completions.create(model=model.name, messages=messages, **params)
    choice = response.choices[0] if response.choices else None
    if choice is None or choice.message.content is None:
        raise _AttemptFailed("bad_response")  # no answer in it: never charge, cache or return it
    text = choice.message.content
    usage = response.usage
    return text, int(getattr(usage, "prompt_tokens", 0) or 0), int(getattr(usage, "completion_tokens", 0) or 0)


def _client_for(model: ModelSpec) -> Any:
    if model.provider == GROQ:
        return _groq_client(settings.GROQ_API_KEY, settings.GROQ_BASE_URL, settings.AI_TIMEOUT_SECONDS)
    return _openai_client(settings.AI_OPENAI_API_KEY, settings.AI_OPENAI_BASE_URL, settings.AI_TIMEOUT_SECONDS)


# One SDK client per configuration and process: it holds the HTTP connection pool (keep-alive), so
# building one per call would cost a new TCP connection each time. Keyed by the settings it uses.
@lru_cache(maxsize=8)
def _groq_client(api_key: str, base_url: str, timeout: float) -> groq.Groq:
    return groq.Groq(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0)


@lru_cache(maxsize=8)
def _openai_client(api_key: str, base_url: str, timeout: float) -> openai.OpenAI:
    return openai.OpenAI(api_key=api_key or "not-needed", base_url=base_url, timeout=timeout, max_retries=0)


def _open_stream(model: ModelSpec, messages: list[dict[str, str]], params: dict[str, Any]) -> Iterator[Any]:
    """Start a streamed completion and wait for its first chunk, so that failures to connect, 429
    and 5xx surface here (where we can still fall back) rather than in the middle of the answer."""
    extra = {} if model.provider == GROQ else {"stream_options": {"include_usage": True}}
    with _provider_errors():
        stream = _client_for(model).chat.completions.create(
            model=model.name, messages=messages, stream=True, **extra, **params
        )
        iterator = iter(stream)
        try:
            first = next(iterator, None)
        except BaseException:
            stream.close()
            raise

    def chunks() -> Iterator[Any]:
        try:
            if first is not None:
                yield first
            yield from iterator
        finally:
            stream.close()  # a cancelled request hangs up on the provider at once, not at GC

    return chunks()


def _retry_after(response: httpx.Response | Any) -> float | None:
    try:
        value = float(response.headers.get("retry-after"))
    except (TypeError, ValueError, AttributeError):
        return None
    return value if math.isfinite(value) and value >= 0 else None  # nonsense: use our back-off


RETRYABLE = {"rate_limited", "timeout", "server_error", "unreachable", "bad_response"}


class RequestRejected(ApplicationError):
    status_code = 422
    code = "ai_request_rejected"


def _backoff(attempt: int) -> float:
    base = settings.AI_BACKOFF_SECONDS * (2**attempt)
    return base / 2 + random.uniform(0, base / 2)  # noqa: S311 - jitter, not security


@dataclass
class _Request:
    tenant: Tenant
    route: list[ModelSpec]
    params: dict[str, Any]
    messages: list[dict[str, str]]
    base: dict[str, Any]
    started: float = field(default_factory=time.perf_counter)
    now: Any = None
    cache_ttl: int = 0

    def ms(self, since: float | None = None) -> int:
        return int((time.perf_counter() - (since if since is not None else self.started)) * 1000)

    def key(self, model: ModelSpec) -> str:
        return cache_key(schema_name=self.tenant.schema_name, model=model, params=self.params, messages=self.messages)


def _prepare(
    *,
    tenant: Tenant,
    task: Any,
    messages: Any,
    actor: Actor,
    temperature: Any,
    max_tokens: Any,
    template: str = "",
    template_version: int | None = None,
    cache_ttl: int | None = None,
) -> _Request:
    _validate(task, messages, temperature, max_tokens)
    own = AISettings.objects.first()
    route = route_for(task, getattr(own, f"route_{task}", None) if own else None)
    if not route:
        raise ServiceUnavailable(
            "No AI provider is configured: set GROQ_API_KEY, or AI_OPENAI_BASE_URL and AI_OPENAI_MODELS.",
            code="ai_provider_not_configured",
        )
    needed = estimated_tokens(messages) + (max_tokens or DEFAULT_ANSWER_TOKENS)
    fitting = [m for m in route if m.context_window >= needed]
    if not fitting:
        largest = max(m.context_window for m in route)
        raise RequestRejected(
            f"This request needs about {needed} tokens with its answer; the largest model available "
            f"here takes {largest}. Shorten it or lower max_tokens.",
            code="ai_request_too_long",
            detail={"estimated_tokens": needed, "largest_context_window": largest},
        )
    route = fitting  # a model whose context window cannot hold the request is skipped, not tried
    params = {k: v for k, v in (("temperature", temperature), ("max_tokens", max_tokens)) if v is not None}
    base = {
        "task": task,
        "template": template,
        "template_version": template_version,
        "user_id": actor.user_id,
        "api_key_id": actor.api_key_id,
    }
    clean = [{"role": m["role"], "content": m["content"]} for m in messages]
    ttl = settings.AI_CACHE_TTL_SECONDS if cache_ttl is None else cache_ttl
    return _Request(tenant=tenant, route=route, params=params, messages=clean, base=base, cache_ttl=ttl)


# Context-window check before any call: about 4 characters per token for English text with the
# Llama and GPT tokenizers, plus a few tokens of framing per message; rounding up keeps a model
# from being sent what it must refuse.
CHARS_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 4
DEFAULT_ANSWER_TOKENS = 1024


def estimated_tokens(messages: list[dict[str, str]]) -> int:
    return sum(-(-len(m["content"]) // CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE for m in messages)


def _cache_hit(req: _Request) -> tuple[dict[str, Any], AIRequest] | None:
    for model in req.route:
        hit = cache.get(req.key(model))
        if hit is not None:
            record = AIRequest.objects.create(
                **req.base,
                provider=model.provider,
                model=model.name,
                prompt_tokens=hit["prompt_tokens"],
                completion_tokens=hit["completion_tokens"],
                cost_saved_usd_micros=hit["cost_usd_micros"],
                latency_ms=req.ms(),
                cache_hit=True,
                outcome=AIRequest.Outcome.CACHED,
            )
            return hit, record
    return None


def _reserve(req: _Request) -> None:
    req.now = timezone.now()
    limit = entitlements_for_tenant(req.tenant).ai_requests_per_month
    reserved = quota_reserve(schema_name=req.tenant.schema_name, limit=limit, now=req.now)
    if not reserved.allowed:
        AIRequest.objects.create(**req.base, outcome=AIRequest.Outcome.QUOTA)
        raise QuotaExceeded(
            f"This workspace has used its {limit} AI requests for the month.",
            detail={"limit": limit, "used": reserved.used, "resets_at": reserved.resets_at.isoformat()},
        )


def _first_success(req: _Request, opener: Any) -> tuple[ModelSpec | None, Any, list[dict[str, Any]], float]:
    """Try the route's models in order with bounded, jittered retries, within one overall deadline
    (``AI_REQUEST_DEADLINE_SECONDS``, under the web worker's timeout); every attempt is recorded.
    A request the provider rejects as malformed stops at once; a provider that refuses our key is
    skipped for the rest of the route (and logged: it needs staff)."""
    attempts: list[dict[str, Any]] = []
    refused: set[str] = set()
    deadline = req.started + settings.AI_REQUEST_DEADLINE_SECONDS
    for model in req.route:
        if model.provider in refused:
            continue
        for attempt in range(settings.AI_RETRIES_PER_MODEL + 1):
            if time.perf_counter() >= deadline:
                return None, None, attempts, 0.0
            t0 = time.perf_counter()
            try:
                result = opener(model, req.messages, req.params)
            except _AttemptFailed as failure:
                attempts.append(_attempt(model, failure.status, req.ms(t0)))
                if failure.status == "rejected":
                    raise RequestRejected(
                        "The AI provider rejected this request (too long or malformed); shorten or change it.",
                        detail={"attempts": attempts},
                    ) from failure
                if failure.status == "unauthorized":
                    refused.add(model.provider)
                    logger.error("ai_provider_refused_key", extra={"provider": model.provider})
                    break
                if failure.status not in RETRYABLE or attempt == settings.AI_RETRIES_PER_MODEL:
                    break  # next model
                wait = failure.retry_after if failure.retry_after is not None else _backoff(attempt)
                if wait > settings.AI_MAX_RETRY_AFTER_SECONDS or time.perf_counter() + wait >= deadline:
                    break  # longer than we hold a request: next model
                time.sleep(wait)
                continue
            return model, result, attempts, t0
    return None, None, attempts, 0.0


def _attempt(model: ModelSpec, status: str, latency_ms: int) -> dict[str, Any]:
    return {"model": model.name, "provider": model.provider, "status": status, "latency_ms": latency_ms}


def _succeed(
    req: _Request,
    model: ModelSpec,
    text: str,
    prompt_tokens: int,
    completion_tokens: int,
    attempts: list[dict[str, Any]],
) -> Completion:
    cost = model.cost_usd_micros(prompt_tokens, completion_tokens)
    latency = req.ms()
    record = AIRequest.objects.create(
        **req.base,
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
    return completion


def _store(req: _Request, model: ModelSpec, completion: Completion) -> None:
    entry = {k: v for k, v in asdict(completion).items() if k not in ("latency_ms", "cached", "request_id")}
    if req.cache_ttl > 0:
        cache.set(req.key(model), {**entry, "attempts": []}, req.cache_ttl)


def _give_up(req: _Request, attempts: list[dict[str, Any]]) -> None:
    quota_release(schema_name=req.tenant.schema_name, now=req.now)
    AIRequest.objects.create(**req.base, latency_ms=req.ms(), outcome=AIRequest.Outcome.FAILED, attempts=attempts)
    logger.warning("ai_all_attempts_failed", extra={"tenant": req.tenant.schema_name, "attempts": len(attempts)})


UNAVAILABLE = "The AI providers did not answer; nothing was charged to your quota. Try again shortly."


def _reserve_and_reach(req: _Request, opener: Any) -> tuple[ModelSpec, Any, list[dict[str, Any]], float]:
    """Reserve the quota and get a provider's answer (or first chunk). On any failure the
    reservation is given back and the request recorded: 422 when rejected, 503 when no provider
    answered, and an unexpected error is re-raised after the same clean-up."""
    _reserve(req)
    try:
        model, result, attempts, t0 = _first_success(req, opener)
    except RequestRejected as rejected:
        _give_up(req, rejected.detail["attempts"])
        raise
    except BaseException:
        _give_up(req, [])
        raise
    if model is None:
        _give_up(req, attempts)
        raise ServiceUnavailable(UNAVAILABLE, code="ai_provider_unavailable", detail={"attempts": attempts})
    return model, result, attempts, t0


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
    cache_ttl: int | None = None,
) -> Completion:
    """One completion (see the module's docstring for the order of work). ``cache_ttl``: seconds
    this answer may be reused (None: ``AI_CACHE_TTL_SECONDS``; 0: never cached)."""
    req = _prepare(
        tenant=tenant,
        task=task,
        messages=messages,
        actor=actor,
        temperature=temperature,
        max_tokens=max_tokens,
        template=template,
        template_version=template_version,
        cache_ttl=cache_ttl,
    )
    use_cache = use_cache and req.cache_ttl > 0
    if use_cache and (found := _cache_hit(req)) is not None:
        hit, record = found
        return Completion(**{**hit, "latency_ms": record.latency_ms, "cached": True, "request_id": record.pk})
    model, result, attempts, t0 = _reserve_and_reach(req, _call)
    attempts.append(_attempt(model, "ok", req.ms(t0)))
    text, prompt_tokens, completion_tokens = result
    completion = _succeed(req, model, text, prompt_tokens, completion_tokens, attempts)
    if use_cache:
        _store(req, model, completion)
    return completion


@dataclass
class StreamStart:
    """A streamed answer that has passed validation, cache and quota: iterate ``events``."""

    events: Iterator[dict[str, Any]]


def ai_stream(
    *,
    tenant: Tenant,
    task: Any,
    messages: Any,
    actor: Actor,
    temperature: Any = None,
    max_tokens: Any = None,
    use_cache: bool = True,
) -> StreamStart:
    """Like ``ai_complete`` but streamed: the checks (input, provider, quota) run now, so they can
    still be HTTP errors; the returned events are ``{"delta": text}`` pieces, then one
    ``{"done": {...}}`` (or ``{"error": {...}}``). Fallback happens only before the first piece.
    A cached answer is replayed as a stream; a streamed answer is cached once it is complete."""
    req = _prepare(
        tenant=tenant, task=task, messages=messages, actor=actor, temperature=temperature, max_tokens=max_tokens
    )
    if use_cache and (found := _cache_hit(req)) is not None:
        return StreamStart(_replay(*found))
    model, chunks, attempts, t0 = _reserve_and_reach(req, _open_stream)  # before any byte of the response
    # The provider has answered: the request counts. Metered now as interrupted, completed below,
    # so a client that goes away (or a stream never read) still leaves its row.
    record = AIRequest.objects.create(
        **req.base,
        provider=model.provider,
        model=model.name,
        outcome=AIRequest.Outcome.INTERRUPTED,
        attempts=attempts,
    )
    return StreamStart(_stream_events(req, model, chunks, attempts, t0, record, use_cache=use_cache))


def _stream_events(
    req: _Request,
    model: ModelSpec,
    chunks: Iterator[Any],
    attempts: list[dict[str, Any]],
    t0: float,
    record: AIRequest,
    *,
    use_cache: bool,
) -> Iterator[dict[str, Any]]:
    pieces: list[str] = []
    usage = None
    finished = False
    try:
        for chunk in chunks:
            for choice in chunk.choices or []:
                delta = getattr(choice.delta, "content", None)
                if delta:
                    pieces.append(delta)
                    yield {"delta": delta}
                if getattr(choice, "finish_reason", None):
                    finished = True
            usage = getattr(chunk, "usage", None) or getattr(getattr(chunk, "x_groq", None), "usage", None) or usage
    except (groq.APIError, openai.APIError, httpx.HTTPError, ValueError) as exc:
        logger.warning("ai_stream_interrupted", extra={"error": type(exc).__name__})
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()  # also when the client went away (GeneratorExit): stop the provider's stream
        prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
        completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
        cost = model.cost_usd_micros(prompt_tokens, completion_tokens)
        outcome = AIRequest.Outcome.OK if finished else AIRequest.Outcome.INTERRUPTED
        attempts.append(_attempt(model, "ok" if finished else "interrupted", req.ms(t0)))
        AIRequest.objects.filter(pk=record.pk).update(
            outcome=outcome,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost_usd_micros=cost,
            latency_ms=req.ms(),
            attempts=attempts,
        )
    if not finished:  # ended without the provider saying it was done: never cached
        yield {"error": {"code": "ai_stream_interrupted", "message": "The answer stopped part-way."}}
        return
    completion = Completion(
        text="".join(pieces),
        model=model.name,
        provider=model.provider,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cost_usd_micros=cost,
        latency_ms=req.ms(),
        cached=False,
        request_id=record.pk,
        attempts=attempts,
    )
    if use_cache:
        _store(req, model, completion)
    yield {"done": {**asdict(completion), "text": None}}


def _replay(hit: dict[str, Any], record: AIRequest) -> Iterator[dict[str, Any]]:
    words = str(hit["text"]).split(" ")
    for i, word in enumerate(words):
        yield {"delta": word + (" " if i < len(words) - 1 else "")}
    yield {"done": {**hit, "text": None, "latency_ms": record.latency_ms, "cached": True, "request_id": record.pk}}
