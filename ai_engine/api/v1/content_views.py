"""Prompt library and content generator API. Thin views: validate, call one service or selector."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from ai_engine import selectors, services
from ai_engine.api.v1 import content_serializers as s
from ai_engine.api.v1.common import actor_for
from ai_engine.models import BrandVoice, Generation, GenerationBatch, PromptTemplate
from billing.selectors import require_feature
from suresh_ai.api.views import BaseAPIView, BaseListAPIView
from suresh_ai.errors import NotFound, ValidationFailed
from suresh_ai.tenancy import request_tenant
from tenants.models import Role

TAGS = ["ai-content"]


def _template_detail(key: str) -> dict[str, Any]:
    template = selectors.templates_list().filter(key=key).first()
    if template is None:
        raise NotFound(f"No prompt template {key!r}.")
    return s.PromptTemplateDetailSerializer(template).data  # type: ignore[return-value]


class PromptListView(BaseListAPIView):
    serializer_class = s.PromptTemplateSerializer
    read_role = Role.ANALYST

    def get_queryset(self) -> QuerySet[PromptTemplate]:
        return selectors.templates_list()

    @extend_schema(summary="The prompt library: templates, their variables and labelled versions", tags=TAGS)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)


class PromptDetailView(BaseAPIView):
    read_role = Role.ANALYST
    write_role = Role.ADMIN
    write_scope = "admin"  # changes every future generation, like the AI settings

    @extend_schema(responses=s.PromptTemplateDetailSerializer, summary="One template with every version", tags=TAGS)
    def get(self, request: Request, key: str) -> Response:
        return Response(_template_detail(key))

    @extend_schema(
        request=s.PromptTemplateUpdateSerializer,
        responses=s.PromptTemplateDetailSerializer,
        summary="Set a template's prompt A/B split or cache lifetime",
        tags=TAGS,
    )
    def patch(self, request: Request, key: str) -> Response:
        serializer = s.PromptTemplateUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "split" in data:
            data["split"] = [dict(arm) for arm in data["split"]]
        services.prompt_template_update(key=key, data=data)
        return Response(_template_detail(key))


class PromptVersionCreateView(BaseAPIView):
    write_role = Role.ADMIN
    write_scope = "admin"

    @extend_schema(
        request=s.PromptVersionCreateSerializer,
        responses={201: s.PromptVersionSerializer},
        summary="Add a version (the workspace's override); labels do not move until you move them",
        tags=TAGS,
    )
    def post(self, request: Request, key: str) -> Response:
        serializer = s.PromptVersionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = services.prompt_version_create(
            key=key, data=dict(serializer.validated_data), created_by_id=actor_for(request).user_id
        )
        return Response(s.PromptVersionSerializer(version).data, status=201)


class PromptLabelView(BaseAPIView):
    write_role = Role.ADMIN
    write_scope = "admin"

    @extend_schema(
        request=s.LabelRequestSerializer,
        responses=s.PromptTemplateDetailSerializer,
        summary="Point production or staging at a version (promotion, or rollback to an earlier one)",
        tags=TAGS,
    )
    def post(self, request: Request, key: str) -> Response:
        serializer = s.LabelRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.prompt_label_move(
            key=key,
            label=serializer.validated_data["label"],
            number=serializer.validated_data["version"],
            moved_by_id=actor_for(request).user_id,
        )
        return Response(_template_detail(key))


class BrandVoiceView(BaseAPIView):
    read_role = Role.ANALYST
    write_role = Role.ADMIN
    write_scope = "admin"

    @extend_schema(responses=s.BrandVoiceSerializer, summary="The brand voice every template applies", tags=TAGS)
    def get(self, request: Request) -> Response:
        return Response(s.BrandVoiceSerializer(BrandVoice.objects.first() or BrandVoice()).data)

    @extend_schema(
        request=s.BrandVoiceSerializer, responses=s.BrandVoiceSerializer, summary="Set the brand voice", tags=TAGS
    )
    def patch(self, request: Request) -> Response:
        serializer = s.BrandVoiceSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        voice = services.brand_voice_update(data=dict(serializer.validated_data))
        return Response(s.BrandVoiceSerializer(voice).data)


class GenerationListView(BaseListAPIView):
    serializer_class = s.GenerationSerializer
    read_role = Role.ANALYST
    write_role = Role.ANALYST
    write_scope = "write"
    uses_payment_provider = True  # documents the 503s (no AI provider configured or answering)

    def get_queryset(self) -> QuerySet[Generation]:
        used = self.request.query_params.get("used")
        if used not in (None, "true", "false"):
            raise ValidationFailed.for_field("used", "true or false.")
        return selectors.generations_list(
            template=self.request.query_params.get("template") or None,
            used=None if used is None else used == "true",
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("template", OpenApiTypes.STR, description="Only this template's generations."),
            OpenApiParameter("used", OpenApiTypes.BOOL, description="Only those marked used (true) or not (false)."),
        ],
        summary="Generated content, newest first",
        tags=TAGS,
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)

    @extend_schema(
        request=s.GenerateRequestSerializer,
        responses={201: s.GenerationSerializer},
        summary="Generate content from a template (validated variables, brand voice, A/B, quality score)",
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        serializer = s.GenerateRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        generation = services.content_generate(
            tenant=request_tenant(request),
            template_key=data["template"],
            variables=data["variables"],
            actor=actor_for(request),
            subject=data.get("subject"),
            label=data.get("label"),
            version=data.get("version"),
            use_cache=data["cache"],
        )
        return Response(s.GenerationSerializer(generation).data, status=201)


class GenerationDetailView(BaseAPIView):
    read_role = Role.ANALYST
    write_role = Role.ANALYST
    write_scope = "write"

    @extend_schema(responses=s.GenerationSerializer, summary="One generation", tags=TAGS)
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.GenerationSerializer(services.generation_get(pk)).data)

    @extend_schema(
        request=s.GenerationUpdateSerializer,
        responses=s.GenerationSerializer,
        summary="Rate (1-5), edit, or mark a generation used",
        tags=TAGS,
    )
    def patch(self, request: Request, pk: int) -> Response:
        serializer = s.GenerationUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(
            s.GenerationSerializer(services.generation_update(pk=pk, data=dict(serializer.validated_data))).data
        )


class BatchListView(BaseListAPIView):
    serializer_class = s.BatchSerializer
    read_role = Role.ANALYST
    write_role = Role.ANALYST
    write_scope = "write"

    def get_queryset(self) -> QuerySet[GenerationBatch]:
        return selectors.batches_list()

    @extend_schema(summary="Generation batches with their progress", tags=TAGS)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)

    @extend_schema(
        request=s.BatchCreateSerializer,
        responses={202: s.BatchSerializer},
        summary="Generate for many items (e.g. products) in the background; poll the batch for progress",
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        serializer = s.BatchCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        batch = services.generation_batch_create(
            tenant=request_tenant(request),
            template_key=data["template"],
            items=[dict(item) for item in data["items"]],
            label=data.get("label"),
            actor=actor_for(request),
        )
        return Response(s.BatchSerializer(batch).data, status=202)


class BatchDetailView(BaseAPIView):
    read_role = Role.ANALYST

    @extend_schema(responses=s.BatchSerializer, summary="One batch: status, progress, per-item errors", tags=TAGS)
    def get(self, request: Request, pk: int) -> Response:
        batch = selectors.batches_list().filter(pk=pk).first()
        if batch is None:
            raise NotFound("No such batch.")
        return Response(s.BatchSerializer(batch).data)


class BatchResumeView(BaseAPIView):
    write_role = Role.ANALYST
    write_scope = "write"

    @extend_schema(
        request=None,
        responses={202: s.BatchSerializer},
        summary="Resume a stopped batch: failed items are tried again, generated ones are not repeated",
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        require_feature(request_tenant(request), "ai_content")
        return Response(s.BatchSerializer(services.generation_batch_resume(batch_id=pk)).data, status=202)


class QualityView(BaseAPIView):
    read_role = Role.ANALYST

    @extend_schema(
        parameters=[
            OpenApiParameter("days", OpenApiTypes.INT, description="Look-back in days (1-365, default 90)."),
            OpenApiParameter("template", OpenApiTypes.STR, description="Only this template."),
        ],
        responses=s.QualityReportSerializer,
        summary="Average quality (automatic, judge, user rating) by template, version and model; weekly trend",
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        require_feature(request_tenant(request), "ai_content")
        days = _days(request.query_params.get("days"))
        report = selectors.quality_report(days=days, template=request.query_params.get("template") or None)
        return Response(s.QualityReportSerializer(report).data)


def _days(raw: str | None) -> int:
    if raw is None:
        return 90
    if not raw.isdigit() or not 1 <= int(raw) <= 365:
        raise ValidationFailed.for_field("days", "A whole number of days from 1 to 365.")
    return int(raw)
