"""AI API: one completion through the gateway, and the metering log. Thin views."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from ai_engine import sentiment, services
from ai_engine.api.v1 import serializers as s
from ai_engine.api.v1.common import SSE_EVENT_SCHEMA, actor_for, sse_response
from ai_engine.catalogue import catalogue, provider_configured
from ai_engine.models import AIRequest, AISettings
from suresh_ai.api.views import BaseAPIView, BaseListAPIView
from suresh_ai.tenancy import request_tenant
from tenants.models import Role


class CompleteView(BaseAPIView):
    write_role = Role.ANALYST
    write_scope = "write"
    uses_payment_provider = True  # documents the 503s (no AI provider configured or answering)

    @extend_schema(
        request=s.CompleteRequestSerializer,
        responses={
            (200, "application/json"): s.CompletionSerializer,
            (200, "text/event-stream"): OpenApiResponse(
                SSE_EVENT_SCHEMA,
                description='With `stream: true`: `data: {"delta"}` pieces, then `event: done` or `event: error`.',
            ),
        },
        summary="One AI completion through the gateway (routing, fallback, cache, quota, metering)",
        tags=["ai"],
    )
    def post(self, request: Request) -> Response:
        serializer = s.CompleteRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        actor = actor_for(request)
        kwargs = {
            "tenant": request_tenant(request),
            "task": data["task"],
            "messages": [dict(m) for m in data["messages"]],
            "actor": actor,
            "temperature": data.get("temperature"),
            "max_tokens": data.get("max_tokens"),
            "use_cache": data["cache"],
        }
        if data["stream"]:
            return sse_response(services.ai_stream(**kwargs).events)  # type: ignore[return-value]
        completion = services.ai_complete(**kwargs)
        return Response(s.CompletionSerializer(asdict(completion)).data)


class AIRequestListView(BaseListAPIView):
    serializer_class = s.AIRequestSerializer
    read_role = Role.ADMIN

    def get_queryset(self) -> QuerySet[AIRequest]:
        return AIRequest.objects.all()  # the tenant's own schema: only its requests exist here

    @extend_schema(summary="Metering: every AI request with model, tokens, cost, latency and outcome", tags=["ai"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)


class SentimentView(BaseAPIView):
    write_role = Role.ANALYST
    write_scope = "write"
    uses_payment_provider = True  # the llm engine answers 503 without an AI provider

    @extend_schema(
        request=s.SentimentRequestSerializer,
        responses=s.SentimentResultSerializer,
        summary="Sentiment of 1-1,000 texts (VADER), or 1-20 through the LLM with a reason",
        tags=["ai"],
    )
    def post(self, request: Request) -> Response:
        serializer = s.SentimentRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        texts = list(serializer.validated_data["texts"])
        if serializer.validated_data["engine"] == "llm":
            results = sentiment.sentiment_llm(tenant=request_tenant(request), texts=texts, actor=actor_for(request))
        else:
            results = sentiment.sentiment_local(texts=texts)
        return Response(s.SentimentResultSerializer({"results": [asdict(r) for r in results]}).data)


def _settings_data() -> dict[str, Any]:
    own = AISettings.objects.first()
    return {
        "route_long_form": own.route_long_form if own else [],
        "route_short": own.route_short if own else [],
        "judge_enabled": own.judge_enabled if own else False,
        "models": [
            {
                "name": m.name,
                "provider": m.provider,
                "context_window": m.context_window,
                "usd_per_million_input": str(m.usd_per_million_input),
                "usd_per_million_output": str(m.usd_per_million_output),
                "available": provider_configured(m.provider),
            }
            for m in catalogue().values()
        ],
    }


class AISettingsView(BaseAPIView):
    read_role = write_role = Role.ADMIN
    read_scope = write_scope = "admin"

    @extend_schema(
        responses=s.AISettingsSerializer, summary="This workspace's model routing and the catalogue", tags=["ai"]
    )
    def get(self, request: Request) -> Response:
        return Response(s.AISettingsSerializer(_settings_data()).data)

    @extend_schema(
        request=s.AISettingsUpdateSerializer,
        responses=s.AISettingsSerializer,
        summary="Set this workspace's own routes (model names from the catalogue) and the LLM judge",
        tags=["ai"],
    )
    def patch(self, request: Request) -> Response:
        serializer = s.AISettingsUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.ai_settings_update(data=dict(serializer.validated_data))
        return Response(s.AISettingsSerializer(_settings_data()).data)
