"""manage.py backup_verify [id]: restore a backup into the scratch database and compare figures."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ops.backups.exceptions import BackupError
from ops.backups.management.commands._progress import Bars
from ops.backups.models import Backup
from ops.backups.services import backup_verify


class Command(BaseCommand):
    help = "Verify a backup (default: the newest succeeded one) by restoring it into BACKUP_VERIFY_DATABASE."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup_id", nargs="?", type=int, help="Backup id (default: the newest succeeded).")

    def handle(self, *args: Any, **options: Any) -> None:
        rows = Backup.objects.filter(status=Backup.Status.SUCCEEDED)
        if options["backup_id"] is not None:
            backup = rows.filter(pk=options["backup_id"]).first()
        else:
            backup = rows.order_by("-finished_at", "-id").first()
        if backup is None:
            raise CommandError("No such succeeded backup.")
        bars = Bars(self.stderr)
        try:
            result = backup_verify(backup, progress=bars.step)
        except BackupError as exc:
            raise CommandError(exc.message) from exc
        finally:
            bars.close()
        if not result.ok:
            raise CommandError(f"Backup {backup.pk} verification FAILED: {result.detail}")
        self.stdout.write(
            self.style.SUCCESS(f"Backup {backup.pk} verified: {result.detail} Restore took {result.restore_seconds} s.")
        )
