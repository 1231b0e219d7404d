"""Coupons: validation, the discount they give, and atomic redemption."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q

from billing.models import Coupon, CouponRedemption, Plan, Subscription
from billing.money import percent_of
from suresh_ai.errors import Conflict, ValidationFailed
from tenants.models import Tenant


def coupon_discount(coupon: Coupon, price_paise: int) -> int:
    """Paise off one payment of ``price_paise`` (before GST); never more than the price."""
    if coupon.kind == Coupon.Kind.PERCENT:
        return min(price_paise, percent_of(price_paise, coupon.percent_off or 0))
    return min(price_paise, coupon.amount_off_paise or 0)


def coupon_payments(coupon: Coupon) -> int | None:
    """How many payments the coupon discounts (None: all of them)."""
    if coupon.duration == Coupon.Duration.ONCE:
        return 1
    if coupon.duration == Coupon.Duration.REPEATING:
        return coupon.duration_months
    return None


def coupon_for_code(*, code: Any, plan: Plan, now: datetime) -> Coupon:
    """The coupon for ``code`` if it may be used on ``plan`` now; otherwise a 400 naming ``coupon``."""
    if not isinstance(code, str) or not code.strip() or len(code) > 32:
        raise ValidationFailed.for_field("coupon", "Enter a coupon code.")
    coupon = Coupon.objects.filter(code=code.strip().upper()).first()
    if coupon is None or not coupon.active:
        raise ValidationFailed.for_field("coupon", "No such coupon.")
    if coupon.expires_at is not None and coupon.expires_at <= now:
        raise ValidationFailed.for_field("coupon", "This coupon has expired.")
    if coupon.plans and plan.code not in coupon.plans:
        raise ValidationFailed.for_field("coupon", f"This coupon is not valid on the {plan.name} plan.")
    if coupon.max_redemptions is not None and coupon.times_redeemed >= coupon.max_redemptions:
        raise Conflict("This coupon has been used up.", code="coupon_exhausted", detail={"coupon": ["Used up."]})
    return coupon


def coupon_redeem(
    *, coupon: Coupon, tenant: Tenant, subscription: Subscription, discount_paise: int, now: datetime
) -> CouponRedemption:
    """Take one redemption: a single conditional UPDATE, so concurrent callers can never exceed
    ``max_redemptions`` (PostgreSQL re-checks the condition on the locked row). Call inside the
    transaction that uses the discount: if it rolls back, the redemption is given back."""
    with transaction.atomic():
        existing = CouponRedemption.objects.filter(coupon=coupon, tenant=tenant).first()
        if existing is not None:
            if existing.subscription_id == subscription.pk and existing.payments_discounted == 0:
                # An unpaid checkout being retried (perhaps on another plan) keeps its one redemption,
                # with the discount of the plan now chosen.
                if existing.discount_paise != discount_paise or existing.ended_at is not None:
                    existing.discount_paise, existing.ended_at = discount_paise, None
                    existing.save(update_fields=["discount_paise", "ended_at"])
                return existing
            raise ValidationFailed.for_field("coupon", "This workspace has already used this coupon.")
        taken = (
            Coupon.objects.filter(pk=coupon.pk, active=True)
            .filter(Q(max_redemptions__isnull=True) | Q(times_redeemed__lt=F("max_redemptions")))
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
            .update(times_redeemed=F("times_redeemed") + 1)
        )
        if taken != 1:
            raise Conflict("This coupon has been used up.", code="coupon_exhausted", detail={"coupon": ["Used up."]})
        try:
            with transaction.atomic():
                return CouponRedemption.objects.create(
                    coupon=coupon, tenant=tenant, subscription=subscription, discount_paise=discount_paise
                )
        except IntegrityError as exc:  # the same tenant redeeming twice at once
            raise ValidationFailed.for_field("coupon", "This workspace has already used this coupon.") from exc


def redemption_in_force(subscription: Subscription) -> CouponRedemption | None:
    """The redemption still discounting this subscription's payments, if any."""
    redemptions = CouponRedemption.objects.select_related("coupon").filter(subscription=subscription, ended_at=None)
    for redemption in redemptions:
        limit = coupon_payments(redemption.coupon)
        if limit is None or redemption.payments_discounted < limit:
            return redemption
    return None
