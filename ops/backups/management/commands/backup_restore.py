"""manage.py backup_restore <backup id or file> --database <target> [--schema t_acme] [--replace]."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ops.backups import pg
from ops.backups.exceptions import BackupError
from ops.backups.management.commands._progress import Bars
from ops.backups.models import Backup
from ops.backups.services import backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup: the whole database into a new database (--database), or one tenant's schema "
        "(--schema) into --database or, with --replace, in place in the application's database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="A backup id, or the path of a backup file.")
        parser.add_argument("--database", help="Target database (required for a whole-database restore).")
        parser.add_argument("--schema", help="Restore only this schema, e.g. t_acme.")
        parser.add_argument("--replace", action="store_true", help="Replace an existing target database or schema.")
        parser.add_argument("--noinput", "--no-input", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args: Any, **options: Any) -> None:
        source_arg: str = options["source"]
        source: Backup | Path
        if source_arg.isdigit():
            found = Backup.objects.filter(pk=int(source_arg), status=Backup.Status.SUCCEEDED).first()
            if found is None:
                raise CommandError(f"No succeeded backup {source_arg}.")
            source = found
        else:
            source = Path(source_arg)
            sidecar = source.with_name(source.name + ".sha256")
            if source.is_file() and not sidecar.exists():
                self.stderr.write(
                    self.style.WARNING(
                        f"No {sidecar.name} beside the file: its checksum cannot be checked. (The off-site "
                        "copy's SHA-256 is in its object metadata; an encrypted file is still authenticated.)"
                    )
                )
        database, schema = options["database"], options["schema"]
        if options["replace"] and not options["noinput"]:
            target = database or pg.current_database()
            what = f"schema {schema!r} in database {target!r}" if schema else f"database {target!r}"
            answer = input(f"This REPLACES {what} with the backup's copy. Type 'yes' to continue: ")
            if answer.strip().lower() != "yes":
                raise CommandError("Restore cancelled.")
        bar = Bars(self.stderr)
        try:
            result = backup_restore(
                source=source,
                database=database,
                schema=schema,
                replace=options["replace"],
                progress=lambda done, total: bar.step("restoring", done, total),
            )
        except BackupError as exc:
            raise CommandError(exc.message) from exc
        finally:
            bar.close()
        what = f"schema {result.schema}" if result.schema else "the whole database"
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {what} into {result.database}: {result.entries} items in {result.seconds:.1f} s."
            )
        )
