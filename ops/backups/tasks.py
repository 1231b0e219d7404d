"""Backup jobs on the ops queue: the daily backup (03:00 UTC) and its verification (04:00 UTC)."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from django.conf import settings

_LIMIT = settings.BACKUP_TASK_TIME_LIMIT
# A requested backup or verification that finds another one running waits its turn (up to ~4 h).
_BUSY_RETRY_SECONDS = 120
_BUSY_RETRIES = 120


@shared_task(bind=True, name="ops.backup_run", time_limit=_LIMIT, soft_time_limit=_LIMIT - 60, ignore_result=True)
def backup_run_task(self: Task, backup_id: int | None = None) -> dict[str, Any]:  # type: ignore[type-arg]
    """Daily (beat) or on request (``backup_id`` of a queued row). A retry on the same day returns the
    day's backup instead of making another. While another backup runs, the daily one stops (that one
    is the day's backup) and a requested one waits its turn."""
    from ops.backups.exceptions import BackupBusy
    from ops.backups.services import backup_run

    try:
        backup = backup_run(backup_id=backup_id)
    except BackupBusy as exc:
        if backup_id is None:
            return {"skipped": "a backup is running"}
        raise self.retry(exc=exc, countdown=_BUSY_RETRY_SECONDS, max_retries=_BUSY_RETRIES) from exc
    return {"backup_id": backup.pk, "status": backup.status}


@shared_task(bind=True, name="ops.backup_verify", time_limit=_LIMIT, soft_time_limit=_LIMIT - 60, ignore_result=True)
def backup_verify_task(self: Task, backup_id: int | None = None) -> dict[str, Any]:  # type: ignore[type-arg]
    """Daily (beat): verify the newest backup unless verified; on request: the given one."""
    from ops.backups.exceptions import BackupBusy
    from ops.backups.models import Backup
    from ops.backups.services import backup_verify, backup_verify_latest

    try:
        result = backup_verify_latest() if backup_id is None else backup_verify(Backup.objects.get(pk=backup_id))
    except BackupBusy as exc:
        if backup_id is None:
            return {"skipped": "a verification is running"}
        raise self.retry(exc=exc, countdown=_BUSY_RETRY_SECONDS, max_retries=_BUSY_RETRIES) from exc
    if result is None:
        return {"skipped": "nothing to verify"}
    return {"backup_id": result.backup_id, "ok": result.ok}
