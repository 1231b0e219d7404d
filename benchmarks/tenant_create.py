"""How long creating a tenant takes (schema cloned from the template, domain, owner), end to end, and
whether it stays flat as tenants accumulate.

    .venv/bin/python benchmarks/tenant_create.py [--count 20]
    .venv/bin/python benchmarks/tenant_create.py --count 1000 --database suresh_ai_bench_tenant_1000 --fresh --loops

Uses its own database (``suresh_ai_bench_tenants`` on the local PostgreSQL, ``--database`` another;
``--fresh`` drops and recreates it first), migrates it, creates ``--count`` tenants one after another
on one connection through tenants.services.tenant_create (Argon2 hash of the owner's password
included), prints each timing with the catalogue rows the creation read and, on a local server, the
database backend's CPU time (both independent of how busy the machine is), then the first and last
20 (median and max). ``--loops`` then times the other per-tenant loops at that number of tenants:
platform_init, a tenant schema's migrate_schemas, the readiness check's migrations probe and the beat
fan-outs. The tenants (with ``--fresh``, the database) are dropped at the end unless ``--keep``;
``--count 0 --loops`` times the loops again on a kept database.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
from dev import local_postgres_url  # noqa: E402 - scripts/ is not a package

DB_NAME = "suresh_ai_bench_tenants"


def _drop_database(name: str) -> None:
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres", connect_timeout=2)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
    conn.close()


def _summary(label: str, values: list[float], unit: str = "ms") -> str:
    unit = f" {unit}" if unit else ""
    return f"{label}: median {statistics.median(values):,.0f}{unit}, max {max(values):,.0f}{unit}"


class _Backend:
    """The database backend serving this connection: its CPU time (from /proc, when the server is
    on this machine) and the system-catalogue rows read in the current transaction."""

    def __init__(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.pid = cursor.fetchone()[0]
            cursor.execute(
                "SELECT oid FROM pg_class WHERE relnamespace = 'pg_catalog'::regnamespace AND relkind IN ('r', 'i')"
            )
            self.catalogue = [row[0] for row in cursor.fetchall()]
        self.local = Path(f"/proc/{self.pid}/stat").exists()

    def cpu_seconds(self) -> float:
        if not self.local:
            return 0.0
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def catalogue_rows_read(self) -> int:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT sum(pg_stat_get_xact_tuples_returned(t) + pg_stat_get_xact_tuples_fetched(t))"
                " FROM unnest(%s::oid[]) t",
                [self.catalogue],
            )
            return int(cursor.fetchone()[0])


def _timed(label: str, action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - started
    shown = f" ({result})" if isinstance(result, int | str) else ""
    print(f"{label:<62} {seconds:8.2f} s{shown}", flush=True)
    return seconds


def _loops(tenants: int) -> None:
    """The other loops over every tenant, timed at the number of tenants now in the database."""
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from celery_app import app
    from intelligence.ingest.tasks import payments_spike_check
    from intelligence.tasks import for_each_workspace, segments_snapshot
    from ops import health
    from tenants.models import Tenant

    print(f"\nPer-tenant loops with {tenants} tenants in the database:")
    _timed("manage.py platform_init", lambda: call_command("platform_init", stdout=io.StringIO()))
    schema = Tenant.objects.exclude(schema_name="public").order_by("-pk").values_list("schema_name", flat=True)[0]
    each = _timed(
        f"migrate_schemas --schema {schema} (nothing to apply)",
        lambda: call_command("migrate_schemas", schema_name=schema, verbosity=0),
    )
    print(f"{'  so migrate_schemas over every tenant, at that rate':<62} {each * tenants / 60:8.1f} min")

    def migrations_probe() -> str:
        health._migrations_ok_until = 0.0
        health._migrations()
        return "all schemas current"

    _timed("readiness: migrations probe (every schema's django_migrations)", migrations_probe)
    connection.close()  # the fan-outs below enter each tenant's schema on a fresh connection
    day = timezone.now().date().isoformat()
    _timed(
        "beat: segments_snapshot_all fan-out (one task per tenant)",
        lambda: len(for_each_workspace(segments_snapshot, day=day)),
    )
    _timed("beat: payments_spike_check_all fan-out", lambda: len(for_each_workspace(payments_spike_check)))
    app.control.purge()  # nothing the fan-outs sent stays queued in the broker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--database", default=DB_NAME, help=f"database name (default {DB_NAME})")
    parser.add_argument("--fresh", action="store_true", help="drop the database first, and again at the end")
    parser.add_argument("--keep", action="store_true", help="keep the tenants created (and the database)")
    parser.add_argument("--loops", action="store_true", help="then time the other per-tenant loops")
    args = parser.parse_args()
    if args.fresh:
        _drop_database(args.database)
    url = local_postgres_url(args.database)
    if url is None and "DATABASE_URL" not in os.environ:
        raise SystemExit("No PostgreSQL on 127.0.0.1:5432: set DATABASE_URL.")
    os.environ.setdefault("DATABASE_URL", url or "")
    os.environ["DJANGO_SETTINGS_MODULE"] = "suresh_ai.settings.dev"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from tenants.models import Tenant, User
    from tenants.services import platform_ensure, tenant_create, tenant_purge

    call_command("migrate_schemas", verbosity=0)
    platform_ensure()
    backend = _Backend()
    wall: list[float] = []
    cpu: list[float] = []
    rows: list[float] = []
    run = int(time.time())
    try:
        for i in range(args.count):
            started, cpu_started = time.perf_counter(), backend.cpu_seconds()
            # One outer transaction so PostgreSQL's per-transaction counters cover the creation.
            with transaction.atomic():
                read_before = backend.catalogue_rows_read()
                tenant_create(
                    name=f"Bench {i}",
                    slug=f"bench-{run}-{i}",
                    owner_email=f"owner{i}@bench-{run}.example",
                    owner_password="bench-passphrase-2026",
                )
                rows.append(backend.catalogue_rows_read() - read_before)
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((backend.cpu_seconds() - cpu_started) * 1000)
            server = f", database CPU {cpu[-1]:6.0f} ms" if backend.local else ""
            print(
                f"tenant {i + 1:>4}/{args.count}: {wall[-1]:7.1f} ms{server}, catalogue rows read {rows[-1]:,.0f}",
                flush=True,
            )
        window = min(20, len(wall))
        if wall:
            print(f"\ntenant_create x{len(wall)} on one connection (with an Argon2 hash of the owner's password):")
        for label, part in ((f"first {window}", slice(0, window)), (f"last {window}", slice(-window, None))):
            if not wall:
                break
            line = _summary(f"  {label:<9} wall", wall[part])
            if backend.local:
                line += "; " + _summary("database CPU", cpu[part])
            print(line + "; " + _summary("catalogue rows read", rows[part], unit=""))
        if args.loops:
            _loops(Tenant.objects.exclude(schema_name="public").count())
    finally:
        if args.fresh and not args.keep:
            connection.close()
            _drop_database(args.database)
        elif not args.keep:
            for tenant in Tenant.objects.filter(slug__startswith=f"bench-{run}-"):
                tenant_purge(tenant=tenant)
            User.objects.filter(email__endswith=f"@bench-{run}.example").delete()


if __name__ == "__main__":
    main()
