"""Serializers of the data ingestion API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from intelligence.ingest.records import MAX_BATCH
from suresh_ai.api.views import StrictSerializerMixin


class BatchRequestSerializer(StrictSerializerMixin, serializers.Serializer[Any]):
    records = serializers.ListField(
        child=serializers.JSONField(),
        min_length=1,
        max_length=MAX_BATCH,
        help_text=f"1 to {MAX_BATCH} records of this kind (see the kind's schema in docs/intelligence.md).",
    )


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
