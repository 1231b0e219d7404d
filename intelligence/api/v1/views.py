"""Data ingestion API: batches of customers, products, orders, payments, refunds, events, spend."""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from intelligence import services
from intelligence.api.v1 import serializers as s
from intelligence.ingest.records import KINDS
from suresh_ai.api.views import BaseAPIView
from suresh_ai.errors import NotFound, ValidationFailed
from tenants.models import Role


class BatchIngestView(BaseAPIView):
    write_role = Role.ANALYST
    write_scope = "write"

    @extend_schema(
        parameters=[OpenApiParameter("kind", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(KINDS))],
        request=s.BatchRequestSerializer,
        responses={200: s.BatchResultSerializer},
        summary="Send up to 1,000 records of one kind; sending the same records again changes nothing",
        description="Each invalid record is reported with its index, field and reason while the valid ones "
        "land (200). When no record is valid the answer is 400 with the same list in `detail.errors`.",
        tags=["data"],
    )
    def post(self, request: Request, kind: str) -> Response:
        if kind not in KINDS:
            raise NotFound(f"No data kind {kind!r}. Kinds: {', '.join(KINDS)}.")
        serializer = s.BatchRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.records_ingest(kind=kind, records=serializer.validated_data["records"])
        body = s.BatchResultSerializer(asdict(result)).data
        if result.errors and len(result.errors) == result.received:
            raise ValidationFailed(
                f"None of the {result.received} records is valid; the first: record {result.errors[0]['index']}, "
                f"{result.errors[0]['field']}: {result.errors[0]['reason']}",
                detail={"errors": result.errors},
            )
        return Response(body)
