from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ai_engine.chat.models import ChatSettings, Conversation, KnowledgeChunk, KnowledgeSource, Message
from suresh_ai.api.serializers import MAX_PAISE, IdentifierField, StrictIntegerField
from suresh_ai.api.views import StrictSerializerMixin

# --- Knowledge -----------------------------------------------------------------------------------


class KnowledgeSourceSerializer(serializers.ModelSerializer[KnowledgeSource]):
    chunk_count = serializers.IntegerField(read_only=True, help_text="Passages it was cut into.")

    class Meta:
        model = KnowledgeSource
        fields: tuple[str, ...] = (
            "id",
            "kind",
            "status",
            "title",
            "question",
            "answer",
            "filename",
            "content_type",
            "size_bytes",
            "failure",
            "sku",
            "price_paise",
            "description",
            "url",
            "chunk_count",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class KnowledgeChunkSerializer(serializers.ModelSerializer[KnowledgeChunk]):
    class Meta:
        model = KnowledgeChunk
        fields = ("ordinal", "heading", "text")
        read_only_fields = fields


class KnowledgeSourceDetailSerializer(KnowledgeSourceSerializer):
    chunks = KnowledgeChunkSerializer(many=True, read_only=True)

    class Meta(KnowledgeSourceSerializer.Meta):
        fields = (*KnowledgeSourceSerializer.Meta.fields, "chunks")
        read_only_fields = fields


class FaqCreateSerializer(StrictSerializerMixin, serializers.Serializer[Any]):
    question = serializers.CharField(max_length=300)
    answer = serializers.CharField(max_length=10_000)


class ProductCreateSerializer(StrictSerializerMixin, serializers.Serializer[Any]):
    name = serializers.CharField(max_length=300)
    sku = IdentifierField(max_length=64, required=False, allow_blank=True, default="")
    price_paise = StrictIntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_PAISE, help_text="Price in paise."
    )
    description = serializers.CharField(max_length=10_000, required=False, allow_blank=True, default="")
    url = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")


class SourceUpdateSerializer(StrictSerializerMixin, serializers.Serializer[Any]):
    status = serializers.ChoiceField(
        choices=[(s.value, s.label) for s in (KnowledgeSource.Status.READY, KnowledgeSource.Status.DISABLED)],
        required=False,
        help_text="Whether the bot uses it (processing and failed are set by the reading of a PDF).",
    )
    title = serializers.CharField(max_length=300, required=False)
    question = serializers.CharField(max_length=300, required=False, help_text="FAQ entries.")
    answer = serializers.CharField(max_length=10_000, required=False, help_text="FAQ entries.")
    sku = IdentifierField(max_length=64, required=False, allow_blank=True, help_text="Products.")
    price_paise = StrictIntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_PAISE, help_text="Products."
    )
    description = serializers.CharField(max_length=10_000, required=False, allow_blank=True, help_text="Products.")
    url = serializers.URLField(max_length=500, required=False, allow_blank=True, help_text="Products.")


class DocumentUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="Text (.txt), Markdown (.md) or PDF (.pdf), at most 5 MB by default.")
    title = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ProductImportSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="CSV with a header row: name, sku, price_paise, description, url.")


class ProductImportResultSerializer(serializers.Serializer[Any]):
    created = serializers.IntegerField()


class SearchHitSerializer(serializers.Serializer[Any]):
    chunk_id = serializers.IntegerField()
    source_id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    url = serializers.CharField(allow_blank=True)
    heading = serializers.CharField(allow_blank=True)
    text = serializers.CharField()
    rank = serializers.FloatField(help_text="ts_rank_cd normalised to 0..1; higher is better.")


class SearchResultSerializer(serializers.Serializer[Any]):
    query = serializers.CharField(help_text="What was searched (the question's words, joined with or).")
    min_rank = serializers.FloatField()
    results = SearchHitSerializer(many=True)


# --- Conversations -------------------------------------------------------------------------------


class CitationSerializer(serializers.Serializer[Any]):
    n = serializers.IntegerField(help_text="The number the answer cites, as in [1].")
    source_id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.CharField()
    url = serializers.CharField(required=False)


class ChatMessageSerializer(serializers.ModelSerializer[Message]):
    citations = CitationSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = ("id", "role", "content", "citations", "interrupted", "ai_request_id", "author_user_id", "created_at")
        read_only_fields = fields


class PublicChatMessageSerializer(serializers.ModelSerializer[Message]):
    """What a site visitor sees of a message (no internal ids)."""

    citations = CitationSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = ("id", "role", "content", "citations", "interrupted", "created_at")
        read_only_fields = fields


class ConversationSerializer(serializers.ModelSerializer[Conversation]):
    message_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Conversation
        fields: tuple[str, ...] = (
            "id",
            "status",
            "channel",
            "origin",
            "handoff_reason",
            "handoff_at",
            "message_count",
            "created_at",
            "last_message_at",
        )
        read_only_fields = fields


class ConversationDetailSerializer(ConversationSerializer):
    messages = serializers.SerializerMethodField()

    class Meta(ConversationSerializer.Meta):
        fields = (*ConversationSerializer.Meta.fields, "messages")
        read_only_fields = fields

    def get_messages(self, obj: Conversation) -> list[dict[str, Any]]:
        return ChatMessageSerializer(self.context.get("messages", []), many=True).data  # type: ignore[return-value]


class PublicConversationSerializer(serializers.ModelSerializer[Conversation]):
    messages = serializers.SerializerMethodField()

    class Meta:
        model = Conversation
        fields = ("id", "status", "created_at", "messages")
        read_only_fields = fields

    def get_messages(self, obj: Conversation) -> list[dict[str, Any]]:
        return PublicChatMessageSerializer(self.context.get("messages", []), many=True).data  # type: ignore[return-value]


class PublicConversationStartedSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    status = serializers.CharField()
    visitor_token = serializers.CharField(help_text="Send as X-Visitor-Token on this conversation's calls.")
    greeting = serializers.CharField()


class MessagePostSerializer(StrictSerializerMixin, serializers.Serializer[Any]):
    content = serializers.CharField(max_length=4000, help_text="The customer's message.")


class AgentReplySerializer(StrictSerializerMixin, serializers.Serializer[Any]):
    content = serializers.CharField(max_length=4000, help_text="Your reply, as a member of the team.")


class EmptySerializer(StrictSerializerMixin, serializers.Serializer[Any]):
    pass


# --- Settings ------------------------------------------------------------------------------------


class ChatSettingsSerializer(serializers.ModelSerializer[ChatSettings]):
    class Meta:
        model = ChatSettings
        fields = ("site_key", "allowed_origins", "history_messages", "handoff_email", "greeting", "updated_at")
        read_only_fields = fields


class ChatSettingsUpdateSerializer(StrictSerializerMixin, serializers.Serializer[Any]):
    allowed_origins = serializers.ListField(child=serializers.CharField(max_length=300), required=False, max_length=20)
    history_messages = StrictIntegerField(required=False, min_value=1, max_value=20)
    handoff_email = serializers.EmailField(required=False, allow_blank=True)
    greeting = serializers.CharField(required=False, max_length=300)
