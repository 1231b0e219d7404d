"""Chatbot API for the workspace's team and keys: knowledge base, conversations, settings. Thin views."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from ai_engine.api.v1.common import SSE_EVENT_SCHEMA, actor_for, sse_response
from ai_engine.chat import selectors, services
from ai_engine.chat.api.v1 import serializers as s
from ai_engine.chat.knowledge import knowledge_search, question_query
from ai_engine.chat.models import Conversation, KnowledgeSource
from billing.selectors import require_feature
from suresh_ai.api.views import BaseAPIView, BaseGenericAPIView, BaseListAPIView, ErrorSerializer
from suresh_ai.errors import NotFound, ValidationFailed
from suresh_ai.tenancy import request_tenant
from tenants.models import Role
from tenants.permissions import principal_for

TAGS = ["ai-chat"]
SSE_DESCRIPTION = (
    'Server-Sent Events: `data: {"delta"}` pieces of the model\'s answer, then `event: done` with '
    "{user_message, message, conversation, completion} (message is our hand-off notice, or null when the "
    "conversation is with a person), or `event: error` when the answer stopped part-way (kept, marked interrupted)."
)


class ChatFeature:
    """Members (analyst and up) and keys; the plan must include the chatbot (403 feature_not_in_plan)."""

    read_role = write_role = Role.ANALYST
    read_scope, write_scope = "read", "write"

    def check_permissions(self, request: Request) -> None:
        super().check_permissions(request)  # type: ignore[misc]
        require_feature(request_tenant(request), "chatbot")


def _choice(request: Request, name: str, choices: list[str]) -> str | None:
    value = request.query_params.get(name) or None
    if value is not None and value not in choices:
        raise ValidationFailed.for_field(name, f"Choose one of: {', '.join(choices)}.")
    return value


def _user_id(request: Request) -> int | None:
    principal = principal_for(request)
    return principal.user.pk if principal and principal.user else None


# --- Knowledge -----------------------------------------------------------------------------------


class KnowledgeSourceListView(ChatFeature, BaseListAPIView):
    serializer_class = s.KnowledgeSourceSerializer

    def get_queryset(self) -> QuerySet[KnowledgeSource]:
        kind = _choice(self.request, "kind", list(KnowledgeSource.Kind.values))
        return selectors.sources_list(kind=kind)

    @extend_schema(
        summary="Knowledge sources: FAQ entries, documents and products",
        parameters=[OpenApiParameter("kind", str, enum=list(KnowledgeSource.Kind.values), required=False)],
        tags=TAGS,
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)


def _created(source: KnowledgeSource) -> Response:
    data = s.KnowledgeSourceDetailSerializer(selectors.source_get(pk=source.pk)).data
    return Response(data, status=status.HTTP_201_CREATED)


class FaqCreateView(ChatFeature, BaseAPIView):
    @extend_schema(
        request=s.FaqCreateSerializer,
        responses={201: s.KnowledgeSourceDetailSerializer},
        summary="Add an FAQ entry",
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        body = s.FaqCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return _created(services.knowledge_faq_create(**body.validated_data))


class ProductCreateView(ChatFeature, BaseAPIView):
    @extend_schema(
        request=s.ProductCreateSerializer,
        responses={201: s.KnowledgeSourceDetailSerializer},
        summary="Add a product to the knowledge base",
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        body = s.ProductCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return _created(services.knowledge_product_create(**body.validated_data))


class ProductImportView(ChatFeature, BaseAPIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        request=s.ProductImportSerializer,
        responses={201: s.ProductImportResultSerializer},
        summary="Import products from a CSV (name, sku, price_paise, description, url)",
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        body = s.ProductImportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        created = services.knowledge_products_import(data=body.validated_data["file"].read())
        return Response({"created": len(created)}, status=status.HTTP_201_CREATED)


class DocumentUploadView(ChatFeature, BaseAPIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        request=s.DocumentUploadSerializer,
        responses={
            201: OpenApiResponse(
                s.KnowledgeSourceDetailSerializer, description="Text or Markdown: cut into passages at once."
            ),
            202: OpenApiResponse(
                s.KnowledgeSourceDetailSerializer,
                description="A PDF: stored with status `processing` and read by a worker. Follow "
                "`GET knowledge/{id}/` until `status` is `ready` (passages listed) or `failed` (`failure` says why).",
            ),
        },
        summary="Upload a document (text, Markdown or PDF); a PDF is read in the background",
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        body = s.DocumentUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        if upload.size > settings.CHAT_DOCUMENT_MAX_BYTES:  # refuse before reading it into memory
            raise ValidationFailed.for_field(
                "file", f"The file is {upload.size:,} bytes; the limit is {settings.CHAT_DOCUMENT_MAX_BYTES:,}."
            )
        source = services.knowledge_document_create(
            filename=upload.name or "document",
            content_type=upload.content_type or "",
            data=upload.read(),
            title=body.validated_data["title"],
        )
        response = _created(source)
        if source.status == KnowledgeSource.Status.PROCESSING:
            response.status_code = status.HTTP_202_ACCEPTED
        return response


class KnowledgeSourceDetailView(ChatFeature, BaseGenericAPIView):
    serializer_class = s.KnowledgeSourceDetailSerializer

    def get_queryset(self) -> QuerySet[KnowledgeSource]:
        return selectors.sources_list().prefetch_related("chunks")

    @extend_schema(summary="One knowledge source with its passages", tags=TAGS)
    def get(self, request: Request, pk: int) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        request=s.SourceUpdateSerializer,
        responses={
            200: s.KnowledgeSourceDetailSerializer,
            409: OpenApiResponse(
                ErrorSerializer, description="`document_not_ready`: a PDF still being read, or one that failed."
            ),
        },
        summary="Change a source (status, title; an FAQ's question and answer; a product's details)",
        tags=TAGS,
    )
    def patch(self, request: Request, pk: int) -> Response:
        source = self.get_object()
        body = s.SourceUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        services.knowledge_source_update(source=source, data=dict(body.validated_data))
        return Response(self.get_serializer(selectors.source_get(pk=source.pk)).data)

    @extend_schema(responses={204: None}, summary="Delete a source and its passages", tags=TAGS)
    def delete(self, request: Request, pk: int) -> Response:
        services.knowledge_source_delete(source=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class KnowledgeSearchView(ChatFeature, BaseAPIView):
    @extend_schema(
        summary="Search the knowledge base as the bot does (ranked passages; for checking what it will find)",
        parameters=[OpenApiParameter("q", str, required=True, description="A customer's question.")],
        responses={200: s.SearchResultSerializer, 400: OpenApiResponse(ErrorSerializer, description="No q.")},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        question = (request.query_params.get("q") or "").strip()
        if not question:
            raise ValidationFailed.for_field("q", "Give a question to search for.")
        hits = knowledge_search(question=question)
        data = {"query": question_query(question), "min_rank": settings.CHAT_RETRIEVAL_MIN_RANK, "results": hits}
        return Response(s.SearchResultSerializer(data).data)


# --- Conversations -------------------------------------------------------------------------------


class ConversationListView(ChatFeature, BaseListAPIView):
    serializer_class = s.ConversationSerializer

    def get_queryset(self) -> QuerySet[Conversation]:
        return selectors.conversations_list(status=_choice(self.request, "status", list(Conversation.Status.values)))

    @extend_schema(
        summary="Conversations, newest first",
        parameters=[OpenApiParameter("status", str, enum=list(Conversation.Status.values), required=False)],
        tags=TAGS,
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)

    @extend_schema(
        request=s.EmptySerializer,
        responses={201: s.ConversationDetailSerializer},
        summary="Start a conversation to try the bot (as a customer would)",
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        s.EmptySerializer(data=request.data).is_valid(raise_exception=True)
        started = services.conversation_start(channel=Conversation.Channel.STAFF, user_id=_user_id(request))
        return Response(_detail(started.conversation.pk), status=status.HTTP_201_CREATED)


def _conversation(pk: int) -> Conversation:
    conversation = selectors.conversation_get(pk=pk)
    if conversation is None:
        raise NotFound("No such conversation.")
    return conversation


def _detail(pk: int) -> dict[str, Any]:
    conversation = _conversation(pk)
    messages = selectors.messages_of(conversation=conversation)
    return s.ConversationDetailSerializer(conversation, context={"messages": messages}).data  # type: ignore[return-value]


class ConversationDetailView(ChatFeature, BaseAPIView):
    @extend_schema(responses=s.ConversationDetailSerializer, summary="One conversation with its messages", tags=TAGS)
    def get(self, request: Request, pk: int) -> Response:
        return Response(_detail(pk))


def wire_events(events: Iterator[dict[str, Any]], *, public: bool) -> Iterator[dict[str, Any]]:
    """The service's events with its records serialised (visitors see no ids, models or costs)."""
    message_serializer = s.PublicChatMessageSerializer if public else s.ChatMessageSerializer
    for event in events:
        if "done" not in event:
            yield event
            continue
        done = event["done"]
        conversation = done["conversation"]
        payload: dict[str, Any] = {
            "user_message": message_serializer(done["user_message"]).data,
            "message": message_serializer(done["message"]).data if done["message"] is not None else None,
            "conversation": {"id": conversation.pk, "status": conversation.status},
        }
        if not public:
            payload["conversation"]["handoff_reason"] = conversation.handoff_reason
            payload["completion"] = done["completion"]
        yield {"done": payload}


class ConversationMessageView(ChatFeature, BaseAPIView):
    uses_payment_provider = True  # documents the 503s (no AI provider configured or answering)

    @extend_schema(
        request=s.MessagePostSerializer,
        responses={(200, "text/event-stream"): OpenApiResponse(SSE_EVENT_SCHEMA, description=SSE_DESCRIPTION)},
        summary="Send a customer message; the answer streams back (or the conversation goes to a person)",
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        conversation = _conversation(pk)
        body = s.MessagePostSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        events = services.conversation_message_post(
            tenant=request_tenant(request),
            conversation=conversation,
            content=body.validated_data["content"],
            actor=actor_for(request),
        )
        return sse_response(wire_events(events, public=False))  # type: ignore[return-value]


class ConversationReplyView(ChatFeature, BaseAPIView):
    @extend_schema(
        request=s.AgentReplySerializer,
        responses={201: s.ChatMessageSerializer},
        summary="Reply to the customer as a member of the team",
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        conversation = _conversation(pk)
        body = s.AgentReplySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        message = services.conversation_agent_reply(
            conversation=conversation, content=body.validated_data["content"], user_id=_user_id(request)
        )
        return Response(s.ChatMessageSerializer(message).data, status=status.HTTP_201_CREATED)


class _ConversationAction(ChatFeature, BaseAPIView):
    def act(self, conversation: Conversation) -> None:
        raise NotImplementedError

    def post(self, request: Request, pk: int) -> Response:
        s.EmptySerializer(data=request.data).is_valid(raise_exception=True)
        self.act(_conversation(pk))
        return Response(_detail(pk))


class ConversationHandoffView(_ConversationAction):
    def act(self, conversation: Conversation) -> None:
        services.conversation_handoff(conversation=conversation, reason=Conversation.HandoffReason.STAFF)

    @extend_schema(
        request=s.EmptySerializer,
        responses=s.ConversationDetailSerializer,
        summary="Take the conversation over (the bot stops answering; the team is told)",
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


class ConversationCloseView(_ConversationAction):
    def act(self, conversation: Conversation) -> None:
        services.conversation_close(conversation=conversation)

    @extend_schema(
        request=s.EmptySerializer, responses=s.ConversationDetailSerializer, summary="Close the conversation", tags=TAGS
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


class ConversationReopenView(_ConversationAction):
    def act(self, conversation: Conversation) -> None:
        services.conversation_reopen(conversation=conversation)

    @extend_schema(
        request=s.EmptySerializer,
        responses=s.ConversationDetailSerializer,
        summary="Reopen: the bot answers again",
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


# --- Settings ------------------------------------------------------------------------------------


class ChatSettingsView(ChatFeature, BaseAPIView):
    write_role = Role.ADMIN
    write_scope = "admin"

    @extend_schema(responses=s.ChatSettingsSerializer, summary="Chatbot settings and the widget's site key", tags=TAGS)
    def get(self, request: Request) -> Response:
        return Response(s.ChatSettingsSerializer(services.chat_settings_ensure()).data)

    @extend_schema(
        request=s.ChatSettingsUpdateSerializer,
        responses=s.ChatSettingsSerializer,
        summary="Change allowed origins, history length, hand-off email or greeting",
        tags=TAGS,
    )
    def patch(self, request: Request) -> Response:
        body = s.ChatSettingsUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        return Response(s.ChatSettingsSerializer(services.chat_settings_update(data=dict(body.validated_data))).data)


class ChatSiteKeyRotateView(ChatFeature, BaseAPIView):
    write_role = Role.ADMIN
    write_scope = "admin"

    @extend_schema(
        request=s.EmptySerializer,
        responses=s.ChatSettingsSerializer,
        summary="Issue a new site key (the old one stops working at once)",
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        s.EmptySerializer(data=request.data).is_valid(raise_exception=True)
        return Response(s.ChatSettingsSerializer(services.chat_settings_rotate_key()).data)
