"""manage.py backup_run: a backup now (idempotent per day unless --force), with progress."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ops.backups.exceptions import BackupError
from ops.backups.management.commands._progress import Bars
from ops.backups.models import Backup
from ops.backups.services import backup_run


class Command(BaseCommand):
    help = "Back up the whole database (pg_dump -Fc), copy it off-site, apply retention."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Back up even if today's backup exists.")

    def handle(self, *args: Any, **options: Any) -> None:
        bars = Bars(self.stderr)
        started = timezone.now()
        try:
            backup = backup_run(progress=bars.step, force=options["force"])
        except BackupError as exc:
            raise CommandError(exc.message) from exc
        finally:
            bars.close()
        if backup.status != Backup.Status.SUCCEEDED:
            raise CommandError(f"Backup {backup.pk} failed: {backup.error}")
        if backup.created_at < started:
            self.stdout.write("Today's backup exists already (--force makes another); nothing was dumped.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup {backup.pk} ({backup.kind}): {backup.file_path}, {backup.size_bytes:,} bytes, "
                f"{backup.table_count} tables, {backup.row_count:,} rows, sha256 {backup.sha256}, "
                f"off-site {backup.offsite_status}."
            )
        )
