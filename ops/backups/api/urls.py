from django.urls import path

from ops.backups.api import views

urlpatterns = [
    path("", views.BackupListView.as_view(), name="api-platform-backups"),
    path("<int:pk>/", views.BackupDetailView.as_view(), name="api-platform-backup"),
    path("<int:pk>/verify/", views.BackupVerifyView.as_view(), name="api-platform-backup-verify"),
]
