from django.apps import AppConfig


class IntelligenceConfig(AppConfig):
    name = "intelligence"

    def ready(self) -> None:
        # Ingestion's tasks live beside the code they run; Celery's autodiscovery only looks at
        # intelligence/tasks.py, so they are registered here.
        from intelligence.ingest import tasks  # noqa: F401
