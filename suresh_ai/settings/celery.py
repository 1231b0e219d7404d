"""Celery settings (read by celery_app.py through the CELERY_ namespace)."""

import environ
from celery.schedules import crontab

_env = environ.Env()
_redis_url = _env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")

# The daily backup's hour; ops.backups.services.backup_check reads it too (a new platform's first
# backup is due at the first such hour after it was set up).
BACKUP_HOUR_UTC = 3

CELERY_BROKER_URL = _env.str("CELERY_BROKER_URL", default=_redis_url)
CELERY_RESULT_BACKEND = _env.str("CELERY_RESULT_BACKEND", default=_redis_url)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = _env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = _env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_RESULT_EXPIRES = 24 * 60 * 60
# Nothing in the product waits for a task's return value (jobs report through their own rows). With
# results on, every send also subscribed to the result in Redis, and with Redis down that retried
# for 19 s before raising (then wanted the process restarted); a send now fails within a second.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "default"
# Every task is routed explicitly by name; new queues are added here, never on the decorator.
# The ops queue (monitoring, backups) has its own worker, so a stuck default queue cannot hold
# back the alert about it.
CELERY_TASK_ROUTES = {"tenants.*": {"queue": "default"}, "ai_chat.*": {"queue": "default"}, "ops.*": {"queue": "ops"}}
# django-celery-beat's database scheduler, storing each tick for the monitor's "beat" component.
CELERY_BEAT_SCHEDULER = "ops.beat:Scheduler"
# Workers log through Django's LOGGING (JSON lines) rather than Celery's own root handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Development convenience only: run tasks inline when no worker is wanted (never in production).
CELERY_TASK_ALWAYS_EAGER = _env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Periodic jobs (the database scheduler copies these into django-celery-beat's tables at start).
CELERY_BEAT_SCHEDULE = {
    "billing-dunning": {"task": "billing.dunning_sweep", "schedule": 3600.0},
    # Health history: every component checked once a minute (HEALTH_CHECK_INTERVAL_SECONDS).
    "ops-health-check": {
        "task": "ops.health_check",
        "schedule": _env.float("HEALTH_CHECK_INTERVAL_SECONDS", default=60.0),
    },
    # 02:40 UTC: health checks older than HEALTH_HISTORY_DAYS are dropped.
    "ops-health-prune": {"task": "ops.health_prune", "schedule": crontab(hour=2, minute=40)},
    # Request telemetry: each finished minute from Redis into the database (performance charts).
    "ops-telemetry-rollup": {"task": "ops.telemetry_rollup", "schedule": 60.0},
    # 02:50 UTC: request minutes and error hours older than TELEMETRY_HISTORY_DAYS are dropped.
    "ops-telemetry-prune": {"task": "ops.telemetry_prune", "schedule": crontab(hour=2, minute=50)},
    # 03:00 UTC: the daily backup (idempotent per day), then 04:00 UTC its restore verification.
    "ops-backup-run": {"task": "ops.backup_run", "schedule": crontab(hour=BACKUP_HOUR_UTC, minute=0)},
    "ops-backup-verify": {"task": "ops.backup_verify", "schedule": crontab(hour=BACKUP_HOUR_UTC + 1, minute=0)},
    # Five past each hour: every workspace's payment-failure spike check for the hour just ended.
    "intelligence-payment-spikes": {
        "task": "intelligence.payments_spike_check_all",
        "schedule": crontab(minute=5),
    },
    # 00:20 UTC: every workspace's RFM snapshot of the day that just ended.
    "intelligence-segments-snapshot": {
        "task": "intelligence.segments_snapshot_all",
        "schedule": crontab(hour=0, minute=20),
    },
}
