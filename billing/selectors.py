"""Reads for billing: plans and what a tenant may do now (its entitlements)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import QuerySet, Sum

from billing.features import feature_get
from billing.models import BillingProfile, CreditEntry, Invoice, Payment, Plan, Referral, Subscription
from billing.money import gross_with_gst, percent_of, prorate
from suresh_ai.errors import ApplicationError
from suresh_ai.localcache import VersionedLocalCache
from tenants.models import Tenant

DEFAULT_PLAN_CODE = "starter"
MIN_ADDON_PAISE = 100  # Razorpay charges at least ₹1

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


def entitlements_for(*, plan_code: str, plan_version: int | None = None) -> Entitlements:
    """What a tenant on ``plan_code`` (version ``plan_version``, or the current one) may do now.

    An unknown code or version falls back to the current Starter. Cached per process; emptied in
    every process when a plan is published.
    """
    key = f"{plan_code}:{plan_version or ''}"
    cached = entitlements_cache.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    plans = Plan.objects.filter(code=plan_code, version=plan_version) if plan_version else plans_current()
    plan = plans.filter(code=plan_code).first() or plans_current().filter(code=DEFAULT_PLAN_CODE).first()
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
    entitlements_cache.set(key, entitlements)
    return entitlements


def entitlements_for_tenant(tenant: Tenant) -> Entitlements:
    """The one answer to "what may this tenant do now": its subscription's plan version.

    Reads only the tenant row (kept in step with the subscription by billing.services) and the
    per-process plan cache, so the rate limiter can ask on every request.
    """
    return entitlements_for(plan_code=tenant.plan, plan_version=tenant.plan_version)


class FeatureNotInPlan(ApplicationError):
    status_code = 403
    code = "feature_not_in_plan"


def plans_with_feature(feature: str) -> list[str]:
    """Names of the current plans that include ``feature``, cheapest first."""
    return [p.name for p in plans_current() if feature in (p.features or [])]


def require_feature(tenant: Tenant, feature: str) -> None:
    """Refuse (403 ``feature_not_in_plan``, naming the plans that have it) unless the tenant's
    plan includes ``feature`` (a code in billing.features)."""
    registered = feature_get(feature)
    if registered is None:
        raise LookupError(f"{feature!r} is not in billing.features.FEATURES")
    if feature in entitlements_for_tenant(tenant).features:
        return
    having = plans_with_feature(feature)
    raise FeatureNotInPlan(
        f"{registered.name} is not in your plan." + (f" Available on: {', '.join(having)}." if having else ""),
        detail={"feature": feature, "plans": having},
    )


def subscription_for(tenant: Tenant) -> Subscription | None:
    return Subscription.objects.select_related("plan").filter(tenant=tenant).first()


def billing_profile_for(tenant: Tenant) -> BillingProfile:
    """The tenant's GST details (an unsaved empty profile when none was entered yet)."""
    return BillingProfile.objects.filter(tenant=tenant).first() or BillingProfile(tenant=tenant)


def invoices_of(*, tenant: Tenant) -> QuerySet[Invoice]:
    return Invoice.objects.filter(tenant=tenant).select_related("payment").order_by("-issued_at", "-sequence")


def invoice_get(*, tenant: Tenant, pk: int) -> Invoice | None:
    """One of this tenant's invoices; another tenant's id reads as missing."""
    return invoices_of(tenant=tenant).filter(pk=pk).first()


@dataclass(frozen=True)
class PlanChangeQuote:
    """What changing plan costs, shown before the owner confirms and charged exactly so."""

    plan_code: str
    plan_name: str
    interval: str
    kind: str  # "upgrade" or "downgrade"
    effective: str  # "now" or "period_end"
    effective_at: datetime
    proration_taxable_paise: int
    proration_gst_paise: int
    proration_total_paise: int  # added to the next payment
    remaining_seconds: int
    period_seconds: int
    next_payment_total_paise: int  # the next renewal with GST, proration included
    current_price_paise: int
    new_price_paise: int


def plan_change_quote(*, subscription: Subscription, plan: Plan, interval: str, now: datetime) -> PlanChangeQuote:
    """Upgrades take effect now and add the price difference for the rest of the current period
    (prorated by the second, rounded half-up, GST on top) to the next payment; downgrades take
    effect at the end of the period, with nothing refunded. See docs/billing.md, "Changing plan"."""
    rate = settings.BILLING_GST_RATE_PERCENT
    current = price_for(subscription.plan, interval)
    new = price_for(plan, interval)
    start, end = subscription.current_period_start or now, subscription.current_period_end or now
    charged = subscription.status == Subscription.Status.ACTIVE
    if new > current:
        period = max(1, int((end - start).total_seconds()))
        remaining = max(0, min(period, int((end - now).total_seconds()))) if charged else 0
        taxable = prorate(new - current, remaining_seconds=remaining, period_seconds=period) if charged else 0
        if taxable < MIN_ADDON_PAISE:
            taxable = 0  # below Razorpay's ₹1 minimum charge: waived
        gst = percent_of(taxable, rate)
        return PlanChangeQuote(
            plan_code=plan.code,
            plan_name=plan.name,
            interval=interval,
            kind="upgrade",
            effective="now",
            effective_at=now,
            proration_taxable_paise=taxable,
            proration_gst_paise=gst,
            proration_total_paise=taxable + gst,
            remaining_seconds=remaining,
            period_seconds=period,
            next_payment_total_paise=gross_with_gst(new, rate_percent=rate) + taxable + gst,
            current_price_paise=current,
            new_price_paise=new,
        )
    return PlanChangeQuote(
        plan_code=plan.code,
        plan_name=plan.name,
        interval=interval,
        kind="downgrade",
        effective="period_end",
        effective_at=end,
        proration_taxable_paise=0,
        proration_gst_paise=0,
        proration_total_paise=0,
        remaining_seconds=0,
        period_seconds=max(1, int((end - start).total_seconds())),
        next_payment_total_paise=gross_with_gst(new, rate_percent=rate),
        current_price_paise=current,
        new_price_paise=new,
    )


def price_for(plan: Plan, interval: str) -> int:
    return plan.price_monthly_paise if interval == "monthly" else plan.price_yearly_paise


def referral_summary(*, tenant: Tenant, code: str, signup_url: str) -> dict[str, object]:
    referrals = Referral.objects.filter(referrer=tenant)
    entries = CreditEntry.objects.filter(tenant=tenant).select_related("invoice")[:50]
    return {
        "code": code,
        "signup_url": signup_url,
        "reward_percent": settings.BILLING_REFERRAL_PERCENT,
        "referred": referrals.count(),
        "rewarded": referrals.filter(rewarded_at__isnull=False).count(),
        "credit_balance_paise": int(
            CreditEntry.objects.filter(tenant=tenant).aggregate(t=Sum("amount_paise"))["t"] or 0
        ),
        "credits": [
            {
                "kind": e.kind,
                "amount_paise": e.amount_paise,
                "note": e.note,
                "invoice_number": e.invoice.number if e.invoice else None,
                "created_at": e.created_at,
            }
            for e in entries
        ],
    }


def credit_balance(*, tenant: Tenant) -> int:
    """The tenant's account credit in paise: the sum of its ledger entries."""
    return int(CreditEntry.objects.filter(tenant=tenant).aggregate(t=Sum("amount_paise"))["t"] or 0)


def billing_export(*, tenant: Tenant) -> dict[str, object]:
    """Everything billing holds about a tenant, as plain data (for the workspace's full export)."""
    subscription = subscription_for(tenant)
    profile = BillingProfile.objects.filter(tenant=tenant).first()
    return {
        "subscription": None
        if subscription is None
        else {
            "plan": subscription.plan.code,
            "plan_version": subscription.plan.version,
            "interval": subscription.interval,
            "status": subscription.status,
            "trial_ends_at": subscription.trial_ends_at,
            "current_period_start": subscription.current_period_start,
            "current_period_end": subscription.current_period_end,
            "cancel_at_period_end": subscription.cancel_at_period_end,
        },
        "billing_profile": None
        if profile is None
        else {f: getattr(profile, f) for f in ("legal_name", "gstin", "state_code", "address", "billing_email")},
        "invoices": [
            {
                "number": i.number,
                "issued_at": i.issued_at,
                "lines": i.lines,
                "taxable_paise": i.taxable_paise,
                "cgst_paise": i.cgst_paise,
                "sgst_paise": i.sgst_paise,
                "igst_paise": i.igst_paise,
                "total_paise": i.total_paise,
                "credit_applied_paise": i.credit_applied_paise,
                "place_of_supply": i.place_of_supply,
                "razorpay_payment_id": i.payment.razorpay_payment_id,
            }
            for i in invoices_of(tenant=tenant)
        ],
        "credit_balance_paise": credit_balance(tenant=tenant),
    }


def payments_of(*, tenant: Tenant) -> QuerySet[Payment]:
    """The tenant's Razorpay payments, newest first (charges, authorisations, failures)."""
    return Payment.objects.filter(tenant=tenant).order_by("-created_at", "-id")
