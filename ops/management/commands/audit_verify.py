"""Verify the audit log's hash chain: the live table, or an exported file (CSV or JSON lines)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from ops.audit import audit_read_export, audit_verify, audit_verify_rows
from ops.models import AuditEntry


class Command(BaseCommand):
    help = "Recompute the audit log's hash chain and name the first entry that does not match."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", type=Path, help="An export (.csv or .jsonl) to check instead of the table.")
        parser.add_argument(
            "--complete",
            action="store_true",
            help="The file is an unfiltered export: every row must link to the one before, from the start.",
        )
        parser.add_argument("--anchor", default="", help="A hash written down earlier: it must be in the chain.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path | None = options["file"]
        anchor: str = options["anchor"]
        if path is None:
            bar = tqdm(total=AuditEntry.objects.count(), unit=" entries", file=self.stderr)
            result: Any = audit_verify(on_entry=lambda: bar.update(1))
            anchored = not anchor or AuditEntry.objects.filter(hash=anchor).exists()
        else:
            if path.suffix not in (".csv", ".jsonl") or not path.is_file():
                raise CommandError(f"--file: {path} is not a .csv or .jsonl file.")
            bar = tqdm(unit=" entries", file=self.stderr)
            seen = {"anchor": False}

            def rows() -> Any:
                for row in audit_read_export(path):
                    seen["anchor"] = seen["anchor"] or row["hash"] == anchor
                    yield row

            try:
                result = audit_verify_rows(rows(), complete=options["complete"], on_entry=lambda: bar.update(1))
            except (ValueError, KeyError, json.JSONDecodeError) as exc:
                raise CommandError(f"--file: {path} is not an audit export: {exc}") from exc
            anchored = not anchor or seen["anchor"]
        bar.close()
        summary = {name: getattr(result, name) for name in result.__dataclass_fields__}
        self.stdout.write(json.dumps(summary, sort_keys=True))
        if not result.intact:
            raise CommandError(f"The chain is broken at entry {result.first_broken_id}: {result.reason}.")
        if not anchored:
            raise CommandError(f"--anchor: {anchor} is not in the chain; entries may have been removed.")
