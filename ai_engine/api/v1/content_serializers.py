"""Serializers of the prompt library and the content generator."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ai_engine.models import (
    BrandVoice,
    Generation,
    GenerationBatch,
    PromptLabel,
    PromptLabelMove,
    PromptTemplate,
    PromptVersion,
)
from suresh_ai.api.serializers import IdentifierField, StrictBooleanField, StrictFloatField, StrictIntegerField
from suresh_ai.api.views import StrictSerializerMixin


class VariableSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.label
    type = serializers.ChoiceField(choices=["text", "long_text", "integer", "number", "choice", "url", "list"])
    required = serializers.BooleanField()  # type: ignore[assignment]  # a field named like Field.required
    choices = serializers.ListField(child=serializers.CharField(), required=False)
    default = serializers.JSONField(required=False)
    min = serializers.FloatField(required=False)
    max = serializers.FloatField(required=False)
    max_length = serializers.IntegerField(required=False)
    max_items = serializers.IntegerField(required=False)
    mention = serializers.BooleanField(required=False, help_text="The output should contain this value.")


class PromptVersionSerializer(serializers.ModelSerializer[PromptVersion]):
    labels = serializers.SerializerMethodField()

    class Meta:
        model = PromptVersion
        fields = ("number", "system", "user", "temperature", "max_tokens", "note", "origin", "created_at", "labels")
        read_only_fields = fields

    def get_labels(self, obj: PromptVersion) -> list[str]:
        return sorted(self.context.get("labels_by_version", {}).get(obj.pk, []))


class SplitArmSerializer(StrictSerializerMixin, serializers.Serializer[Any]):
    version = StrictIntegerField(min_value=1)
    weight = StrictIntegerField(min_value=1, max_value=100)


class PromptTemplateSerializer(serializers.ModelSerializer[PromptTemplate]):
    variables = VariableSerializer(many=True)
    split = SplitArmSerializer(many=True)
    production = serializers.SerializerMethodField(help_text="Version number the production label points at.")
    staging = serializers.SerializerMethodField(help_text="Version number the staging label points at.")

    class Meta:
        model = PromptTemplate
        fields = (
            "key",
            "name",
            "description",
            "task",
            "output_format",
            "variables",
            "min_words",
            "max_words",
            "max_chars",
            "cache_ttl_seconds",
            "split",
            "production",
            "staging",
        )
        read_only_fields = fields

    def _label(self, obj: PromptTemplate, name: str) -> int | None:
        return next((label.version.number for label in obj.labels.all() if label.name == name), None)

    def get_production(self, obj: PromptTemplate) -> int | None:
        return self._label(obj, "production")

    def get_staging(self, obj: PromptTemplate) -> int | None:
        return self._label(obj, "staging")


class LabelMoveSerializer(serializers.ModelSerializer[PromptLabelMove]):
    class Meta:
        model = PromptLabelMove
        fields = ("label", "from_number", "to_number", "moved_by_id", "at")
        read_only_fields = fields


class PromptTemplateDetailSerializer(PromptTemplateSerializer):
    versions = serializers.SerializerMethodField()
    label_history = serializers.SerializerMethodField()

    class Meta:
        model = PromptTemplate
        fields: tuple[str, ...] = (*PromptTemplateSerializer.Meta.fields, "versions", "label_history")
        read_only_fields = fields

    def get_versions(self, obj: PromptTemplate) -> list[dict[str, Any]]:
        by_version: dict[int, list[str]] = {}
        for label in obj.labels.all():
            by_version.setdefault(label.version_id, []).append(label.name)
        versions = obj.versions.order_by("-number")
        return PromptVersionSerializer(versions, many=True, context={"labels_by_version": by_version}).data  # type: ignore[return-value]

    def get_label_history(self, obj: PromptTemplate) -> list[dict[str, Any]]:
        return LabelMoveSerializer(obj.label_moves.all()[:50], many=True).data  # type: ignore[return-value]


class PromptTemplateUpdateSerializer(StrictSerializerMixin, serializers.Serializer[Any]):
    split = SplitArmSerializer(many=True, required=False, help_text="2-5 versions with weights; [] to stop the A/B.")
    cache_ttl_seconds = StrictIntegerField(required=False, allow_null=True, min_value=0, max_value=86_400)


class PromptVersionCreateSerializer(StrictSerializerMixin, serializers.Serializer[Any]):
    system = serializers.CharField(trim_whitespace=False, help_text="System prompt; $variables allowed.")
    user = serializers.CharField(trim_whitespace=False, help_text="User prompt; $variables allowed.")
    temperature = StrictFloatField(required=False, min_value=0, max_value=2)
    max_tokens = StrictIntegerField(required=False, min_value=1, max_value=8192)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class LabelRequestSerializer(StrictSerializerMixin, serializers.Serializer[Any]):
    label = serializers.ChoiceField(choices=PromptLabel.Name.choices)  # type: ignore[assignment]
    version = StrictIntegerField(min_value=1, help_text="Version number; an earlier one rolls back.")


class BrandVoiceSerializer(StrictSerializerMixin, serializers.ModelSerializer[BrandVoice]):
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text="Empty until first saved.")

    class Meta:
        model = BrandVoice
        fields = ("tone", "audience", "words_to_use", "words_to_avoid", "updated_at")
        read_only_fields = ("updated_at",)


class GenerateRequestSerializer(StrictSerializerMixin, serializers.Serializer[Any]):
    template = serializers.SlugField(help_text="Template key, e.g. product_description.")
    variables = serializers.DictField(help_text="The template's variables (see its definition).")
    subject = IdentifierField(
        required=False, allow_blank=True, max_length=200, help_text="End user or customer id: keys the prompt A/B."
    )
    label = serializers.ChoiceField(choices=PromptLabel.Name.choices, required=False)  # type: ignore[assignment]
    version = StrictIntegerField(required=False, min_value=1, help_text="A specific version (overrides label/A/B).")
    cache = serializers.BooleanField(default=True)


class GenerationSerializer(serializers.ModelSerializer[Generation]):
    template = serializers.CharField(source="template.key")
    version = serializers.IntegerField(source="version.number")
    used = serializers.SerializerMethodField()

    class Meta:
        model = Generation
        fields = (
            "id",
            "created_at",
            "template",
            "version",
            "assignment",
            "subject",
            "variables",
            "output",
            "edited_output",
            "edited_at",
            "rating",
            "used",
            "used_at",
            "provider",
            "model",
            "prompt_tokens",
            "completion_tokens",
            "cost_usd_micros",
            "latency_ms",
            "cached",
            "ai_request",
            "quality_score",
            "quality_checks",
            "judge_score",
            "judge_reason",
            "batch",
            "batch_index",
        )
        read_only_fields = fields

    def get_used(self, obj: Generation) -> bool:
        return obj.used_at is not None


class GenerationUpdateSerializer(StrictSerializerMixin, serializers.Serializer[Any]):
    rating = StrictIntegerField(required=False, allow_null=True, min_value=1, max_value=5)
    edited_output = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, max_length=50_000)
    used = StrictBooleanField(required=False)


class BatchCreateSerializer(StrictSerializerMixin, serializers.Serializer[Any]):
    template = serializers.SlugField()
    items = serializers.ListField(
        child=serializers.DictField(), min_length=1, max_length=500, help_text="One variables object per generation."
    )
    label = serializers.ChoiceField(choices=PromptLabel.Name.choices, required=False)  # type: ignore[assignment]


class BatchSerializer(serializers.ModelSerializer[GenerationBatch]):
    template = serializers.CharField(source="template.key")
    progress = serializers.FloatField(help_text="Share of items finished (succeeded or failed), 0-1.")

    class Meta:
        model = GenerationBatch
        fields = (
            "id",
            "template",
            "label",
            "status",
            "total",
            "succeeded",
            "failed",
            "progress",
            "errors",
            "stop_reason",
            "created_at",
            "started_at",
            "finished_at",
        )
        read_only_fields = fields


class QualityRowSerializer(serializers.Serializer[Any]):
    template = serializers.CharField()
    version = serializers.IntegerField()
    model = serializers.CharField()
    generations = serializers.IntegerField()
    avg_quality = serializers.FloatField(allow_null=True)
    avg_judge = serializers.FloatField(allow_null=True)
    avg_rating = serializers.FloatField(allow_null=True)
    rated = serializers.IntegerField()
    used = serializers.IntegerField()


class QualityWeekSerializer(serializers.Serializer[Any]):
    week = serializers.DateField()
    template = serializers.CharField()
    avg_quality = serializers.FloatField()
    generations = serializers.IntegerField()


class QualityReportSerializer(serializers.Serializer[Any]):
    rows = QualityRowSerializer(many=True)
    weekly = QualityWeekSerializer(many=True)
