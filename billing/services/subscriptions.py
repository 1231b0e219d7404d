"""Subscriptions: the trial, Razorpay checkout, state from Razorpay, payments."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing.gateway import call, client, verify_subscription_payment
from billing.models import (
    Interval,
    Payment,
    Plan,
    RazorpayPlan,
    Subscription,
    SubscriptionChange,
)
from billing.money import gross_with_gst
from billing.selectors import plans_current, price_for
from billing.services.coupons import coupon_discount, coupon_for_code, coupon_redeem
from billing.services.dunning import dunning_recovery_record
from billing.services.invoices import Charge, invoice_issue_for_payment
from suresh_ai.errors import Conflict, ValidationFailed
from tenants.models import Tenant

logger = logging.getLogger(__name__)


# --- Subscriptions ------------------------------------------------------------------------------

Status = Subscription.Status

# Razorpay's subscription statuses, ours, and the lifecycle rank that breaks ties between two
# events stamped in the same second (Razorpay's created_at has one-second resolution).
RAZORPAY_STATUS: dict[str, tuple[str, int]] = {
    "created": (Status.CREATED, 1),
    "authenticated": (Status.AUTHENTICATED, 2),
    "active": (Status.ACTIVE, 3),
    "pending": (Status.PAST_DUE, 4),
    "halted": (Status.HALTED, 5),
    "paused": (Status.PAUSED, 6),
    "cancelled": (Status.CANCELLED, 7),
    "completed": (Status.COMPLETED, 8),
    "expired": (Status.EXPIRED, 9),
}
# A state fetched from Razorpay counts as of this long ago, so that a webhook Razorpay stamps just
# after the fetch still wins if our clock runs a little ahead of Razorpay's.
FETCH_CLOCK_SKEW = timedelta(seconds=30)
# Razorpay subscriptions need a fixed number of billing cycles: ten years of either interval.
TOTAL_COUNT = {Interval.MONTHLY: 120, Interval.YEARLY: 10}


def restricted_after_for(subscription: Subscription, *, now: datetime) -> datetime | None:
    """When this subscription stops allowing writes (restricted mode), or None while it is paid up."""
    s = subscription
    if s.status in (Status.AUTHENTICATED, Status.ACTIVE):
        return None
    if s.status in (Status.TRIALING, Status.CREATED, Status.EXPIRED):
        return s.trial_ends_at or now
    if s.status in (Status.PAST_DUE, Status.HALTED):
        return (s.past_due_since or now) + timedelta(days=settings.BILLING_GRACE_DAYS)
    if s.status == Status.PAUSED:
        return s.paused_at or now
    return s.current_period_end or s.ended_at or now  # cancelled or completed: paid-for time runs out


def _sync_tenant(subscription: Subscription, *, now: datetime) -> None:
    """Write what the tenant may do now onto its row (read by every request), in the caller's transaction."""
    tenant = subscription.tenant
    tenant.plan = subscription.plan.code
    tenant.plan_version = subscription.plan.version
    tenant.restricted_after = restricted_after_for(subscription, now=now)
    tenant.save(update_fields=["plan", "plan_version", "restricted_after"])  # post_save bumps the tenancy cache


def _record_change(
    subscription: Subscription,
    *,
    source: str,
    from_status: str,
    from_plan: Plan | None,
    event_id: str = "",
    actor_email: str = "",
    note: str = "",
    always: bool = False,
    at: datetime | None = None,
) -> None:
    """Audit one change; a no-op apply (same status and plan) is not recorded unless ``always``."""
    unchanged = from_status == subscription.status and from_plan == subscription.plan
    if unchanged and not always and source != SubscriptionChange.Source.TRIAL:
        return
    SubscriptionChange.objects.create(
        subscription=subscription,
        at=at or timezone.now(),
        to_interval=subscription.interval,
        source=source,
        from_status=from_status,
        to_status=subscription.status,
        from_plan=from_plan,
        to_plan=subscription.plan,
        event_id=event_id,
        actor_email=actor_email,
        note=note[:200],
    )


def trial_start(*, tenant: Tenant, now: datetime | None = None) -> Subscription:
    """Start the sign-up trial (called by tenant_create inside its transaction). Idempotent."""
    now = now or timezone.now()
    existing = Subscription.objects.filter(tenant=tenant).first()
    if existing is not None:
        return existing
    plan = plans_current().filter(code=settings.BILLING_TRIAL_PLAN).first() or plans_current().first()
    if plan is None:
        raise LookupError("No plans: run migrations (billing.0002 seeds them).")
    subscription = Subscription.objects.create(
        tenant=tenant,
        plan=plan,
        status=Status.TRIALING,
        trial_ends_at=now + timedelta(days=settings.BILLING_TRIAL_DAYS),
        current_period_start=now,
        current_period_end=now + timedelta(days=settings.BILLING_TRIAL_DAYS),
    )
    _record_change(subscription, source=SubscriptionChange.Source.TRIAL, from_status="", from_plan=None)
    _sync_tenant(subscription, now=now)
    return subscription


def _timestamp(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


def subscription_apply(
    *,
    subscription: Subscription,
    entity: dict[str, Any],
    as_of: datetime,
    source: str,
    event_id: str = "",
    actor_email: str = "",
    force: bool = False,
    now: datetime | None = None,
) -> bool:
    """Apply Razorpay's subscription entity as of ``as_of`` (the event's time, or now for a fetch).

    The caller holds the subscription's row lock. An entity older than the state already applied
    is ignored, so redelivered and out-of-order webhooks converge on the newest state; ``force``
    applies it anyway (Razorpay's answer to our own change is the newest state there is). A plan
    id older than our last plan change is not applied either. Returns whether anything was applied.
    """
    now = now or timezone.now()
    status, rank = RAZORPAY_STATUS.get(str(entity.get("status")), (None, 0))
    if status is None:
        logger.warning("razorpay_unknown_subscription_status", extra={"status": str(entity.get("status"))[:40]})
        return False
    stale = subscription.state_as_of is not None and (as_of, rank) < (subscription.state_as_of, subscription.state_rank)
    if stale and not force:
        return False
    from_status, from_plan = subscription.status, subscription.plan
    link = RazorpayPlan.objects.select_related("plan").filter(razorpay_plan_id=entity.get("plan_id")).first()
    if link is not None and (subscription.plan_changed_at is None or as_of >= subscription.plan_changed_at):
        subscription.plan, subscription.interval = link.plan, link.interval
        if subscription.scheduled_plan_id == link.plan_id:
            subscription.scheduled_plan = None  # a scheduled downgrade took effect
    subscription.status = status
    subscription.state_as_of, subscription.state_rank = as_of, rank
    start, end = _timestamp(entity.get("current_start")), _timestamp(entity.get("current_end"))
    if start and end:
        subscription.current_period_start, subscription.current_period_end = start, end
    episode = subscription.past_due_since
    if status in (Status.PAST_DUE, Status.HALTED):
        subscription.past_due_since = subscription.past_due_since or as_of
        if episode is None:
            subscription_pk = subscription.pk
            transaction.on_commit(lambda: _enqueue_dunning(subscription_pk))
    else:
        subscription.past_due_since = None
        if episode is not None and status == Status.ACTIVE:
            dunning_recovery_record(subscription=subscription, episode_start=episode, recovered_at=as_of)
    subscription.paused_at = (subscription.paused_at or as_of) if status == Status.PAUSED else None
    if status in (Status.CANCELLED, Status.COMPLETED, Status.EXPIRED):
        subscription.ended_at = _timestamp(entity.get("ended_at")) or as_of
    subscription.cancel_at_period_end = status == Status.ACTIVE and subscription.cancel_at_period_end
    subscription.save()
    _record_change(
        subscription,
        source=source,
        from_status=from_status,
        from_plan=from_plan,
        event_id=event_id,
        actor_email=actor_email,
        at=as_of,  # when it happened at Razorpay, which the revenue metrics replay
    )
    _sync_tenant(subscription, now=now)
    return True


def _enqueue_dunning(subscription_pk: int) -> None:
    from billing.tasks import dunning_send

    dunning_send.delay(subscription_id=subscription_pk)


def _razorpay_plan(plan: Plan, interval: str, discount_paise: int = 0) -> RazorpayPlan:
    """The Razorpay plan for this version, interval and coupon discount, created on first use
    (GST included: Razorpay charges exactly what our invoice will total)."""
    existing = RazorpayPlan.objects.filter(plan=plan, interval=interval, discount_paise=discount_paise).first()
    if existing is not None:
        return existing
    price = plan.price_monthly_paise if interval == Interval.MONTHLY else plan.price_yearly_paise
    amount = gross_with_gst(price - discount_paise, rate_percent=settings.BILLING_GST_RATE_PERCENT)
    if amount < 100:
        raise ValidationFailed.for_field("coupon", "The discounted price must be at least ₹1.")
    gateway = client()
    created = call(
        "plan.create",
        gateway.plan.create,
        {
            "period": interval,
            "interval": 1,
            "item": {"name": f"{plan.name} ({interval})", "amount": amount, "currency": "INR"},
            "notes": {"plan_code": plan.code, "plan_version": str(plan.version), "discount_paise": str(discount_paise)},
        },
    )
    link, _ = RazorpayPlan.objects.get_or_create(
        plan=plan,
        interval=interval,
        discount_paise=discount_paise,
        defaults={"razorpay_plan_id": created["id"], "amount_paise": amount},
    )
    return link


def _plan_for(code: Any, interval: Any) -> tuple[Plan, str]:
    if interval not in Interval.values:
        raise ValidationFailed.for_field("interval", f"Choose one of: {', '.join(Interval.values)}.")
    plan = plans_current().filter(code=str(code)).first() if isinstance(code, str) else None
    if plan is None:
        raise ValidationFailed.for_field("plan", "Unknown plan.")
    return plan, str(interval)


@dataclass(frozen=True)
class Checkout:
    """What the browser needs to open Razorpay Checkout (amounts decided here, never by the browser)."""

    key_id: str
    subscription_id: str
    amount_paise: int
    plan_name: str
    interval: str
    prefill_email: str
    brand_name: str
    discount_paise: int = 0
    coupon: str = ""


def checkout_start(
    *, tenant: Tenant, plan_code: Any, interval: Any, actor_email: str, coupon_code: Any = None
) -> Checkout:
    """Create (or reuse) the Razorpay subscription the tenant will authorise in Checkout.

    Nothing is granted here: the plan changes only when Razorpay says the subscription is
    authorised (checkout_complete or a webhook). A coupon is redeemed in this transaction (given
    back if anything fails). An earlier unpaid Razorpay subscription is cancelled first, and one the
    customer did authorise meanwhile is adopted instead of being abandoned.
    """
    plan, interval = _plan_for(plan_code, interval)
    now = timezone.now()
    coupon = coupon_for_code(code=coupon_code, plan=plan, now=now) if coupon_code else None
    discount = coupon_discount(coupon, price_for(plan, interval)) if coupon else 0
    link = _razorpay_plan(plan, interval, discount)  # committed on its own: webhooks must map its id
    gateway = client()
    adopted = False
    with transaction.atomic():
        # The row lock makes a double click create one Razorpay subscription, not two.
        subscription = Subscription.objects.select_for_update().select_related("plan", "tenant").get(tenant=tenant)
        if subscription.status in (Status.AUTHENTICATED, Status.ACTIVE, Status.PAST_DUE, Status.HALTED, Status.PAUSED):
            raise Conflict(
                "This workspace already has a subscription; change its plan instead.", code="subscription_exists"
            )
        reusable = (
            subscription.status == Status.CREATED
            and subscription.razorpay_subscription_id
            and subscription.checkout_plan_id == link.razorpay_plan_id
        )
        if not reusable and subscription.status == Status.CREATED and subscription.razorpay_subscription_id:
            adopted = _retire_unpaid_checkout(subscription, gateway, now=now)
        if not adopted:
            if coupon is not None:
                coupon_redeem(coupon=coupon, tenant=tenant, subscription=subscription, discount_paise=discount, now=now)
            if not reusable:
                _razorpay_subscription_create(subscription, link, gateway, actor_email=actor_email, now=now)
    if adopted:
        raise Conflict(
            "The earlier checkout was already authorised; this workspace is subscribed. Change plan instead.",
            code="subscription_exists",
        )
    return Checkout(
        key_id=settings.RAZORPAY_KEY_ID,
        subscription_id=str(subscription.razorpay_subscription_id),
        amount_paise=link.amount_paise,
        plan_name=plan.name,
        interval=interval,
        prefill_email=actor_email,
        brand_name=tenant.brand_name,
        discount_paise=discount,
        coupon=coupon.code if coupon else "",
    )


def _retire_unpaid_checkout(subscription: Subscription, gateway: Any, *, now: datetime) -> bool:
    """Before a new checkout replaces an unpaid one: if the customer authorised the old one after
    all, adopt it (returns True); otherwise cancel it at Razorpay so it can never charge."""
    old_id = str(subscription.razorpay_subscription_id)
    entity = call("subscription.fetch", gateway.subscription.fetch, old_id)
    if entity.get("status") in ("authenticated", "active"):
        subscription_apply(
            subscription=subscription,
            entity=entity,
            as_of=now,
            source=SubscriptionChange.Source.CHECKOUT,
            force=True,
            now=now,
        )
        return True
    if entity.get("status") == "created":
        call("subscription.cancel", gateway.subscription.cancel, old_id, {"cancel_at_cycle_end": 0})
    return False


def _razorpay_subscription_create(
    subscription: Subscription, link: RazorpayPlan, gateway: Any, *, actor_email: str, now: datetime
) -> None:
    tenant = subscription.tenant
    if not subscription.razorpay_customer_id:
        customer = call(
            "customer.create",
            gateway.customer.create,
            {
                "name": tenant.name[:50],
                "email": actor_email,
                "fail_existing": "0",
                "notes": {"tenant": tenant.schema_name},
            },
        )
        subscription.razorpay_customer_id = customer["id"]
    data: dict[str, Any] = {
        "plan_id": link.razorpay_plan_id,
        "customer_id": subscription.razorpay_customer_id,
        "total_count": TOTAL_COUNT[Interval(link.interval)],
        "quantity": 1,
        "customer_notify": 1,
        "notes": {"tenant": tenant.schema_name},
    }
    if subscription.trial_ends_at and subscription.trial_ends_at > now + timedelta(hours=1):
        data["start_at"] = int(subscription.trial_ends_at.timestamp())  # first charge when the trial ends
    created = call("subscription.create", gateway.subscription.create, data)
    from_status = subscription.status
    subscription.razorpay_subscription_id = created["id"]
    subscription.checkout_plan_id = link.razorpay_plan_id
    subscription.razorpay_short_url = str(created.get("short_url") or "")[:200]
    subscription.status = Status.CREATED  # the plan and entitlements stay as they are until authorised
    subscription.state_as_of, subscription.state_rank = None, 0
    subscription.save()
    _record_change(
        subscription,
        source=SubscriptionChange.Source.CHECKOUT,
        from_status=from_status,
        from_plan=subscription.plan,
        actor_email=actor_email,
        note=f"checkout started for {link.plan.name} ({link.interval})",
        always=True,
    )
    _sync_tenant(subscription, now=now)


def checkout_complete(*, tenant: Tenant, payment_id: Any, subscription_id: Any, signature: Any) -> Subscription:
    """Checkout's success callback: verify the signature, then take the state from Razorpay itself.

    Nothing is granted on the browser's word: the signature must verify with our key secret, and
    the subscription's status is fetched from Razorpay before it is applied.
    """
    for field, value in (
        ("razorpay_payment_id", payment_id),
        ("razorpay_subscription_id", subscription_id),
        ("razorpay_signature", signature),
    ):
        if not isinstance(value, str) or not value or len(value) > 128:
            raise ValidationFailed.for_field(field, "This field is required.")
    verify_subscription_payment(payment_id=payment_id, subscription_id=subscription_id, signature=signature)
    gateway = client()
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().select_related("plan", "tenant").get(tenant=tenant)
        if subscription.razorpay_subscription_id != subscription_id:
            raise ValidationFailed.for_field("razorpay_subscription_id", "Not this workspace's subscription.")
        entity = call("subscription.fetch", gateway.subscription.fetch, subscription_id)
        payment = call("payment.fetch", gateway.payment.fetch, payment_id)
        payment_settle(payment=payment, subscription=subscription, entity=entity)
        subscription_apply(
            subscription=subscription,
            entity=entity,
            as_of=timezone.now() - FETCH_CLOCK_SKEW,
            source=SubscriptionChange.Source.CHECKOUT,
        )
    return subscription


def payment_record(*, payment: dict[str, Any], subscription: Subscription | None) -> Payment:
    """Store or update a Razorpay payment entity (idempotent on its id)."""
    values = {
        "amount_paise": int(payment.get("amount") or 0),
        "currency": str(payment.get("currency") or "INR")[:3],
        "status": str(payment.get("status") or "")[:16],
        "method": str(payment.get("method") or "")[:24],
        "razorpay_invoice_id": str(payment.get("invoice_id") or "")[:40],
        "error_code": str(payment.get("error_code") or "")[:64],
        "error_reason": str(payment.get("error_reason") or payment.get("error_description") or "")[:200],
        "created_at": _timestamp(payment.get("created_at")) or timezone.now(),
    }
    if subscription is not None:
        values |= {"subscription": subscription, "tenant": subscription.tenant}
    with transaction.atomic():
        return _payment_upsert(str(payment["id"])[:40], values)


STALE_PAYMENT_STATUSES = {
    "captured": ("created", "authorized", "failed"),
    "refunded": ("created", "authorized", "failed", "captured"),
}


def _payment_upsert(payment_id: str, values: dict[str, Any]) -> Payment:
    record, created = Payment.objects.select_for_update().get_or_create(razorpay_payment_id=payment_id, defaults=values)
    if not created:
        # A captured payment never goes back to authorised, a refunded one never back to captured
        # (events arrive in any order).
        late = {
            "captured": ("created", "authorized", "failed"),
            "refunded": ("created", "authorized", "failed", "captured"),
        }
        if values["status"] in late.get(record.status, ()):
            values.pop("status")
        for field, value in values.items():
            setattr(record, field, value)
    if record.status == "captured" and record.captured_at is None:
        record.captured_at = timezone.now()
    record.save()
    return record


def payment_settle(*, payment: dict[str, Any], subscription: Subscription, entity: dict[str, Any]) -> Payment:
    """Record a subscription charge; once captured it is invoiced (exactly once, by payment id) for
    what Razorpay's subscription ``entity`` of that charge says was bought: plan and period."""
    record = payment_record(payment=payment, subscription=subscription)
    if record.status == "captured":
        invoice_issue_for_payment(payment=record, charge=charge_from_entity(subscription, entity))
    return record


def charge_from_entity(subscription: Subscription, entity: dict[str, Any]) -> Charge:
    link = RazorpayPlan.objects.select_related("plan").filter(razorpay_plan_id=entity.get("plan_id")).first()
    return Charge(
        plan=link.plan if link else subscription.plan,
        interval=link.interval if link else subscription.interval,
        period_start=_timestamp(entity.get("current_start")),
        period_end=_timestamp(entity.get("current_end")),
    )
