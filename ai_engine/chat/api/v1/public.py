"""The site widget's public API, on the tenant's own domain. No cookies and no API key: a call
carries the workspace's public site key (``X-Site-Key``) from a page whose ``Origin`` is exactly
one of the workspace's allowed origins, and a conversation's calls also carry the visitor token
it was started with (``X-Visitor-Token``). CORS is answered here, per tenant, for those origins
only (django-cors-headers skips /api/v1/public/). Rate-limited per site key and visitor IP."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import redis
from django.conf import settings
from django.utils.cache import patch_vary_headers
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from ai_engine.api.v1.common import SSE_EVENT_SCHEMA, sse_response
from ai_engine.chat import selectors, services
from ai_engine.chat.api.v1 import serializers as s
from ai_engine.chat.api.v1.views import SSE_DESCRIPTION, wire_events
from ai_engine.chat.models import ChatSettings, Conversation
from ai_engine.services import Actor, QuotaExceeded
from billing.selectors import require_feature
from suresh_ai.api.ratelimit import RateLimitResult, client_ip, rate_limit_hit
from suresh_ai.api.views import BaseAPIView
from suresh_ai.errors import ApplicationError, NotFound, ServiceUnavailable
from suresh_ai.tenancy import request_tenant

logger = logging.getLogger(__name__)
TAGS = ["ai-chat"]
ALLOW_HEADERS = "Content-Type, X-Site-Key, X-Visitor-Token"
SITE_KEY = OpenApiParameter(
    "X-Site-Key", str, OpenApiParameter.HEADER, required=True, description="The workspace's public site key."
)
VISITOR_TOKEN = OpenApiParameter(
    "X-Visitor-Token", str, OpenApiParameter.HEADER, required=True, description="From starting the conversation."
)


class WidgetRefused(ApplicationError):
    status_code = 403
    code = "site_key_invalid"


def _settings_row(request: Request) -> ChatSettings | None:
    if not hasattr(request, "_chat_settings"):
        request._chat_settings = selectors.chat_settings_get()  # type: ignore[attr-defined]
    return request._chat_settings  # type: ignore[attr-defined, no-any-return]


class SiteKeyAndOrigin(BasePermission):
    """The site key of this workspace (another workspace's key is refused on this domain), from an
    allowed origin, on a plan with the chatbot. A CORS preflight carries no key: origin only."""

    def has_permission(self, request: Request, view: Any) -> bool:
        row = _settings_row(request)
        origin = request.headers.get("Origin", "")
        if request.method != "OPTIONS" and not selectors.site_key_matches(
            settings_row=row, key=request.headers.get("X-Site-Key", "")
        ):
            raise WidgetRefused("The X-Site-Key header is missing or not this site's key.")
        if not selectors.origin_allowed(settings_row=row, origin=origin):
            raise WidgetRefused(
                f"The origin {origin[:100]!r} is not allowed for this chat widget." if origin else "No Origin header.",
                code="origin_not_allowed",
            )
        require_feature(request_tenant(request), "chatbot")
        return True


class SiteKeyThrottle(BaseThrottle):
    """The shared GCRA limiter, per site key (as sent) and visitor IP; preflights are free."""

    def allow_request(self, request: Request, view: Any) -> bool:
        self._result: RateLimitResult | None = None
        if request.method == "OPTIONS" or not settings.RATE_LIMIT_ENABLED:
            return True
        key = hashlib.sha256(request.headers.get("X-Site-Key", "").encode()).hexdigest()[:16]
        try:
            result = rate_limit_hit(
                schema_name=request_tenant(request).schema_name,
                identity=f"chat-widget:{key}:{client_ip(request)}",
                per_minute=settings.CHAT_WIDGET_RATE_PER_MINUTE,
                burst=settings.CHAT_WIDGET_RATE_BURST,
            )
        except redis.RedisError:
            logger.warning("rate_limit_unavailable", exc_info=True)
            return True
        self._result = result
        request._request.rate_limit = result  # type: ignore[attr-defined]
        return result.allowed

    def wait(self) -> float | None:
        return float(self._result.retry_after_seconds) if self._result else None


class WidgetAPIView(BaseAPIView):
    """For the site widget: send the workspace's public site key as X-Site-Key from a page whose
    Origin is one of the workspace's allowed origins (403 site_key_invalid / origin_not_allowed);
    no cookies and no API key. Limited per site key and visitor IP."""

    authentication_classes: list[type] = []
    permission_classes = [SiteKeyAndOrigin]
    throttle_classes = [SiteKeyThrottle]

    def options(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return Response(
            status=status.HTTP_204_NO_CONTENT,
            headers={
                "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                "Access-Control-Allow-Headers": ALLOW_HEADERS,
                "Access-Control-Max-Age": "600",
            },
        )

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        origin = request.headers.get("Origin", "")
        if selectors.origin_allowed(settings_row=_settings_row(request), origin=origin):
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Expose-Headers"] = "Retry-After, RateLimit-Remaining"
        patch_vary_headers(response, ["Origin"])
        return response


def _visitor_conversation(request: Request, pk: int) -> Conversation:
    token = request.headers.get("X-Visitor-Token", "")
    if not token:
        raise WidgetRefused("Send the conversation's X-Visitor-Token.", code="visitor_token_required")
    conversation = selectors.conversation_for_visitor(pk=pk, token=token)
    if conversation is None:
        raise NotFound("No such conversation for this visitor.")
    return conversation


def _public_detail(conversation: Conversation) -> dict[str, Any]:
    messages = selectors.messages_of(conversation=conversation)
    return s.PublicConversationSerializer(conversation, context={"messages": messages}).data  # type: ignore[return-value]


class PublicConversationStartView(WidgetAPIView):
    @extend_schema(
        request=s.EmptySerializer,
        responses={201: s.PublicConversationStartedSerializer},
        parameters=[SITE_KEY],
        auth=[],
        summary="Widget: start a conversation (returns the visitor token, once)",
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        s.EmptySerializer(data=request.data).is_valid(raise_exception=True)
        started = services.conversation_start(
            channel=Conversation.Channel.WIDGET, origin=request.headers.get("Origin", "")
        )
        row = _settings_row(request)
        data = {
            "id": started.conversation.pk,
            "status": started.conversation.status,
            "visitor_token": started.visitor_token,
            "greeting": row.greeting if row else "",
        }
        return Response(s.PublicConversationStartedSerializer(data).data, status=status.HTTP_201_CREATED)


class PublicConversationView(WidgetAPIView):
    @extend_schema(
        responses=s.PublicConversationSerializer,
        parameters=[SITE_KEY, VISITOR_TOKEN],
        auth=[],
        summary="Widget: the conversation and its messages (poll it for the team's replies)",
        tags=TAGS,
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(_public_detail(_visitor_conversation(request, pk)))


class PublicMessageView(WidgetAPIView):
    uses_payment_provider = True  # documents the 503s (no AI provider configured or answering)

    @extend_schema(
        request=s.MessagePostSerializer,
        responses={(200, "text/event-stream"): OpenApiResponse(SSE_EVENT_SCHEMA, description=SSE_DESCRIPTION)},
        parameters=[SITE_KEY, VISITOR_TOKEN],
        auth=[],
        summary="Widget: send the visitor's message; the answer streams back",
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        conversation = _visitor_conversation(request, pk)
        body = s.MessagePostSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            events = services.conversation_message_post(
                tenant=request_tenant(request),
                conversation=conversation,
                content=body.validated_data["content"],
                actor=Actor(),
            )
        except (QuotaExceeded, ServiceUnavailable):
            # Not the visitor's business (and no model or quota details for the public): their
            # message is kept and a person takes over.
            events = services.conversation_assistant_unavailable(
                conversation=conversation, content=body.validated_data["content"]
            )
        return sse_response(wire_events(events, public=True))  # type: ignore[return-value]


class PublicHandoffView(WidgetAPIView):
    @extend_schema(
        request=s.EmptySerializer,
        responses=s.PublicConversationSerializer,
        parameters=[SITE_KEY, VISITOR_TOKEN],
        auth=[],
        summary="Widget: the visitor asks for a person",
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        conversation = _visitor_conversation(request, pk)
        s.EmptySerializer(data=request.data).is_valid(raise_exception=True)
        services.conversation_handoff(conversation=conversation, reason=Conversation.HandoffReason.CUSTOMER_REQUEST)
        return Response(_public_detail(conversation))
