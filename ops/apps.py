from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "ops"

    def ready(self) -> None:
        from celery.signals import worker_ready, worker_shutdown

        import ops.admin_monitoring  # noqa: F401 - registers the monitoring models in the platform admin
        from ops.monitor import monitor_thread_start, monitor_thread_stop

        # Every worker monitors (one round per interval platform-wide; see ops.monitor).
        worker_ready.connect(monitor_thread_start, weak=False, dispatch_uid="ops-monitor-start")
        worker_shutdown.connect(monitor_thread_stop, weak=False, dispatch_uid="ops-monitor-stop")
