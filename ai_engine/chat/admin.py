"""The chatbot in the admin: on a tenant's own domain, for its owners and admins (its rows live in
its schema). Read and delete only: writes go through the services, which keep the search index
and the hand-off notifications right."""

from __future__ import annotations

from django.contrib import admin

from ai_engine.chat.models import ChatSettings, Conversation, KnowledgeChunk, KnowledgeSource, Message
from suresh_ai.admin_site import ReadOnlyInline, TenantReadOnlyAdmin, admin_site


class ChunkInline(ReadOnlyInline):
    model = KnowledgeChunk
    fields = ("ordinal", "heading", "text")


class MessageInline(ReadOnlyInline):
    model = Message
    fields = ("created_at", "role", "content", "citations", "interrupted")


@admin.register(KnowledgeSource, site=admin_site)
class KnowledgeSourceAdmin(TenantReadOnlyAdmin):
    may_delete = True
    list_display = ("title", "kind", "status", "created_at")
    list_filter = ("kind", "status")
    search_fields = ("title", "sku", "filename")
    inlines = (ChunkInline,)


@admin.register(Conversation, site=admin_site)
class ConversationAdmin(TenantReadOnlyAdmin):
    may_delete = True
    list_display = ("id", "status", "channel", "origin", "handoff_reason", "last_message_at")
    list_filter = ("status", "channel", "handoff_reason")
    exclude = ("visitor_token_hash",)
    inlines = (MessageInline,)


@admin.register(ChatSettings, site=admin_site)
class ChatSettingsAdmin(TenantReadOnlyAdmin):
    list_display = ("site_key", "history_messages", "handoff_email", "updated_at")
