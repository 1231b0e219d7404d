"""Off-site copies go to a real S3 API on localhost (moto in server mode), verification falls back to
them, and retention keeps exactly 7 daily, 4 weekly and 12 monthly backups locally and off-site."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ops.backups.models import Backup
from ops.backups.services import _tier, backup_prune, backup_run, backup_verify
from ops.backups.tests.conftest import S3, Committed


def test_offsite_copy_and_verification_from_it(committed: Committed, s3: S3, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        backup = backup_run()
        assert backup.status == Backup.Status.SUCCEEDED, backup.error
        assert (backup.offsite_status, backup.offsite_key) == ("uploaded", f"backups/{backup.file_name}")
        assert s3.object_keys() == [backup.offsite_key]
        head = s3.client().head_object(Bucket=s3.bucket, Key=backup.offsite_key)
        assert head["ContentLength"] == backup.size_bytes
        assert head["Metadata"] == {"sha256": backup.sha256}

        Path(backup.file_path).unlink()  # the server's disk is gone: verify from the off-site copy
        result = backup_verify(backup)
        assert result.ok, result.detail


def test_offsite_failure_is_recorded_not_fatal(
    committed: Committed, s3: S3, backup_settings: Any, django_db_blocker: Any
) -> None:
    backup_settings.BACKUP_S3_BUCKET = "no-such-bucket"
    with django_db_blocker.unblock():
        backup = backup_run()
        assert backup.status == Backup.Status.SUCCEEDED
        assert backup.offsite_status == "failed"
        assert "NoSuchBucket" in backup.offsite_error
        assert "testing-secret" not in backup.offsite_error


def test_tiers_are_grandfather_father_son(db: None) -> None:
    kinds = []
    for day in (date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 9), date(2026, 3, 10)):
        backup = Backup.objects.create(day=day, status="running")
        backup.kind = _tier(backup)
        backup.status = "succeeded"
        backup.save()
        kinds.append(backup.kind)
    # Sun 1 March: month's first; Mon 2: a new ISO week's first; Tue 3: daily; Mon 9: week; Tue 10: daily.
    assert kinds == ["monthly", "weekly", "daily", "weekly", "daily"]


def test_retention_keeps_exactly_7_daily_4_weekly_12_monthly(
    db: None, s3: S3, backup_settings: Any, tmp_path: Path
) -> None:
    directory = Path(backup_settings.BACKUP_DIR)
    directory.mkdir(parents=True)
    start = date(2026, 1, 1)
    made: dict[str, list[int]] = {"daily": [], "weekly": [], "monthly": []}
    for kind, count in (("daily", 10), ("weekly", 6), ("monthly", 15)):
        for i in range(count):
            name = f"{kind}-{i}.dump"
            (directory / name).write_bytes(b"x")
            (directory / f"{name}.sha256").write_text("0" * 64)
            s3.client().put_object(Bucket=s3.bucket, Key=f"backups/{name}", Body=b"x")
            backup = Backup.objects.create(
                day=start + timedelta(days=i * 31 if kind == "monthly" else i * 7 if kind == "weekly" else i),
                kind=kind,
                status="succeeded",
                file_name=name,
                file_path=str(directory / name),
                offsite_key=f"backups/{name}",
                offsite_status="uploaded",
            )
            made[kind].append(backup.pk)
    failed_old = Backup.objects.create(day=start - timedelta(days=1), status="failed", error="x")

    result = backup_prune()

    assert result.kept == {"daily": 7, "weekly": 4, "monthly": 12}
    expected_kept = made["daily"][-7:] + made["weekly"][-4:] + made["monthly"][-12:]
    assert sorted(Backup.objects.values_list("pk", flat=True)) == sorted(expected_kept)
    assert sorted(result.deleted) == sorted(
        made["daily"][:3] + made["weekly"][:2] + made["monthly"][:3] + [failed_old.pk]
    )
    kept_names = set(Backup.objects.values_list("file_name", flat=True))
    assert {p.name for p in directory.glob("*.dump")} == kept_names
    assert {k.removeprefix("backups/") for k in s3.object_keys()} == kept_names
    assert len(kept_names) == 7 + 4 + 12
    assert backup_prune().deleted == []  # nothing more to do
