from django.apps import AppConfig


class TelemetryConfig(AppConfig):
    """Request metrics, the internal error log and the slow-query log (public schema, platform-wide)."""

    name = "ops.telemetry"
    label = "ops_telemetry"
    verbose_name = "Telemetry"

    def ready(self) -> None:
        from ops.telemetry.signals import connect

        connect()
