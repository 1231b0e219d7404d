from django.urls import path

from ai_engine.chat.api.v1 import views

urlpatterns = [
    path("knowledge/", views.KnowledgeSourceListView.as_view(), name="api-chat-knowledge"),
    path("knowledge/faqs/", views.FaqCreateView.as_view(), name="api-chat-faq-create"),
    path("knowledge/documents/", views.DocumentUploadView.as_view(), name="api-chat-document-upload"),
    path("knowledge/products/", views.ProductCreateView.as_view(), name="api-chat-product-create"),
    path("knowledge/products/import/", views.ProductImportView.as_view(), name="api-chat-product-import"),
    path("knowledge/search/", views.KnowledgeSearchView.as_view(), name="api-chat-knowledge-search"),
    path("knowledge/<int:pk>/", views.KnowledgeSourceDetailView.as_view(), name="api-chat-knowledge-detail"),
    path("conversations/", views.ConversationListView.as_view(), name="api-chat-conversations"),
    path("conversations/<int:pk>/", views.ConversationDetailView.as_view(), name="api-chat-conversation"),
    path("conversations/<int:pk>/messages/", views.ConversationMessageView.as_view(), name="api-chat-message"),
    path("conversations/<int:pk>/reply/", views.ConversationReplyView.as_view(), name="api-chat-reply"),
    path("conversations/<int:pk>/handoff/", views.ConversationHandoffView.as_view(), name="api-chat-handoff"),
    path("conversations/<int:pk>/close/", views.ConversationCloseView.as_view(), name="api-chat-close"),
    path("conversations/<int:pk>/reopen/", views.ConversationReopenView.as_view(), name="api-chat-reopen"),
    path("settings/", views.ChatSettingsView.as_view(), name="api-chat-settings"),
    path("settings/rotate-key/", views.ChatSiteKeyRotateView.as_view(), name="api-chat-rotate-key"),
]
