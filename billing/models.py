"""Platform billing of tenants (public schema). Money is integer paise everywhere, never floats."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

# What a plan version fixes (copied into each new version); code and version identify it.
PLAN_TERMS = (
    "name",
    "price_monthly_paise",
    "price_yearly_paise",
    "ai_requests_per_month",
    "seats",
    "api_rate_per_minute",
    "api_burst",
    "rate_limit_bypass",
    "features",
    "sort_order",
)


class Plan(models.Model):
    """One version of a plan. Versions are immutable once published: a price or entitlement change
    publishes a new version (billing.services.plan_publish), so subscribers can keep theirs."""

    class Feature(models.TextChoices):
        AI_CONTENT = "ai_content", "AI content generator"
        CHATBOT = "chatbot", "AI chatbot"
        EXPERIMENTS = "experiments", "A/B testing"
        JOURNEYS = "journeys", "Journey orchestration"
        ATTRIBUTION = "attribution", "Multi-touch attribution"
        WHITE_LABEL = "white_label", "White-label branding"

    code = models.SlugField(max_length=32)
    version = models.PositiveIntegerField(default=1)
    name = models.CharField(max_length=50)
    price_monthly_paise = models.PositiveBigIntegerField()
    price_yearly_paise = models.PositiveBigIntegerField()
    ai_requests_per_month = models.PositiveIntegerField()
    seats = models.PositiveIntegerField()
    api_rate_per_minute = models.PositiveIntegerField()
    api_burst = models.PositiveIntegerField()
    rate_limit_bypass = models.BooleanField(default=False)
    features = models.JSONField(default=list, blank=True)
    is_current = models.BooleanField(default=True, help_text="The version new subscribers get.")
    sort_order = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("sort_order", "code", "-version")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["code", "version"], name="plan_code_version_unique"),
            models.UniqueConstraint(fields=["code"], condition=Q(is_current=True), name="plan_one_current_version"),
            models.CheckConstraint(
                condition=Q(api_rate_per_minute__gte=1, api_rate_per_minute__lte=60_000_000, api_burst__gte=1),
                name="plan_rate_limits_in_range",
            ),
            models.CheckConstraint(condition=Q(seats__gte=1), name="plan_at_least_one_seat"),
            models.CheckConstraint(
                condition=Q(price_yearly_paise__lte=F("price_monthly_paise") * 12),
                name="plan_yearly_not_above_12_months",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"
