from django.urls import path

from ai_engine.api.v1 import views

urlpatterns = [
    path("complete/", views.CompleteView.as_view(), name="api-ai-complete"),
    path("sentiment/", views.SentimentView.as_view(), name="api-ai-sentiment"),
    path("settings/", views.AISettingsView.as_view(), name="api-ai-settings"),
    path("requests/", views.AIRequestListView.as_view(), name="api-ai-requests"),
]
