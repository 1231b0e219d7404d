"""Reads for billing: plans and what a tenant may do now (its entitlements)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from billing.models import Plan
from suresh_ai.localcache import VersionedLocalCache

DEFAULT_PLAN_CODE = "starter"

# Entitlements are read on every API request (rate limits); cached per process and emptied in
# every process whenever a plan is published (billing.services.plan_publish).
entitlements_cache = VersionedLocalCache("entitlements")


@dataclass(frozen=True)
class Entitlements:
    plan_code: str
    plan_version: int
    plan_name: str
    ai_requests_per_month: int
    seats: int
    api_rate_per_minute: int
    api_burst: int
    rate_limit_bypass: bool
    features: frozenset[str]


def plans_current() -> QuerySet[Plan]:
    return Plan.objects.filter(is_current=True).order_by("sort_order", "code")


def entitlements_for(*, plan_code: str) -> Entitlements:
    """What a tenant on ``plan_code`` may do now (the current version; Starter if the code is unknown).

    Subscriptions will pin a tenant to the version it bought (next billing slice); until then every
    tenant follows the current version of its plan.
    """
    cached = entitlements_cache.get(plan_code)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    plan = plans_current().filter(code=plan_code).first() or plans_current().filter(code=DEFAULT_PLAN_CODE).first()
    if plan is None:
        raise LookupError("No current Starter plan: run migrations (billing.0002 seeds the plans).")
    entitlements = Entitlements(
        plan_code=plan.code,
        plan_version=plan.version,
        plan_name=plan.name,
        ai_requests_per_month=plan.ai_requests_per_month,
        seats=plan.seats,
        api_rate_per_minute=plan.api_rate_per_minute,
        api_burst=plan.api_burst,
        rate_limit_bypass=plan.rate_limit_bypass,
        features=frozenset(plan.features),
    )
    entitlements_cache.set(plan_code, entitlements)
    return entitlements
