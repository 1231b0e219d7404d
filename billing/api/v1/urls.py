from django.urls import path

from billing.api.v1 import views

urlpatterns = [
    path("plans/", views.PlanListView.as_view(), name="api-billing-plans"),
    path("entitlements/", views.EntitlementsView.as_view(), name="api-billing-entitlements"),
]
