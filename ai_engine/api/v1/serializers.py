from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ai_engine.catalogue import TASKS
from ai_engine.models import AIRequest
from suresh_ai.api.serializers import CachedFieldsMixin, StrictFloatField, StrictIntegerField
from suresh_ai.api.views import StrictSerializerMixin


class MessageSerializer(StrictSerializerMixin, serializers.Serializer[Any]):
    role = serializers.ChoiceField(choices=["system", "user", "assistant"])
    content = serializers.CharField(allow_blank=True, trim_whitespace=False)


class CompleteRequestSerializer(StrictSerializerMixin, serializers.Serializer[Any]):
    task = serializers.ChoiceField(choices=list(TASKS), help_text="long_form (writing) or short (answers).")
    messages = MessageSerializer(many=True)
    temperature = StrictFloatField(required=False, min_value=0, max_value=2)
    max_tokens = StrictIntegerField(required=False, min_value=1, max_value=8192)
    cache = serializers.BooleanField(default=True, help_text="false: always ask the model.")
    stream = serializers.BooleanField(
        default=False,
        help_text='true: answer as Server-Sent Events: `data: {"delta"}` pieces, then `event: done` '
        "(tokens, cost, model) or `event: error`.",
    )


class AttemptSerializer(serializers.Serializer[Any]):
    model = serializers.CharField()
    provider = serializers.CharField()
    status = serializers.CharField()
    latency_ms = serializers.IntegerField()


class CompletionSerializer(serializers.Serializer[Any]):
    text = serializers.CharField()
    model = serializers.CharField()
    provider = serializers.CharField()
    prompt_tokens = serializers.IntegerField()
    completion_tokens = serializers.IntegerField()
    cost_usd_micros = serializers.IntegerField(help_text="Millionths of a US dollar.")
    latency_ms = serializers.IntegerField()
    cached = serializers.BooleanField()
    request_id = serializers.IntegerField(allow_null=True)
    attempts = AttemptSerializer(many=True)


class AIRequestSerializer(CachedFieldsMixin, serializers.ModelSerializer[AIRequest]):
    class Meta:
        model = AIRequest
        fields = (
            "id",
            "created_at",
            "task",
            "template",
            "provider",
            "model",
            "prompt_tokens",
            "completion_tokens",
            "cost_usd_micros",
            "cost_saved_usd_micros",
            "latency_ms",
            "cache_hit",
            "outcome",
            "attempts",
        )
        read_only_fields = fields


class SentimentRequestSerializer(StrictSerializerMixin, serializers.Serializer[Any]):
    texts = serializers.ListField(child=serializers.CharField(trim_whitespace=False), allow_empty=False)
    engine = serializers.ChoiceField(
        choices=["local", "llm"], default="local", help_text="local: VADER, free and instant; llm: the AI gateway."
    )


class SentimentSerializer(serializers.Serializer[Any]):
    label = serializers.ChoiceField(  # type: ignore[assignment]  # a field named like Field.label
        choices=["positive", "neutral", "negative"], allow_null=True
    )
    score = serializers.FloatField(allow_null=True, help_text="-1 (very negative) to 1 (very positive).")
    engine = serializers.CharField()
    reason = serializers.CharField(allow_blank=True, help_text="Only from the LLM.")
    error = serializers.CharField(allow_blank=True)


class SentimentResultSerializer(serializers.Serializer[Any]):
    results = SentimentSerializer(many=True)


class AISettingsSerializer(serializers.Serializer[Any]):
    route_long_form = serializers.ListField(child=serializers.CharField(), help_text="Empty: the platform's route.")
    route_short = serializers.ListField(child=serializers.CharField(), help_text="Empty: the platform's route.")
    judge_enabled = serializers.BooleanField(help_text="Also score each generation with an LLM judge.")
    models = serializers.ListField(child=serializers.DictField(), read_only=True, help_text="The catalogue.")


class AISettingsUpdateSerializer(StrictSerializerMixin, serializers.Serializer[Any]):
    route_long_form = serializers.ListField(child=serializers.CharField(), required=False, max_length=5)
    route_short = serializers.ListField(child=serializers.CharField(), required=False, max_length=5)
    judge_enabled = serializers.BooleanField(required=False)
