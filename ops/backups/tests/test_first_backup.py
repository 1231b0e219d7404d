"""A new platform with no backup yet: "first backup due at 03:00 UTC", a warning and not an incident,
until that time (and the usual lateness allowance) has passed; the ops dashboard and /status/ agree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from ops.backups.exceptions import BackupUnhealthy
from ops.backups.models import Backup
from ops.backups.services import backup_check, backup_notice, first_backup_due
from ops.models import Alert, Incident
from ops.monitor import monitor_round
from suresh_ai.testing import staff_client
from tenants.models import Tenant

INSTALLED = datetime(2026, 12, 8, 1, 12, tzinfo=UTC)


@pytest.fixture
def new_platform(db: None, settings: Any) -> None:
    """The platform set up at 01:12 UTC; health rounds check backups (and the database)."""
    Tenant.objects.filter(schema_name=settings.PUBLIC_SCHEMA_NAME).update(created_at=INSTALLED)
    settings.HEALTH_COMPONENTS = ["database", "backups"]
    settings.ALERT_DOWN_CONSECUTIVE_CHECKS = 1
    settings.BACKUP_MAX_AGE_HOURS = 26


def test_first_backup_is_due_at_the_first_scheduled_time_after_set_up(new_platform: None) -> None:
    assert settings.BACKUP_HOUR_UTC == 3
    assert first_backup_due() == datetime(2026, 12, 8, 3, 0, tzinfo=UTC)
    Tenant.objects.filter(schema_name="public").update(created_at=INSTALLED.replace(hour=3, minute=0))
    assert first_backup_due() == datetime(2026, 12, 9, 3, 0, tzinfo=UTC)  # set up on the hour: the next day's


def test_before_it_is_due_a_warning_and_no_incident_and_the_pages_agree(new_platform: None) -> None:
    with time_machine.travel(INSTALLED + timedelta(minutes=1)):
        backup_check()  # healthy
        assert backup_notice() == "No backup yet: the first backup is due at 03:00 UTC on 2026-12-08."
        result = monitor_round(force=True)
        assert result is not None
        assert {s.name: s.ok for s in result.statuses} == {"database": True, "backups": True}
        assert not Incident.objects.filter(component="backups").exists()
        assert not Alert.objects.filter(key="backups").exists()
        dashboard = staff_client().get("/admin/ops/dashboard/").content.decode()
        assert "Warning:</strong> No backup yet: the first backup is due at 03:00 UTC on 2026-12-08." in dashboard
        backups_page = staff_client("staff2@platform.in").get("/admin/backups/").content.decode()
        assert "No backup yet: the first backup is due at 03:00 UTC" in backups_page
        status = Client(HTTP_HOST="localhost").get("/status/").content.decode()
        assert "All systems operational" in status


def test_once_the_first_scheduled_time_has_passed_a_missing_backup_is_missed(new_platform: None) -> None:
    # 03:00 plus the 2 h a daily backup may be late (BACKUP_MAX_AGE_HOURS 26 = a day + 2 h).
    with time_machine.travel(datetime(2026, 12, 8, 4, 59, tzinfo=UTC)):
        backup_check()
    with time_machine.travel(datetime(2026, 12, 8, 5, 1, tzinfo=UTC)):
        assert backup_notice() == ""
        with pytest.raises(BackupUnhealthy, match="Backup missed: no succeeded backup ever"):
            backup_check()
        result = monitor_round(force=True)
        assert result is not None
        assert {s.name: s.ok for s in result.statuses}["backups"] is False
        assert Incident.objects.filter(component="backups", ended_at=None).exists()
        dashboard = staff_client().get("/admin/ops/dashboard/").content.decode()
        assert "Backup missed: no succeeded backup ever" in dashboard


def test_a_failed_first_backup_is_not_excused(new_platform: None) -> None:
    with time_machine.travel(INSTALLED + timedelta(minutes=5)):
        Backup.objects.create(day=INSTALLED.date(), status="failed", finished_at=INSTALLED, error="pg_dump: boom")
        assert backup_notice() == ""
        with pytest.raises(BackupUnhealthy, match="Backup failed"):
            backup_check()
