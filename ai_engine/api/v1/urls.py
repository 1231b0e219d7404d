from django.urls import path

from ai_engine.api.v1 import content_views as content
from ai_engine.api.v1 import views

urlpatterns = [
    path("complete/", views.CompleteView.as_view(), name="api-ai-complete"),
    path("sentiment/", views.SentimentView.as_view(), name="api-ai-sentiment"),
    path("settings/", views.AISettingsView.as_view(), name="api-ai-settings"),
    path("requests/", views.AIRequestListView.as_view(), name="api-ai-requests"),
    path("prompts/", content.PromptListView.as_view(), name="api-ai-prompts"),
    path("prompts/<slug:key>/", content.PromptDetailView.as_view(), name="api-ai-prompt"),
    path("prompts/<slug:key>/versions/", content.PromptVersionCreateView.as_view(), name="api-ai-prompt-versions"),
    path("prompts/<slug:key>/labels/", content.PromptLabelView.as_view(), name="api-ai-prompt-labels"),
    path("brand-voice/", content.BrandVoiceView.as_view(), name="api-ai-brand-voice"),
    path("generations/", content.GenerationListView.as_view(), name="api-ai-generations"),
    path("generations/<int:pk>/", content.GenerationDetailView.as_view(), name="api-ai-generation"),
    path("generation-batches/", content.BatchListView.as_view(), name="api-ai-batches"),
    path("generation-batches/<int:pk>/", content.BatchDetailView.as_view(), name="api-ai-batch"),
    path("generation-batches/<int:pk>/resume/", content.BatchResumeView.as_view(), name="api-ai-batch-resume"),
    path("quality/", content.QualityView.as_view(), name="api-ai-quality"),
]
