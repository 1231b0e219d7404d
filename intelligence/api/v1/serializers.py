"""Serializers of the data ingestion API."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from intelligence.ingest.records import MAX_BATCH
from suresh_ai.api.views import StrictSerializerMixin


@extend_schema_field({"type": "array", "items": {"type": "object"}, "minItems": 1, "maxItems": MAX_BATCH})
class RecordsField(serializers.JSONField):
    """The list as parsed from the body, checked as a whole: each record is validated by the
    ingestion service on its own, so per-item checks here would only repeat work (and cost time)."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, list) or not 1 <= len(data) <= MAX_BATCH:
            raise serializers.ValidationError(f"A list of 1 to {MAX_BATCH} records.")
        return data


class BatchRequestSerializer(StrictSerializerMixin, serializers.Serializer[Any]):
    records = RecordsField(help_text=f"1 to {MAX_BATCH} records of this kind (docs/intelligence/ingestion.md).")


class RecordErrorSerializer(serializers.Serializer[Any]):
    index = serializers.IntegerField(help_text="Position of the record in `records` (0-based).")
    field = serializers.CharField(
        help_text="The field at fault, e.g. `email` or `items.2.sku`; `record` for the whole."
    )
    reason = serializers.CharField()


class BatchResultSerializer(serializers.Serializer[Any]):
    kind = serializers.CharField()
    received = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField(help_text="Existing records (same id) whose values changed.")
    unchanged = serializers.IntegerField(help_text="Existing records sent again with the same values.")
    errors = RecordErrorSerializer(many=True)  # type: ignore[assignment]  # a field named like Serializer.errors


class KpiSerializer(serializers.Serializer[Any]):
    visitors = serializers.IntegerField()
    sessions = serializers.IntegerField()
    orders = serializers.IntegerField()
    revenue_paise = serializers.IntegerField()
    aov_paise = serializers.IntegerField(allow_null=True)
    conversion_rate = serializers.FloatField(allow_null=True, help_text="Orders / sessions.")
    new_customers = serializers.IntegerField()
    returning_customers = serializers.IntegerField()


class KpiReportSerializer(serializers.Serializer[Any]):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(help_text="Exclusive.")
    previous_start = serializers.DateTimeField()
    live_visitors = serializers.IntegerField(help_text="Visitors with an event in the last 5 minutes.")
    current = KpiSerializer()
    previous = KpiSerializer(help_text="The period of the same length just before.")


class TopPageSerializer(serializers.Serializer[Any]):
    path = serializers.CharField()
    views = serializers.IntegerField()
    visitors = serializers.IntegerField()


class TopSourceSerializer(serializers.Serializer[Any]):
    source = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.source
    visitors = serializers.IntegerField()


class TopChannelSerializer(serializers.Serializer[Any]):
    channel = serializers.CharField()
    visitors = serializers.IntegerField()


class TopSerializer(serializers.Serializer[Any]):
    pages = TopPageSerializer(many=True)
    sources = TopSourceSerializer(many=True)
    channels = TopChannelSerializer(many=True)


class SeriesPointSerializer(serializers.Serializer[Any]):
    bucket = serializers.DateTimeField()
    visitors = serializers.IntegerField()
    orders = serializers.IntegerField()
    revenue_paise = serializers.IntegerField()


class ImportCreateSerializer(StrictSerializerMixin, serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=["customers", "products", "orders", "events", "spend"])
    file = serializers.FileField(
        help_text="UTF-8 CSV with a header row of field names (docs/intelligence/ingestion.md)."
    )


class ImportJobSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    filename = serializers.CharField()
    status = serializers.CharField()
    total_rows = serializers.IntegerField()
    processed_rows = serializers.IntegerField()
    progress = serializers.FloatField(help_text="processed_rows / total_rows, 0-1.")
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    error_count = serializers.IntegerField()
    failure = serializers.CharField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class DataSettingsSerializer(serializers.Serializer[Any]):
    tracking_key = serializers.CharField(read_only=True, help_text="Public, write-only: goes in the snippet.")
    tracking_origins = serializers.ListField(
        child=serializers.CharField(), help_text="Exact origins, e.g. https://shop.in"
    )
    snippet = serializers.CharField(read_only=True)
    razorpay_webhook_url = serializers.CharField(
        read_only=True, help_text="Give this URL to Razorpay (Settings > Webhooks)."
    )
    razorpay_webhook_secret_set = serializers.BooleanField(
        read_only=True, help_text="The secret itself is never shown."
    )


class DataSettingsUpdateSerializer(StrictSerializerMixin, serializers.Serializer[Any]):
    tracking_origins = serializers.ListField(child=serializers.CharField(), required=False, max_length=20)
    razorpay_webhook_secret = serializers.CharField(required=False, allow_blank=True, max_length=200, write_only=True)
