"""Plans: publishing a new version of a plan."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from billing.models import (
    PLAN_TERMS,
    Plan,
)
from billing.selectors import entitlements_cache
from suresh_ai.errors import NotFound, ValidationFailed

logger = logging.getLogger(__name__)


def plan_publish(*, code: str, changes: dict[str, Any]) -> Plan:
    """Publish a new version of plan ``code`` with ``changes`` applied; the old version stays as it
    was (its subscribers keep it) but stops being offered. Yearly defaults to 10x monthly."""
    unknown = set(changes) - set(PLAN_TERMS)
    if unknown:
        raise ValidationFailed("Unknown fields.", detail={field: ["Unknown field."] for field in sorted(unknown)})
    if "price_monthly_paise" in changes and "price_yearly_paise" not in changes:
        changes = {**changes, "price_yearly_paise": int(changes["price_monthly_paise"]) * 10}
    with transaction.atomic():
        current = Plan.objects.select_for_update().filter(code=code, is_current=True).first()
        if current is None:
            raise NotFound(f"No plan {code!r}.", code="plan_not_found")
        values = {field: getattr(current, field) for field in PLAN_TERMS} | changes
        current.is_current = False
        current.save(update_fields=["is_current"])
        plan = Plan(code=code, version=current.version + 1, is_current=True, **values)
        plan.full_clean()
        plan.save()
        transaction.on_commit(entitlements_cache.bump)
    logger.info("plan_published", extra={"plan": code, "version": plan.version})
    return plan
