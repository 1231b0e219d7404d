"""Background jobs of the analytics engines. Tenant-aware (tenant-schemas-celery): a task runs in
the schema it was sent from; a daily job is one dispatcher (beat, public schema) that sends one
task per workspace from inside that workspace's schema."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, tenant_context

from intelligence.engines import segments
from suresh_ai.tenancy import db
from tenants.models import Tenant

logger = logging.getLogger(__name__)


def for_each_workspace(task: Any, **kwargs: Any) -> list[str]:
    """Send ``task`` once per active workspace, from inside its schema (so it runs there);
    returns the schemas, in a stable order."""
    schemas = []
    tenants = Tenant.objects.exclude(schema_name=get_public_schema_name()).filter(status=Tenant.Status.ACTIVE)
    for tenant in tenants.order_by("pk"):
        with tenant_context(tenant):
            task.delay(**kwargs)
        schemas.append(tenant.schema_name)
    return schemas


@shared_task(
    name="intelligence.segments_snapshot",
    time_limit=600,
    soft_time_limit=540,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_kwargs={"max_retries": 3},
)
def segments_snapshot(*, day: str) -> dict[str, Any]:
    """Store one day's RFM snapshot of this workspace (a rerun for the same day is a no-op), then
    apply the snapshots' retention."""
    result = segments.segments_snapshot(day=date.fromisoformat(day))
    pruned = segments.segments_prune(today=timezone.now().date())
    return {
        "schema": db().schema_name,
        "day": day,
        "customers": result.customers,
        "written": result.written,
        "pruned": pruned,
    }


@shared_task(name="intelligence.segments_snapshot_all", time_limit=300, soft_time_limit=270)
def segments_snapshot_all(*, day: str | None = None) -> dict[str, Any]:
    """Daily (beat): one segments_snapshot per active workspace, all for the same day (by default
    yesterday in UTC, the last complete day)."""
    as_of = day or (timezone.now().date() - timedelta(days=1)).isoformat()
    schemas = for_each_workspace(segments_snapshot, day=as_of)
    logger.info("segments_snapshot_dispatched", extra={"day": as_of, "tenants": len(schemas)})
    return {"day": as_of, "schemas": schemas}
