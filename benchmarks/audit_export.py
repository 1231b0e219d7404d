"""The audit log at volume: export speed and memory, verification speed, and what recording changes
costs a save.

    .venv/bin/python benchmarks/audit_export.py                 # 200,000 entries
    .venv/bin/python benchmarks/audit_export.py --rows 1000000

Uses its own database (``suresh_ai_bench_audit`` on the local PostgreSQL, or DATABASE_URL),
migrates it, empties the audit table and fills it with ``--rows`` chained entries (each with a
small before/after). Then it measures:

1. the CSV and JSON-lines exports, consumed as the streaming response would be, with the peak of
   Python memory allocated while streaming (tracemalloc): it stays flat as rows grow, because rows
   come from a server-side cursor in chunks;
2. ``audit_verify`` over the table and ``audit_verify_rows`` over the exported JSON-lines file;
3. one model save (a membership's role) outside and inside an audited request's change set, so
   the per-save cost of reading the old row shows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
from dev import local_postgres_url  # noqa: E402 - scripts/ is not a package

DB_NAME = "suresh_ai_bench_audit"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--saves", type=int, default=500, help="Saves timed outside and inside a change set.")
    args = parser.parse_args()
    url = local_postgres_url(DB_NAME)
    if url is None and "DATABASE_URL" not in os.environ:
        raise SystemExit("No PostgreSQL on 127.0.0.1:5432: set DATABASE_URL.")
    os.environ.setdefault("DATABASE_URL", url or "")
    os.environ["DJANGO_SETTINGS_MODULE"] = "suresh_ai.settings.dev"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from tqdm import tqdm

    from ops.audit import (
        GENESIS,
        audit_csv_lines,
        audit_export_rows,
        audit_jsonl_lines,
        audit_read_export,
        audit_verify,
        audit_verify_rows,
        entry_hash,
    )
    from ops.audit_changes import audit_capture, audit_connect
    from ops.models import AuditEntry
    from tenants.models import Membership, Role, Tenant, User
    from tenants.services import platform_ensure

    call_command("migrate_schemas", "--shared", verbosity=0)
    platform_ensure()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE ops_auditentry RESTART IDENTITY")  # the row trigger does not see TRUNCATE

    started = timezone.now() - timedelta(days=30)
    previous = GENESIS
    batch: list[AuditEntry] = []
    for i in tqdm(range(args.rows), desc="filling", unit=" entries"):
        key = f"tenants.membership:{i}"
        fields = {
            "at": started + timedelta(seconds=i),
            "user_id": i % 50 + 1,
            "user_email": f"user{i % 50}@bench.example",
            "api_key_id": None,
            "tenant_schema": f"t_bench{i % 20}",
            "method": "PATCH",
            "path": f"/api/v1/members/{i}/",
            "status_code": 200,
            "action": "api-member",
            "before": {key: {"role": "analyst"}},
            "after": {key: {"role": "admin"}},
            "ip": "127.0.0.1",
            "user_agent": "bench/1",
            "request_id": f"{i:032x}",
        }
        digest = entry_hash(previous, fields)
        batch.append(AuditEntry(**fields, prev_hash=previous, hash=digest))
        previous = digest
        if len(batch) == 5000:
            AuditEntry.objects.bulk_create(batch)
            batch.clear()
    AuditEntry.objects.bulk_create(batch)

    results: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind, render in (("csv", audit_csv_lines), ("jsonl", audit_jsonl_lines)):
            path = Path(tmp) / f"audit.{kind}"
            began = time.perf_counter()
            with path.open("w", encoding="utf-8") as sink:
                for line in render(audit_export_rows(AuditEntry.objects.all())):
                    sink.write(line)
            seconds = time.perf_counter() - began
            # A second pass under tracemalloc (which slows Python down) for the memory peak.
            tracemalloc.start()
            for _line in render(audit_export_rows(AuditEntry.objects.all())):
                pass
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            results.append(
                f"export {kind:>5}: {args.rows / seconds:>9,.0f} rows/s, {path.stat().st_size / 1e6:7.1f} MB, "
                f"peak Python memory {peak / 1e6:5.1f} MB"
            )
        began = time.perf_counter()
        live = audit_verify()
        results.append(
            f"verify table: {live.entries / (time.perf_counter() - began):>9,.0f} rows/s, intact={live.intact}"
        )
        began = time.perf_counter()
        offline = audit_verify_rows(audit_read_export(Path(tmp) / "audit.jsonl"), complete=True)
        results.append(
            f"verify file : {offline.entries / (time.perf_counter() - began):>9,.0f} rows/s, intact={offline.intact}"
        )

    audit_connect()
    tenant = Tenant.objects.get(schema_name="public")
    user, _ = User.objects.get_or_create(email="saver@bench.example")
    membership, _ = Membership.objects.get_or_create(tenant=tenant, user=user, defaults={"role": Role.VIEWER})
    roles = (Role.VIEWER, Role.ANALYST)
    timings: dict[str, list[float]] = {"outside": [], "inside": []}
    queries: dict[str, int] = {}
    for i in range(args.saves * 2):  # alternate, so load on the machine hits both alike
        audited = i % 2 == 1
        membership.role = roles[(i // 2) % 2]
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            if audited:
                with audit_capture():
                    membership.save(update_fields=["role"])
            else:
                membership.save(update_fields=["role"])
            timings["inside" if audited else "outside"].append((time.perf_counter() - began) * 1000)
        queries["inside" if audited else "outside"] = len(captured)
    outside, inside = statistics.median(timings["outside"]), statistics.median(timings["inside"])
    results.append(
        f"save        : median {outside:.3f} ms and {queries['outside']} query outside a change set, "
        f"{inside:.3f} ms and {queries['inside']} queries inside (the old row's SELECT)"
    )
    membership.delete()
    print(f"\n{args.rows:,} entries")
    print("\n".join(results))


if __name__ == "__main__":
    main()
