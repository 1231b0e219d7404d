"""Changing a paid subscription: plan (upgrade now with proration, downgrade at period end),
cancel at period end, pause and resume. Each call locks the subscription row, asks Razorpay
through the SDK, and applies Razorpay's answer in the same transaction."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from django.db import transaction
from django.utils import timezone

from billing.gateway import call, client
from billing.models import Adjustment, CouponRedemption, Plan, Subscription, SubscriptionChange
from billing.selectors import PlanChangeQuote, plan_change_quote
from billing.services.subscriptions import _plan_for, _razorpay_plan, _record_change, subscription_apply
from suresh_ai.errors import Conflict, ServiceUnavailable, ValidationFailed
from tenants.models import Tenant

logger = logging.getLogger(__name__)
Status = Subscription.Status
PAID_UP = (Status.AUTHENTICATED, Status.ACTIVE)


def _locked(tenant: Tenant) -> Subscription:
    return Subscription.objects.select_for_update().select_related("plan", "tenant").get(tenant=tenant)


def _quote_for(subscription: Subscription, plan_code: Any, interval: Any) -> PlanChangeQuote:
    if subscription.status not in PAID_UP or not subscription.razorpay_subscription_id:
        raise Conflict(
            "There is no paid subscription to change: choose a plan at checkout.", code="no_paid_subscription"
        )
    plan, interval = _plan_for(plan_code, interval or subscription.interval)
    if interval != subscription.interval:
        raise ValidationFailed.for_field(
            "interval", "Monthly and yearly cannot be swapped mid-period: cancel, then choose again at renewal."
        )
    now = timezone.now()
    if plan.code == subscription.plan.code:
        if subscription.scheduled_plan_id is None:
            raise Conflict(f"This workspace is already on {plan.name}.", code="same_plan")
        # Choosing the current plan again calls off the scheduled downgrade.
        quote = plan_change_quote(subscription=subscription, plan=plan, interval=interval, now=now)
        return replace(quote, kind="keep", effective="now", effective_at=now)
    return plan_change_quote(subscription=subscription, plan=plan, interval=interval, now=now)


def subscription_change_quote(*, tenant: Tenant, plan_code: Any, interval: Any = None) -> PlanChangeQuote:
    """The price of a plan change, to show before confirming (nothing is changed)."""
    subscription = Subscription.objects.select_related("plan").get(tenant=tenant)
    return _quote_for(subscription, plan_code, interval)


def subscription_change_plan(
    *, tenant: Tenant, plan_code: Any, interval: Any = None, actor_email: str
) -> tuple[Subscription, PlanChangeQuote]:
    """Upgrade now (the prorated difference is added to the next payment as a Razorpay add-on) or
    schedule a downgrade for the period end. The amounts are the quote's, computed here.

    Upgrade order: the add-on first, then the plan edit; if the edit fails the add-on is deleted
    again, so Razorpay never charges an upgrade we did not record (or records one we did not charge).
    """
    gateway = client()
    current = Subscription.objects.select_related("plan").get(tenant=tenant)
    _quote_for(current, plan_code, interval)  # refuse bad input before anything reaches Razorpay
    plan, interval = _plan_for(plan_code, interval or current.interval)
    link = _razorpay_plan(plan, interval)  # committed on its own: webhooks must map its id
    with transaction.atomic():
        subscription = _locked(tenant)
        quote = _quote_for(subscription, plan_code, interval)
        now = timezone.now()
        sub_id = str(subscription.razorpay_subscription_id)
        if quote.kind == "keep":
            call("subscription.cancel_scheduled_changes", gateway.subscription.cancel_scheduled_changes, sub_id)
            scheduled = subscription.scheduled_plan
            note = f"scheduled change to {scheduled.name if scheduled else '-'} called off"
            _schedule(subscription, None, link.razorpay_plan_id, actor_email=actor_email, note=note)
            return subscription, quote
        if quote.effective == "period_end":
            call(
                "subscription.edit",
                gateway.subscription.edit,
                sub_id,
                {"plan_id": link.razorpay_plan_id, "schedule_change_at": "cycle_end", "customer_notify": 0},
            )
            note = f"downgrade to {plan.name} scheduled for {quote.effective_at:%Y-%m-%d}"
            _schedule(subscription, plan, link.razorpay_plan_id, actor_email=actor_email, note=note)
            return subscription, quote
        addon = None
        if quote.proration_taxable_paise:
            addon = call(
                "subscription.createAddon",
                gateway.subscription.createAddon,
                sub_id,
                {
                    "item": {
                        "name": f"Upgrade to {plan.name}: rest of the current period",
                        "amount": quote.proration_total_paise,
                        "currency": "INR",
                    },
                    "quantity": 1,
                },
            )
        try:
            entity = call(
                "subscription.edit",
                gateway.subscription.edit,
                sub_id,
                {"plan_id": link.razorpay_plan_id, "schedule_change_at": "now", "customer_notify": 0},
            )
        except ServiceUnavailable:
            if addon is not None:
                _addon_delete(gateway, str(addon["id"]))
            raise
        if addon is not None:
            Adjustment.objects.create(
                subscription=subscription,
                description=(
                    f"Upgrade from {subscription.plan.name} to {plan.name}, "
                    f"{quote.remaining_seconds / 86400:.1f} of {quote.period_seconds / 86400:.1f} days"
                ),
                taxable_paise=quote.proration_taxable_paise,
                gross_paise=quote.proration_total_paise,
                razorpay_addon_id=str(addon["id"]),
            )
        subscription.plan_changed_at = now
        subscription.scheduled_plan = None
        subscription.checkout_plan_id = link.razorpay_plan_id
        subscription.save(update_fields=["plan_changed_at", "scheduled_plan", "checkout_plan_id", "updated_at"])
        CouponRedemption.objects.filter(subscription=subscription, ended_at__isnull=True).update(ended_at=now)
        subscription_apply(
            subscription=subscription,
            entity=entity,
            as_of=now,
            source=SubscriptionChange.Source.API,
            actor_email=actor_email,
            force=True,
        )
    logger.info("plan_changed", extra={"tenant": tenant.schema_name, "plan": plan.code, "kind": quote.kind})
    return subscription, quote


def _schedule(
    subscription: Subscription, plan: Plan | None, razorpay_plan_id: str, *, actor_email: str, note: str
) -> None:
    """Record what Razorpay will charge from the period end (``plan``), or that nothing changes (None)."""
    subscription.scheduled_plan = plan
    subscription.checkout_plan_id = razorpay_plan_id
    subscription.save(update_fields=["scheduled_plan", "checkout_plan_id", "updated_at"])
    _record_change(
        subscription,
        source=SubscriptionChange.Source.API,
        from_status=subscription.status,
        from_plan=subscription.plan,
        actor_email=actor_email,
        note=note,
        always=True,
    )


def _addon_delete(gateway: Any, addon_id: str) -> None:
    """Compensation: take back an add-on whose upgrade did not happen. If Razorpay cannot be reached
    either, staff must delete it by hand before the next renewal: logged as an error."""
    try:
        call("addon.delete", gateway.addon.delete, addon_id)
    except ServiceUnavailable:
        logger.error("addon_orphaned", extra={"addon": addon_id})


def _act(
    tenant: Tenant, *, allowed: tuple[str, ...], operation: str, data: dict[str, Any], actor_email: str
) -> Subscription:
    gateway = client()
    with transaction.atomic():
        subscription = _locked(tenant)
        if subscription.status not in allowed or not subscription.razorpay_subscription_id:
            raise Conflict(
                f"The subscription cannot be {operation}d while it is {subscription.get_status_display().lower()}.",
                code="invalid_state",
            )
        method = getattr(gateway.subscription, operation)
        entity = call(f"subscription.{operation}", method, str(subscription.razorpay_subscription_id), data)
        subscription_apply(
            subscription=subscription,
            entity=entity,
            as_of=timezone.now(),
            source=SubscriptionChange.Source.API,
            actor_email=actor_email,
            force=True,
        )
    return subscription


def subscription_cancel(*, tenant: Tenant, actor_email: str) -> Subscription:
    """Cancel at the end of the paid period (a mandate not yet charged is cancelled at once)."""
    subscription = Subscription.objects.get(tenant=tenant)
    if subscription.status == Status.ACTIVE and subscription.cancel_at_period_end:
        return subscription  # asked twice: already scheduled
    at_cycle_end = 1 if subscription.status == Status.ACTIVE else 0
    subscription = _act(
        tenant,
        allowed=PAID_UP,
        operation="cancel",
        data={"cancel_at_cycle_end": at_cycle_end},
        actor_email=actor_email,
    )
    if at_cycle_end:
        subscription.cancel_at_period_end = True
        subscription.save(update_fields=["cancel_at_period_end", "updated_at"])
    return subscription


def subscription_pause(*, tenant: Tenant, actor_email: str) -> Subscription:
    """Pause billing now; the workspace is read-only until it resumes."""
    return _act(tenant, allowed=(Status.ACTIVE,), operation="pause", data={"pause_at": "now"}, actor_email=actor_email)


def subscription_resume(*, tenant: Tenant, actor_email: str) -> Subscription:
    return _act(
        tenant, allowed=(Status.PAUSED,), operation="resume", data={"resume_at": "now"}, actor_email=actor_email
    )


def subscription_end_discount(*, subscription_id: int) -> bool:
    """The coupon's last discounted payment is invoiced: from the next period on, charge the full
    price (Razorpay: move to the undiscounted plan at the cycle end). Idempotent. A downgrade already
    scheduled charges the full price of its plan anyway, so it is left alone (Razorpay keeps one
    scheduled change)."""
    gateway = client()
    current = Subscription.objects.select_related("plan").get(pk=subscription_id)
    full = _razorpay_plan(current.plan, current.interval)  # committed on its own
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().select_related("plan").get(pk=subscription_id)
        if subscription.status not in PAID_UP or not subscription.razorpay_subscription_id:
            return False
        if subscription.scheduled_plan_id is not None or subscription.plan_id != current.plan_id:
            return False
        if subscription.checkout_plan_id == full.razorpay_plan_id:
            return False
        call(
            "subscription.edit",
            gateway.subscription.edit,
            str(subscription.razorpay_subscription_id),
            {"plan_id": full.razorpay_plan_id, "schedule_change_at": "cycle_end", "customer_notify": 0},
        )
        subscription.checkout_plan_id = full.razorpay_plan_id
        subscription.save(update_fields=["checkout_plan_id", "updated_at"])
    return True
