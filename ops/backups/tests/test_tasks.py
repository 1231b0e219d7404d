"""The Celery tasks (ops queue, beat at 03:00 and 04:00 UTC) and the commands, end to end."""

from __future__ import annotations

import shutil
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from ops.backups.models import Backup
from ops.backups.tasks import backup_run_task, backup_verify_task
from ops.backups.tests.conftest import Committed


def test_beat_and_routing(db: None) -> None:
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["ops-backup-run"] == {"task": "ops.backup_run", "schedule": crontab(hour=3, minute=0)}
    assert schedule["ops-backup-verify"] == {"task": "ops.backup_verify", "schedule": crontab(hour=4, minute=0)}
    assert settings.CELERY_TASK_ROUTES["ops.*"] == {"queue": "ops"}
    assert backup_run_task.name == "ops.backup_run"
    assert backup_verify_task.name == "ops.backup_verify"


def test_daily_tasks_are_idempotent(committed: Committed, django_db_blocker: Any, eager_tasks: None) -> None:
    with django_db_blocker.unblock():
        first = backup_run_task.delay().get()
        again = backup_run_task.delay().get()  # a retry on the same day
        assert first == again == {"backup_id": first["backup_id"], "status": "succeeded"}
        assert Backup.objects.count() == 1
        assert backup_verify_task.delay().get() == {"backup_id": first["backup_id"], "ok": True}
        assert backup_verify_task.delay().get() == {"skipped": "nothing to verify"}  # verified already


def test_commands_report_progress(committed: Committed, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        out, err = StringIO(), StringIO()
        call_command("backup_run", stdout=out, stderr=err)
        backup = Backup.objects.get()
        assert out.getvalue().startswith(f"Backup {backup.pk} (monthly): ")
        assert "dumping" in err.getvalue()
        assert "tables" in err.getvalue()
        again = StringIO()
        call_command("backup_run", stdout=again, stderr=StringIO())  # the day's backup exists
        assert again.getvalue().startswith("Today's backup exists already (--force makes another)")
        assert f"Backup {backup.pk} (monthly): " in again.getvalue()
        assert Backup.objects.count() == 1
        out, err = StringIO(), StringIO()
        call_command("backup_verify", str(backup.pk), stdout=out, stderr=err)
        assert f"Backup {backup.pk} verified: {backup.table_count} tables" in out.getvalue()
        assert "restoring" in err.getvalue()
        assert "comparing" in err.getvalue()
        assert "items" in err.getvalue()
        with pytest.raises(CommandError, match="No succeeded backup 999999"):
            call_command("backup_restore", "999999", "--database", "x")
        with pytest.raises(CommandError, match="needs a target database"):
            call_command("backup_restore", str(backup.pk))
        lone = Path(backup.file_path).with_name("copied-without-sidecar.dump")
        shutil.copy(backup.file_path, lone)
        err = StringIO()
        with pytest.raises(CommandError, match="is not a schema name"):
            call_command("backup_restore", str(lone), "--schema", "Bad-Name", stderr=err)
        assert "No copied-without-sidecar.dump.sha256 beside the file" in err.getvalue()
        lone.unlink()


def test_one_backup_at_a_time(committed: Committed, django_db_blocker: Any, eager_tasks: None) -> None:
    from ops.backups import pg
    from ops.backups.exceptions import BackupBusy
    from ops.backups.services import _BACKUP_LOCK, backup_run

    with django_db_blocker.unblock(), pg.connect() as other:
        other.autocommit = True
        other.cursor().execute("SELECT pg_advisory_lock(%s)", [_BACKUP_LOCK])  # another worker is dumping
        with pytest.raises(BackupBusy, match="Another backup is running"):
            backup_run()
        assert backup_run_task.delay().get() == {"skipped": "a backup is running"}
        assert Backup.objects.count() == 0
        other.cursor().execute("SELECT pg_advisory_unlock(%s)", [_BACKUP_LOCK])
        # A worker that died mid-dump left its row "running"; the next run, holding the lock, closes it.
        dead = Backup.objects.create(day=timezone.now().date(), status=Backup.Status.RUNNING)
        assert backup_run().status == Backup.Status.SUCCEEDED
        dead.refresh_from_db()
        assert (dead.status, dead.error) == ("failed", "Interrupted (the process running it stopped).")
        assert dead.finished_at is not None
