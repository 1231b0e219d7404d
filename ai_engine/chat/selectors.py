"""Reads for the chatbot (inside the tenant's schema): sources, conversations, settings, widget checks."""

from __future__ import annotations

import hashlib
import hmac

from django.db.models import Count, QuerySet

from ai_engine.chat.models import ChatSettings, Conversation, KnowledgeSource, Message
from tenants.models import Membership, Role, Tenant


def sources_list(*, kind: str | None = None) -> QuerySet[KnowledgeSource]:
    sources = KnowledgeSource.objects.defer("upload").annotate(chunk_count=Count("chunks"))
    return sources.filter(kind=kind) if kind else sources


def source_get(*, pk: int) -> KnowledgeSource | None:
    return sources_list().prefetch_related("chunks").filter(pk=pk).first()


def conversations_list(*, status: str | None = None) -> QuerySet[Conversation]:
    conversations = Conversation.objects.annotate(message_count=Count("messages"))
    return conversations.filter(status=status) if status else conversations


def conversation_get(*, pk: int) -> Conversation | None:
    return conversations_list().filter(pk=pk).first()


def conversation_for_visitor(*, pk: int, token: str) -> Conversation | None:
    """A widget conversation, only for the visitor holding its token (anyone else: None)."""
    conversation = conversations_list().filter(pk=pk, channel=Conversation.Channel.WIDGET).first()
    if conversation is None or not token:
        return None
    if not hmac.compare_digest(conversation.visitor_token_hash, hashlib.sha256(token.encode()).hexdigest()):
        return None
    return conversation


def messages_of(*, conversation: Conversation, limit: int = 500) -> list[Message]:
    """The conversation's messages, oldest first (the latest ``limit``)."""
    latest = list(Message.objects.filter(conversation=conversation).order_by("-created_at", "-id")[:limit])
    return latest[::-1]


def history_before_reply(*, conversation: Conversation, count: int) -> list[Message]:
    """The last ``count`` customer, bot and team messages (not notices), oldest first."""
    rows = (
        Message.objects.filter(conversation=conversation)
        .exclude(role=Message.Role.SYSTEM)
        .order_by("-created_at", "-id")[:count]
    )
    return list(rows)[::-1]


def previous_customer_message(*, conversation: Conversation) -> str:
    last = (
        Message.objects.filter(conversation=conversation, role=Message.Role.USER)
        .order_by("-created_at", "-id")
        .values_list("content", flat=True)
        .first()
    )
    return last or ""


def chat_settings_get() -> ChatSettings | None:
    return ChatSettings.objects.first()


def site_key_matches(*, settings_row: ChatSettings | None, key: str) -> bool:
    return bool(settings_row and key and hmac.compare_digest(settings_row.site_key.encode(), key.encode()))


def origin_allowed(*, settings_row: ChatSettings | None, origin: str) -> bool:
    """Exactly one of the allowed origins (scheme, host and port; compared lower-case)."""
    return bool(settings_row and origin and origin.lower() in settings_row.allowed_origins)


def handoff_recipients(*, tenant: Tenant, settings_row: ChatSettings | None) -> list[str]:
    """Who is told of a hand-off: the configured address, else the owners and admins."""
    if settings_row and settings_row.handoff_email:
        return [settings_row.handoff_email]
    emails = (
        Membership.objects.filter(tenant=tenant, role__in=[Role.OWNER, Role.ADMIN], user__is_active=True)
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )
    return list(emails)
