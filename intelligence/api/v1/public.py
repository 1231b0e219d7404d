"""The tracking endpoint for the snippet on a workspace's own site: a public, write-only key and
the workspace's allowed origins; no cookies, no API key. Accepts ``text/plain`` JSON so browsers
can send it with ``navigator.sendBeacon`` (no CORS preflight)."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import redis
from django.conf import settings
from django.utils.cache import patch_vary_headers
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from intelligence import services
from intelligence.api.v1.serializers import RecordErrorSerializer
from intelligence.ingest.tracking import is_bot, records_from_beacon
from intelligence.models import DataSettings
from suresh_ai.api.ratelimit import client_ip, rate_limit_hit
from suresh_ai.api.views import BaseAPIView
from suresh_ai.errors import ApplicationError, ValidationFailed
from suresh_ai.tenancy import request_tenant


class PlainTextJSONParser(BaseParser):
    """JSON sent as text/plain (what sendBeacon sends without a preflight)."""

    media_type = "text/plain"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return json.loads(stream.read().decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValidationFailed("The body is not JSON.", code="parse_error") from exc


class TrackingRefused(ApplicationError):
    status_code = 403
    code = "tracking_key_invalid"


class TrackRequestSerializer(serializers.Serializer[Any]):
    k = serializers.CharField(help_text="The workspace's public tracking key (write-only).")
    events = serializers.ListField(
        child=serializers.DictField(),
        help_text="1-50 events: {type: page|track|identify, event, id, anonymous_id, user_id, session_id, url, "
        "referrer, ts, properties}.",
    )


class TrackResultSerializer(serializers.Serializer[Any]):
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    dropped_bot = serializers.BooleanField()
    errors = RecordErrorSerializer(many=True)  # type: ignore[assignment]  # a field named like Serializer.errors


def _row() -> DataSettings | None:
    return DataSettings.objects.first()


class TrackView(BaseAPIView):
    authentication_classes: list[type] = []
    permission_classes: list[type] = []
    throttle_classes: list[type] = []
    parser_classes = (PlainTextJSONParser, JSONParser)

    def options(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        row = _row()
        origin = request.headers.get("Origin", "")
        if not row or origin.lower() not in row.tracking_origins:
            raise TrackingRefused(f"The origin {origin[:100]!r} is not allowed.", code="origin_not_allowed")
        return Response(
            status=status.HTTP_204_NO_CONTENT,
            headers={"Access-Control-Allow-Methods": "POST, OPTIONS", "Access-Control-Allow-Headers": "Content-Type"},
        )

    @extend_schema(
        request={"text/plain": TrackRequestSerializer, "application/json": TrackRequestSerializer},
        responses={202: TrackResultSerializer},
        auth=[],
        summary="Tracking snippet: page views, identify and events from an allowed origin, with the public key",
        tags=["data"],
    )
    def post(self, request: Request) -> Response:
        row = _row()
        body = request.data if isinstance(request.data, dict) else {}
        key = str(body.get("k", ""))
        if not row or not key or not hmac.compare_digest(row.tracking_key.encode(), key.encode()):
            raise TrackingRefused("The tracking key is missing or not this site's key.")
        origin = request.headers.get("Origin", "")
        if origin.lower() not in row.tracking_origins:
            raise TrackingRefused(
                f"The origin {origin[:100]!r} is not allowed to send events." if origin else "No Origin header.",
                code="origin_not_allowed",
            )
        self._limit(request, key)
        if is_bot(request.headers.get("User-Agent", "")):
            return Response({"accepted": 0, "duplicates": 0, "dropped_bot": True, "errors": []}, status=202)
        result = services.records_ingest(kind="events", records=records_from_beacon(body))
        data = {
            "accepted": result.created,
            "duplicates": result.unchanged,
            "dropped_bot": False,
            "errors": result.errors,
        }
        return Response(TrackResultSerializer(data).data, status=202)

    def _limit(self, request: Request, key: str) -> None:
        if not settings.RATE_LIMIT_ENABLED:
            return
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        try:
            result = rate_limit_hit(
                schema_name=request_tenant(request).schema_name,
                identity=f"tracking:{digest}:{client_ip(request)}",
                per_minute=settings.TRACKING_RATE_PER_MINUTE,
                burst=settings.TRACKING_RATE_BURST,
            )
        except redis.RedisError:
            return  # never lose a site's analytics because the limiter is away
        if not result.allowed:
            from rest_framework.exceptions import Throttled

            raise Throttled(wait=result.retry_after_seconds)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        row = _row()
        origin = request.headers.get("Origin", "")
        if row and origin and origin.lower() in row.tracking_origins:
            response["Access-Control-Allow-Origin"] = origin
        patch_vary_headers(response, ["Origin"])
        return response


class RazorpayWebhookResultSerializer(serializers.Serializer[Any]):
    status = serializers.CharField()
    duplicate = serializers.BooleanField()


class RazorpayWebhookView(BaseAPIView):
    """Webhooks from the workspace's own Razorpay account (its secret; its unguessable URL)."""

    authentication_classes: list[type] = []
    permission_classes: list[type] = []
    throttle_classes: list[type] = []
    parser_classes: tuple[type, ...] = ()  # the raw body is what the signature covers

    @extend_schema(
        request=None,
        responses={200: RazorpayWebhookResultSerializer},
        auth=[],
        summary="Razorpay webhook for this workspace's own account (payment.*, order.paid, refund.*)",
        tags=["data"],
    )
    def post(self, request: Request, token: str) -> Response:
        from intelligence.ingest.razorpay import webhook_receive

        delivery = webhook_receive(
            token=token,
            body=request.body,
            signature=request.headers.get("X-Razorpay-Signature", ""),
            event_id=request.headers.get("X-Razorpay-Event-Id", ""),
        )
        return Response({"status": "accepted", "duplicate": delivery.duplicate})
