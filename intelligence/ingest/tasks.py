"""Background jobs of ingestion (tenant-aware: each runs in the schema it was sent from). Loaded by
IntelligenceConfig.ready(), so workers register them beside intelligence/tasks.py."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from intelligence import services


@shared_task(name="intelligence.import_run", time_limit=3600, soft_time_limit=3500)
def import_run(*, job_id: int) -> dict[str, Any]:
    """Run one CSV import; a rerun starts it again (idempotent upserts). Not auto-retried."""
    try:
        job = services.import_run(job_id=job_id)
    except SoftTimeLimitExceeded:
        services.import_fail(job_id=job_id, reason="The import took longer than an hour; split the file.")
        raise
    return {"job_id": job_id, "status": job.status, "rows": job.processed_rows, "errors": job.error_count}


@shared_task(name="intelligence.payments_spike_check", time_limit=60, soft_time_limit=50)
def payments_spike_check() -> dict[str, Any]:
    """This workspace's payment-failure spike check for the last full hour (idempotent)."""
    from intelligence.engines.payments import failure_spike_check

    insight = failure_spike_check()
    return {"insight": insight.pk if insight else None}


@shared_task(name="intelligence.payments_spike_check_all", time_limit=300, soft_time_limit=270)
def payments_spike_check_all() -> dict[str, Any]:
    """Hourly (beat): one payments_spike_check per active workspace, each in its own schema."""
    from intelligence.tasks import for_each_workspace

    return {"schemas": for_each_workspace(payments_spike_check)}
