from django.urls import path

from intelligence.api.v1 import views

urlpatterns = [
    path("data/<str:kind>/", views.BatchIngestView.as_view(), name="api-data-batch"),
]
