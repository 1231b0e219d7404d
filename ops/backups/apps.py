from django.apps import AppConfig


class BackupsConfig(AppConfig):
    """Database backups (public schema): pg_dump, off-site copies, retention, restore verification."""

    name = "ops.backups"
    label = "ops_backups"
    verbose_name = "Backups"
