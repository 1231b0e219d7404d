"""Dunning: payment-failed emails on days 0, 3 and 7 of a past-due episode, each with a tracked
pay-now link, and a record of every recovery with what brought it about."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing.models import DunningNotice, DunningRecovery, Subscription
from billing.money import gross_with_gst
from billing.selectors import price_for
from billing.services.invoices import billing_recipients, rupees

logger = logging.getLogger(__name__)
PAST_DUE = (Subscription.Status.PAST_DUE, Subscription.Status.HALTED)


def dunning_send_due(*, subscription_id: int, now: datetime | None = None) -> int | None:
    """Send the latest payment-failed email now due for this subscription, once. Earlier ones not
    sent (the sweep was down) are skipped rather than sent in a burst. Returns the day sent."""
    from tenants.emails import branded_email_send
    from tenants.services import tenant_url

    now = now or timezone.now()
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().select_related("plan", "tenant").get(pk=subscription_id)
        start = subscription.past_due_since
        if subscription.status not in PAST_DUE or start is None:
            return None
        due = [day for day in sorted(settings.BILLING_DUNNING_DAYS) if now >= start + timedelta(days=day)]
        if not due:
            return None
        notices = {
            day: DunningNotice.objects.get_or_create(
                subscription=subscription, episode_start=start, day=day, defaults={"token": secrets.token_urlsafe(32)}
            )[0]
            for day in due
        }
        latest = notices[due[-1]]
        if any(n.sent_at for n in notices.values() if n.day >= latest.day):
            return None
        tenant = subscription.tenant
        grace_end = tenant.restricted_after
        context = {
            "plan": subscription.plan.name,
            "amount": rupees(
                gross_with_gst(
                    price_for(subscription.plan, subscription.interval), rate_percent=settings.BILLING_GST_RATE_PERCENT
                )
            ),
            "grace_end": grace_end,
            "restricted": grace_end is not None and now >= grace_end,
            "pay_url": tenant_url(tenant=tenant, path=f"/billing/pay/{latest.token}/"),
            "day": latest.day,
        }
        for recipient in billing_recipients(tenant):
            branded_email_send(
                tenant=tenant,
                to=recipient,
                subject=f"Payment failed: your {subscription.plan.name} plan needs attention",
                template="dunning",
                context=context,
            )
        latest.sent_at = now
        latest.save(update_fields=["sent_at"])
    logger.info("dunning_sent", extra={"tenant": tenant.schema_name, "day": latest.day})
    return latest.day


def dunning_past_due_ids() -> list[int]:
    return list(Subscription.objects.filter(status__in=PAST_DUE).values_list("pk", flat=True))


def dunning_click(*, token: str, tenant_id: int) -> str | None:
    """The pay-now link was used on its own workspace's domain: remember it (first click) and return
    where to send the payer."""
    notice = DunningNotice.objects.select_related("subscription").filter(token=token).first()
    if notice is None or notice.subscription.tenant_id != tenant_id:
        return None
    DunningNotice.objects.filter(pk=notice.pk, clicked_at__isnull=True).update(clicked_at=timezone.now())
    return notice.subscription.razorpay_short_url or "/billing/"


def dunning_recovery_record(*, subscription: Subscription, episode_start: datetime, recovered_at: datetime) -> None:
    """A past-due episode ended in payment: credit the email link if one was used, else Razorpay's retry."""
    notices = DunningNotice.objects.filter(subscription=subscription, episode_start=episode_start)
    clicked = notices.filter(clicked_at__isnull=False, clicked_at__lte=recovered_at).exists()
    DunningRecovery.objects.get_or_create(
        subscription=subscription,
        episode_start=episode_start,
        defaults={
            "recovered_at": recovered_at,
            "channel": DunningRecovery.Channel.EMAIL_LINK if clicked else DunningRecovery.Channel.AUTOMATIC_RETRY,
            "notices_sent": notices.filter(sent_at__isnull=False).count(),
        },
    )
