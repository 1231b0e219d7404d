from django.urls import path

from ai_engine.chat.api.v1 import public

urlpatterns = [
    path("conversations/", public.PublicConversationStartView.as_view(), name="api-chat-widget-start"),
    path("conversations/<int:pk>/", public.PublicConversationView.as_view(), name="api-chat-widget-conversation"),
    path("conversations/<int:pk>/messages/", public.PublicMessageView.as_view(), name="api-chat-widget-message"),
    path("conversations/<int:pk>/handoff/", public.PublicHandoffView.as_view(), name="api-chat-widget-handoff"),
]
