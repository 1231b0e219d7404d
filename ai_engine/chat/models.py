"""Chatbot records (tenant schema): the knowledge base, conversations and messages, widget settings."""

from __future__ import annotations

from typing import ClassVar

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


class ChatSettings(models.Model):
    """The workspace's chatbot settings (one row, made on first use with a fresh site key)."""

    site_key = models.CharField(max_length=64, unique=True, help_text="Public key the site widget sends.")
    allowed_origins = models.JSONField(
        default=list, blank=True, help_text='Exact origins the widget may run on, e.g. "https://shop.example.in".'
    )
    history_messages = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text="How many earlier messages travel to the model with each question.",
    )
    handoff_email = models.EmailField(blank=True, help_text="Who hears of a hand-off; empty: owners and admins.")
    greeting = models.CharField(max_length=300, default="Hello! Ask me anything about our products and policies.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "chat settings"
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(history_messages__gte=1, history_messages__lte=20), name="chat_history_1_to_20"
            )
        ]

    def __str__(self) -> str:
        return "Chatbot settings"


class KnowledgeSource(models.Model):
    """One thing the bot may answer from: an FAQ entry, an uploaded document or a product."""

    class Kind(models.TextChoices):
        FAQ = "faq", "FAQ entry"
        DOCUMENT = "document", "Document"
        PRODUCT = "product", "Product"

    class Status(models.TextChoices):
        READY = "ready", "Used in answers"
        DISABLED = "disabled", "Not used in answers"
        # PDFs are read by a worker (ai_chat.document_extract): processing until then, failed when
        # the file could not be used (``failure`` says why). Neither is ever searched.
        PROCESSING = "processing", "Being read"
        FAILED = "failed", "Could not be read"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.READY)
    title = models.CharField(max_length=300)
    # FAQ entries
    question = models.TextField(blank=True)
    answer = models.TextField(blank=True)
    # Documents: the upload as received (its text lives in the chunks)
    filename = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size_bytes = models.PositiveIntegerField(null=True, blank=True)
    upload = models.BinaryField(null=True, blank=True, help_text="A PDF waiting to be read (emptied after).")
    failure = models.CharField(max_length=500, blank=True, help_text="Why the file could not be read.")
    # Products (until the intelligence catalogue feeds them)
    sku = models.CharField(max_length=64, blank=True)
    price_paise = models.PositiveBigIntegerField(null=True, blank=True)
    description = models.TextField(blank=True)
    url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["kind", "created_at"]), models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"


class KnowledgeChunk(models.Model):
    """A passage of a source, searchable with PostgreSQL full-text search (``search`` is written by
    the service that writes the chunk: heading weight A, text B, the source's title C)."""

    source = models.ForeignKey(KnowledgeSource, on_delete=models.CASCADE, related_name="chunks")
    ordinal = models.PositiveIntegerField()
    heading = models.CharField(max_length=300, blank=True)
    text = models.TextField()
    search = SearchVectorField(null=True)

    class Meta:
        ordering = ("source_id", "ordinal")
        constraints: ClassVar = [models.UniqueConstraint(fields=["source", "ordinal"], name="chunk_ordinal_unique")]
        indexes: ClassVar = [GinIndex(fields=["search"], name="chunk_search_gin")]

    def __str__(self) -> str:
        return f"{self.source_id}#{self.ordinal}"


class Conversation(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open (the bot answers)"
        HANDOFF = "handoff", "Handed to a person"
        CLOSED = "closed", "Closed"

    class Channel(models.TextChoices):
        WIDGET = "widget", "Site widget"
        STAFF = "staff", "Staff (test panel or API)"

    class HandoffReason(models.TextChoices):
        CUSTOMER_REQUEST = "customer_request", "The customer asked for a person"
        NO_RELEVANT_KNOWLEDGE = "no_relevant_knowledge", "Nothing in the knowledge base matched"
        STAFF = "staff", "A team member took over"
        ASSISTANT_UNAVAILABLE = "assistant_unavailable", "The assistant could not answer (provider or quota)"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    # Widget visitors hold the token; only its SHA-256 is stored.
    visitor_token_hash = models.CharField(max_length=64, blank=True)
    origin = models.CharField(max_length=300, blank=True, help_text="The site the widget ran on.")
    started_by_user_id = models.BigIntegerField(null=True, blank=True, help_text="tenants.User id (staff).")
    handoff_reason = models.CharField(max_length=32, choices=HandoffReason.choices, blank=True)
    handoff_at = models.DateTimeField(null=True, blank=True)
    handoff_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["created_at"]), models.Index(fields=["status", "last_message_at"])]

    def __str__(self) -> str:
        return f"Conversation {self.pk} ({self.status})"


class Message(models.Model):
    class Role(models.TextChoices):
        USER = "user", "Customer"
        ASSISTANT = "assistant", "Bot (AI)"
        AGENT = "agent", "Team member"
        SYSTEM = "system", "Notice (our text, not AI)"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=16, choices=Role.choices)
    content = models.TextField()
    citations = models.JSONField(default=list, blank=True, help_text="[{n, source_id, title, kind, url}]")
    ai_request_id = models.BigIntegerField(null=True, blank=True, help_text="ai_engine.AIRequest id.")
    interrupted = models.BooleanField(default=False, help_text="The answer stopped part-way.")
    author_user_id = models.BigIntegerField(null=True, blank=True, help_text="tenants.User id (team replies).")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("created_at", "id")
        indexes: ClassVar = [models.Index(fields=["conversation", "created_at"])]

    def __str__(self) -> str:
        return f"{self.role}: {self.content[:40]}"
