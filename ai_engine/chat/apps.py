from django.apps import AppConfig


class ChatConfig(AppConfig):
    """The knowledge-base chatbot (tenant app): knowledge sources, conversations, the site widget."""

    name = "ai_engine.chat"
    label = "ai_chat"
    verbose_name = "AI chatbot"
