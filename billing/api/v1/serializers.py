"""Plans and entitlements as the API shows them (money in integer paise)."""

from __future__ import annotations

from rest_framework import serializers

from billing.models import PLAN_TERMS, Plan
from billing.selectors import Entitlements
from suresh_ai.api.serializers import CachedFieldsMixin


class PlanSerializer(CachedFieldsMixin, serializers.ModelSerializer[Plan]):
    class Meta:
        model = Plan
        fields = ("code", "version", *(term for term in PLAN_TERMS if term != "sort_order"))
        read_only_fields = fields


class EntitlementsSerializer(CachedFieldsMixin, serializers.Serializer[Entitlements]):
    plan_code = serializers.CharField()
    plan_version = serializers.IntegerField()
    plan_name = serializers.CharField()
    ai_requests_per_month = serializers.IntegerField()
    seats = serializers.IntegerField()
    seats_used = serializers.IntegerField(help_text="Members plus pending invitations.")
    api_rate_per_minute = serializers.IntegerField()
    api_burst = serializers.IntegerField()
    rate_limit_bypass = serializers.BooleanField()
    features = serializers.ListField(child=serializers.CharField())
