"""Tenants created before subscriptions existed start a trial of their current plan now."""

from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone


def forwards(apps, schema_editor):
    if schema_editor.connection.schema_name != "public":
        return  # billing is a shared app: its tables live in the public schema only
    Tenant = apps.get_model("tenants", "Tenant")
    Plan = apps.get_model("billing", "Plan")
    Subscription = apps.get_model("billing", "Subscription")
    now = timezone.now()
    trial_end = now + timedelta(days=settings.BILLING_TRIAL_DAYS)
    for tenant in Tenant.objects.exclude(schema_name="public").filter(subscription__isnull=True):
        plan = Plan.objects.filter(code=tenant.plan, is_current=True).first() or Plan.objects.get(
            code="starter", is_current=True
        )
        Subscription.objects.create(
            tenant=tenant, plan=plan, status="trialing", trial_ends_at=trial_end,
            current_period_start=now, current_period_end=trial_end,
        )
        tenant.plan, tenant.plan_version, tenant.restricted_after = plan.code, plan.version, trial_end
        tenant.save(update_fields=["plan", "plan_version", "restricted_after"])


class Migration(migrations.Migration):
    dependencies = [("billing", "0003_subscriptions")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
