from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants, accounts and teams"

    def ready(self) -> None:
        # Load the Celery app whenever Django starts, so shared_task binds to it (Redis broker) in web
        # processes too. Here rather than in suresh_ai/__init__.py: the settings module is chosen by
        # now, so celery_app's setdefault(DJANGO_SETTINGS_MODULE, dev) cannot override wsgi.py's.
        import celery_app  # noqa: F401
        import tenants.signals  # noqa: F401 - connects the cache-invalidation receivers
