"""Background jobs of the AI engine. Tenant-aware: each runs in the schema it was sent from."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from ai_engine.services import generation
from suresh_ai.errors import ServiceUnavailable
from suresh_ai.tenancy import db
from tenants.models import Tenant


def _tenant() -> Tenant:
    return Tenant.objects.get(schema_name=db().schema_name)


@shared_task(name="ai_engine.generation_batch_run", time_limit=360, soft_time_limit=300)
def generation_batch_run(*, batch_id: int) -> dict[str, Any]:
    """Run a slice (about 4 minutes) of one generation batch, queueing the next slice itself; a
    rerun resumes where it stopped and never repeats an item. Not auto-retried: provider failures
    are recorded per item inside the run."""
    batch = generation.generation_batch_run(batch_id=batch_id, tenant=_tenant())
    return {"batch_id": batch_id, "status": batch.status, "succeeded": batch.succeeded, "failed": batch.failed}


@shared_task(
    name="ai_engine.generation_judge",
    time_limit=90,
    soft_time_limit=80,
    autoretry_for=(ServiceUnavailable,),
    retry_backoff=True,
    retry_kwargs={"max_retries": 3},
)
def generation_judge(*, generation_id: int) -> dict[str, Any]:
    """The optional LLM-as-judge score of one generation (a scored one is left alone)."""
    return {
        "generation_id": generation_id,
        "scored": generation.generation_judge_run(generation_id=generation_id, tenant=_tenant()),
    }
