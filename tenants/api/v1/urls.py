from django.urls import path

from tenants.api.v1 import views

urlpatterns = [
    path("me/", views.MeView.as_view(), name="api-me"),
    path("tenant/", views.TenantView.as_view(), name="api-tenant"),
    path("members/", views.MemberListView.as_view(), name="api-members"),
    path("members/<int:pk>/", views.MemberDetailView.as_view(), name="api-member"),
    path("invitations/", views.InvitationListView.as_view(), name="api-invitations"),
    path("invitations/<int:pk>/", views.InvitationDetailView.as_view(), name="api-invitation"),
    path("api-keys/", views.ApiKeyListView.as_view(), name="api-api-keys"),
    path("api-keys/<int:pk>/", views.ApiKeyDetailView.as_view(), name="api-api-key"),
    path("export/", views.ExportView.as_view(), name="api-export"),
]
