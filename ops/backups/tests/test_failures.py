"""Broken backups are caught: a truncated or corrupted file fails verification (and backup_check
says so), a client/server version mismatch refuses to dump, a corrupted file without its checksum
fails at pg_restore."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from ops.backups.exceptions import BackupError, BackupUnhealthy
from ops.backups.models import Backup
from ops.backups.services import backup_check, backup_restore, backup_run, backup_verify
from ops.backups.tests.conftest import Committed


def test_backup_check_messages(db: None, settings: Any) -> None:
    settings.BACKUP_MAX_AGE_HOURS = 26
    settings.BACKUP_VERIFY_MAX_AGE_HOURS = 6
    now = timezone.now()
    old = Backup.objects.create(
        day=(now - timedelta(hours=30)).date(), status="succeeded", finished_at=now - timedelta(hours=30)
    )
    with pytest.raises(BackupUnhealthy, match="Backup missed: no succeeded backup since"):
        backup_check()
    fresh = Backup.objects.create(day=now.date(), status="succeeded", finished_at=now - timedelta(hours=7))
    with pytest.raises(BackupUnhealthy, match=f"Backup unverified: backup {fresh.pk} .* within 6 h"):
        backup_check()
    Backup.objects.filter(pk=fresh.pk).update(verification_status="verified")
    backup_check()
    Backup.objects.filter(pk=fresh.pk).update(verification_status="failed", verification_detail="t_a.x: checksum")
    with pytest.raises(BackupUnhealthy, match=r"verification failed .* t_a\.x: checksum"):
        backup_check()
    Backup.objects.filter(pk=fresh.pk).update(verification_status="verified", offsite_status="failed")
    with pytest.raises(BackupUnhealthy, match="off-site copy failed"):
        backup_check()
    Backup.objects.create(day=now.date(), status="failed", finished_at=now, error="pg_dump failed (exit 1): boom")
    with pytest.raises(BackupUnhealthy, match=r"Backup failed: .*pg_dump failed \(exit 1\): boom"):
        backup_check()
    assert old.pk  # the old one did not mask anything newer
    Backup.objects.filter(status="failed").delete()
    Backup.objects.filter(pk=fresh.pk).update(offsite_status="disabled")
    backup_check()
    # An older backup kept for retention that fails a new verification (a corrupted file) is alerted
    # although the newest one is fine.
    Backup.objects.filter(pk=old.pk).update(verification_status="failed", verified_at=now, verification_detail="x")
    with pytest.raises(BackupUnhealthy, match=f"verification failed for backup {old.pk} of"):
        backup_check()


def _verify_fails(backup: Backup, match: str) -> None:
    result = backup_verify(backup)
    assert not result.ok
    assert match in result.detail, result.detail
    backup.refresh_from_db()
    assert backup.verification_status == Backup.Verification.FAILED
    assert match in backup.verification_detail
    with pytest.raises(BackupUnhealthy, match="verification failed"):
        backup_check()
    _alerted("verification failed")


def _alerted(match: str) -> None:
    """The monitor turns the failed verification into an alert that reaches a webhook."""
    from django.test import override_settings

    from ops.models import Alert, AlertDelivery, HealthCheck, Incident
    from ops.monitor import monitor_round
    from tests.webhook_receiver import WebhookReceiver

    with WebhookReceiver() as hooks, override_settings(HEALTH_COMPONENTS=["backups"], ALERT_WEBHOOK_URL=hooks.url):
        try:
            monitor_round(force=True)
            [hook] = hooks.wait_for(1)
            [alert] = hook.json()["alerts"]
            assert (alert["rule"], alert["key"], alert["status"]) == ("component_down", "backups", "firing")
            assert match in alert["summary"]
        finally:
            AlertDelivery.objects.all().delete()
            Alert.objects.all().delete()
            Incident.objects.all().delete()
            HealthCheck.objects.all().delete()


def test_truncated_backup_is_detected(committed: Committed, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        backup = backup_run()
        assert backup.status == Backup.Status.SUCCEEDED, backup.error
        path = Path(backup.file_path)
        os.truncate(path, path.stat().st_size // 2)
        _verify_fails(backup, "Checksum mismatch")


def test_corrupted_backup_is_detected(committed: Committed, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        backup = backup_run()
        path = Path(backup.file_path)
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF  # one flipped byte, same size
        path.write_bytes(bytes(data))
        _verify_fails(backup, "Checksum mismatch")
        # Without its recorded checksum (a file copied by hand), pg_restore itself refuses it.
        Path(str(path) + ".sha256").unlink()
        truncated = path.with_name("copied.dump")
        truncated.write_bytes(bytes(data[: len(data) // 2]))
        with pytest.raises(BackupError, match="pg_restore"):
            backup_restore(source=truncated, database=f"{committed.tenant.schema_name}_copy_check")


def test_client_server_version_mismatch_is_refused(
    committed: Committed, django_db_blocker: Any, backup_settings: Any, tmp_path: Path
) -> None:
    fake = tmp_path / "pg_dump"
    fake.write_text('#!/bin/sh\necho "pg_dump (PostgreSQL) 14.11 (Debian 14.11-1)"\n')
    fake.chmod(0o755)
    backup_settings.BACKUP_PG_DUMP = str(fake)
    with django_db_blocker.unblock():
        backup = backup_run()
        assert backup.status == Backup.Status.FAILED
        assert backup.error == (
            "pg_dump is version 14 but the server is PostgreSQL 15: install the matching client "
            "(postgresql-client-15) or set BACKUP_PG_DUMP / BACKUP_PG_RESTORE to it."
        )
        assert backup.file_path == ""
        assert not any(Path(backup_settings.BACKUP_DIR).glob("*.partial"))
        with pytest.raises(BackupUnhealthy, match=r"Backup failed: .*pg_dump is version 14"):
            backup_check()
