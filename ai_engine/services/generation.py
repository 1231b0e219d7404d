"""The content generator: one template + variables -> one stored, scored generation; batches of
them in a Celery task with progress; ratings, edits and "used" marks; the optional LLM judge.

Call inside the workspace's schema. Every model call goes through the gateway (quota, cache,
fallback, metering); nothing is generated here without it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from ai_engine import quality
from ai_engine.models import AISettings, BrandVoice, Generation, GenerationBatch
from ai_engine.services.gateway import Actor, QuotaExceeded, ai_complete
from ai_engine.services.prompts import messages_render, template_get, variables_validate, version_choose
from billing.selectors import require_feature
from suresh_ai.errors import ApplicationError, Conflict, NotFound, ServiceUnavailable, ValidationFailed
from tenants.models import Tenant

logger = logging.getLogger(__name__)
FEATURE = "ai_content"
MAX_BATCH = 500
STOP_AFTER_PROVIDER_FAILURES = 3
SLICE_SECONDS = 240.0  # under the task's soft time limit (300 s) with one request's deadline to spare


def _subject(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool) or len(str(value)) > 200:
        raise ValidationFailed.for_field("subject", "An end-user or customer id: text of at most 200 characters.")
    return str(value).strip()


def content_generate(
    *,
    tenant: Tenant,
    template_key: str,
    variables: Any,
    actor: Actor,
    subject: Any = None,
    label: str | None = None,
    version: int | None = None,
    use_cache: bool = True,
    batch: GenerationBatch | None = None,
    batch_index: int | None = None,
) -> Generation:
    """Validate the variables (before any model call), choose the version (explicit, label, or
    the A/B split for ``subject``), render with the brand voice, call the gateway, score, store."""
    require_feature(tenant, FEATURE)
    template = template_get(template_key)
    values = variables_validate(template, variables, business_name=tenant.display_name or tenant.name)
    who = _subject(subject)
    choice = version_choose(template=template, subject=who, label=label, number=version)
    voice = BrandVoice.objects.first()
    completion = ai_complete(
        tenant=tenant,
        task=template.task,
        messages=messages_render(choice.version, values, voice),
        actor=actor,
        temperature=choice.version.temperature,
        max_tokens=choice.version.max_tokens,
        use_cache=use_cache,
        template=template.key,
        template_version=choice.version.number,
        cache_ttl=template.cache_ttl_seconds,
    )
    checks = quality.quality_checks(
        text=completion.text, template=template, values=values, avoid=voice.words_to_avoid if voice else []
    )
    generation = Generation.objects.create(
        template=template,
        version=choice.version,
        assignment=choice.assignment,
        subject=who,
        variables=values,
        output=completion.text,
        provider=completion.provider,
        model=completion.model,
        prompt_tokens=completion.prompt_tokens,
        completion_tokens=completion.completion_tokens,
        cost_usd_micros=completion.cost_usd_micros,
        latency_ms=completion.latency_ms,
        cached=completion.cached,
        ai_request_id=completion.request_id,
        quality_score=quality.quality_score(checks),
        quality_checks=quality.checks_as_json(checks),
        batch=batch,
        batch_index=batch_index,
        user_id=actor.user_id,
        api_key_id=actor.api_key_id,
    )
    own = AISettings.objects.first()
    if own is not None and own.judge_enabled:
        from ai_engine.tasks import generation_judge

        transaction.on_commit(lambda: generation_judge.delay(generation_id=generation.pk))
    return generation


def generation_get(pk: int) -> Generation:
    found = Generation.objects.select_related("template", "version").filter(pk=pk).first()
    if found is None:
        raise NotFound("No such generation.")
    return found


def generation_update(*, pk: int, data: dict[str, Any]) -> Generation:
    """What the user did with a generation: rate it (1-5, or null to clear), edit the text (the
    original stays), mark it used (or not)."""
    errors: dict[str, list[str]] = {}
    if "rating" in data:
        rating = data["rating"]
        if rating is not None and (isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5):
            errors["rating"] = ["A whole number from 1 to 5, or null."]
    if "edited_output" in data and (not isinstance(data["edited_output"], str) or len(data["edited_output"]) > 50_000):
        errors["edited_output"] = ["Text of at most 50,000 characters (empty to drop the edit)."]
    if "used" in data and not isinstance(data["used"], bool):
        errors["used"] = ["true or false."]
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(f"{first}: {errors[first][0]}", detail=errors)
    now = timezone.now()
    with transaction.atomic():
        generation = Generation.objects.select_for_update().filter(pk=pk).first()
        if generation is None:
            raise NotFound("No such generation.")
        if "rating" in data:
            generation.rating, generation.rated_at = data["rating"], (now if data["rating"] is not None else None)
        if "edited_output" in data:
            edited = data["edited_output"].strip()
            generation.edited_output = "" if edited == generation.output.strip() else edited
            generation.edited_at = now if generation.edited_output else None
        if "used" in data:
            generation.used_at = (generation.used_at or now) if data["used"] else None
        generation.save(update_fields=["rating", "rated_at", "edited_output", "edited_at", "used_at"])
    return generation_get(pk)


def generation_judge_run(*, generation_id: int, tenant: Tenant) -> bool:
    """Score one generation with the LLM judge on the written rubric (idempotent: a scored
    generation is left alone). An unreadable verdict is logged and left unscored."""
    generation = Generation.objects.select_related("template").filter(pk=generation_id).first()
    if generation is None or generation.judge_score is not None:
        return False
    voice = BrandVoice.objects.first()
    brief = (
        f"Template: {generation.template.name} ({generation.template.get_output_format_display()}).\n"
        f"Inputs: {generation.variables}\n"
        + (
            f"Brand voice: {voice.tone}; audience {voice.audience}.\n"
            if voice and (voice.tone or voice.audience)
            else ""
        )
        + f"\nText to grade:\n{generation.output}"
    )
    completion = ai_complete(
        tenant=tenant,
        task="short",
        messages=[{"role": "system", "content": quality.JUDGE_RUBRIC}, {"role": "user", "content": brief}],
        actor=Actor(),
        temperature=0,
        max_tokens=150,
        template="quality_judge",
    )
    verdict = quality.judge_parse(completion.text)
    if verdict is None:
        logger.warning("ai_judge_unreadable", extra={"generation_id": generation_id})
        return False
    Generation.objects.filter(pk=generation_id, judge_score__isnull=True).update(
        judge_score=verdict[0], judge_reason=verdict[1]
    )
    return True


# --- Batches ---------------------------------------------------------------------------------------


def generation_batch_create(
    *, tenant: Tenant, template_key: str, items: Any, label: Any, actor: Actor
) -> GenerationBatch:
    """Check every item's variables now (errors name the item: ``items.3.variables.sku``), store
    the batch and queue it; nothing is queued when any item is invalid."""
    require_feature(tenant, FEATURE)
    template = template_get(template_key)
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
        raise ValidationFailed.for_field("items", f"A list of 1 to {MAX_BATCH} variable objects.")
    if label not in (None, "production", "staging"):
        raise ValidationFailed.for_field("label", "production or staging.")
    errors: dict[str, list[str]] = {}
    business = tenant.display_name or tenant.name
    for index, item in enumerate(items):
        try:
            variables_validate(template, item, business_name=business)
        except ValidationFailed as exc:
            for name, messages in (exc.detail or {"variables": [exc.message]}).items():
                errors[f"items.{index}.{name}"] = messages
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(f"{first}: {errors[first][0]}", detail=errors)
    with transaction.atomic():
        batch = GenerationBatch.objects.create(
            template=template,
            label=label or "production",
            items=items,
            total=len(items),
            created_by_id=actor.user_id,
            api_key_id=actor.api_key_id,
        )
        from ai_engine.tasks import generation_batch_run

        transaction.on_commit(lambda: generation_batch_run.delay(batch_id=batch.pk))
    return batch


def generation_batch_resume(*, batch_id: int) -> GenerationBatch:
    """Queue a stopped batch again: the items that failed are tried again and the rest carry on;
    what was generated is not repeated."""
    with transaction.atomic():
        batch = GenerationBatch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None:
            raise NotFound("No such batch.")
        if batch.status != GenerationBatch.Status.FAILED:
            raise Conflict(
                f"Only a stopped batch can be resumed; this one is {batch.status}.", code="batch_not_stopped"
            )
        batch.status, batch.errors, batch.failed, batch.stop_reason = GenerationBatch.Status.QUEUED, [], 0, ""
        batch.finished_at = None
        batch.save(update_fields=["status", "errors", "failed", "stop_reason", "finished_at"])
        from ai_engine.tasks import generation_batch_run as task

        transaction.on_commit(lambda: task.delay(batch_id=batch.pk))
    return batch


def generation_batch_run(*, batch_id: int, tenant: Tenant, budget_seconds: float = SLICE_SECONDS) -> GenerationBatch:
    """Generate every item not yet generated (so a retried or restarted task resumes, never
    repeats), saving progress after each. Works for ``budget_seconds`` at a time, then queues the
    rest as a new task (no task outlives its time limit, whatever the batch size). Stops early
    when the quota runs out or the providers fail several times running; what was generated
    stays, and the batch can be resumed."""
    started = time.monotonic()
    with transaction.atomic():
        batch = GenerationBatch.objects.select_for_update().select_related("template").get(pk=batch_id)
        if batch.status in (GenerationBatch.Status.DONE, GenerationBatch.Status.FAILED):
            return batch
        batch.status, batch.started_at = GenerationBatch.Status.RUNNING, batch.started_at or timezone.now()
        batch.save(update_fields=["status", "started_at"])
    done = set(batch.results.values_list("batch_index", flat=True))
    errors = [e for e in batch.errors if e["index"] not in done]
    failed_indexes = {e["index"] for e in errors}
    actor = Actor(user_id=batch.created_by_id, api_key_id=batch.api_key_id)
    provider_failures = 0
    stop_reason = ""
    for index, item in enumerate(batch.items):
        if index in done or index in failed_indexes:
            continue
        try:
            content_generate(
                tenant=tenant,
                template_key=batch.template.key,
                variables=item,
                actor=actor,
                label=batch.label,
                batch=batch,
                batch_index=index,
            )
            done.add(index)
            provider_failures = 0
        except IntegrityError:  # a second run of this batch stored this item first
            done.add(index)
        except QuotaExceeded as exc:
            stop_reason = exc.message
            break
        except ServiceUnavailable as exc:
            errors.append({"index": index, "code": exc.code, "message": exc.message})
            provider_failures += 1
            if provider_failures >= STOP_AFTER_PROVIDER_FAILURES:
                stop_reason = "The AI providers failed several times running; try the rest later."
                break
        except ApplicationError as exc:  # this item only (say, the provider rejected it)
            errors.append({"index": index, "code": exc.code, "message": exc.message})
        GenerationBatch.objects.filter(pk=batch.pk).update(succeeded=len(done), failed=len(errors), errors=errors)
        if time.monotonic() - started > budget_seconds and len(done) + len(errors) < batch.total:
            from ai_engine.tasks import generation_batch_run as task

            transaction.on_commit(lambda: task.delay(batch_id=batch.pk))
            batch.refresh_from_db()
            return batch  # still running: the next slice carries on
    finished = stop_reason == "" and len(done) + len(errors) == batch.total
    GenerationBatch.objects.filter(pk=batch.pk).update(
        succeeded=len(done),
        failed=len(errors),
        errors=errors,
        status=GenerationBatch.Status.DONE if finished else GenerationBatch.Status.FAILED,
        stop_reason=stop_reason,
        finished_at=timezone.now(),
    )
    batch.refresh_from_db()
    return batch
