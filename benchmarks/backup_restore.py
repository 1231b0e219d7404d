"""How long backing up, verifying and restoring the demo data set takes (the figures quoted in
docs/operations/disaster-recovery.md).

    .venv/bin/python benchmarks/backup_restore.py --setup   # first run: migrate + demo tenant + seed_demo
    .venv/bin/python benchmarks/backup_restore.py           # then: measure again on the same data

Uses its own database (``backup_demo`` on the local PostgreSQL, or BENCH_DATABASE_URL), backups in
var/backup_demo (BACKUP_DIR), scratch databases ``backup_demo_verify`` and ``backup_demo_restored`` (dropped at
the end). Prints the database size, the dump (time, size), the verification (restore time and total)
and a whole-database and a one-tenant restore, each timed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB_NAME = "backup_demo"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--setup", action="store_true", help="Create and seed the database first.")
    parser.add_argument("--customers", type=int, default=10_000, help="seed_demo --customers (default 10,000).")
    parser.add_argument("--days", type=int, default=365, help="seed_demo --days (default 365).")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DB_NAME}")
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "suresh_ai.settings.dev"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("BACKUP_DIR", str(ROOT / "var" / "backup_demo"))
    os.environ["BACKUP_VERIFY_DATABASE"] = f"{url.rsplit('/', 1)[1]}_verify"
    os.environ["BACKUP_S3_BUCKET"] = ""  # measure the database work, not the network
    import django

    if args.setup:
        _create_database(url)
    django.setup()
    from django.core.management import call_command

    from ops.backups import pg
    from ops.backups.services import backup_restore, backup_run, backup_verify

    if args.setup:
        call_command("migrate_schemas", "--noinput", verbosity=0)
        call_command("platform_init")
        call_command("ensure_demo")
        call_command("seed_demo", "--tenant", "demo", "--customers", str(args.customers), "--days", str(args.days))

    database = pg.current_database()
    with pg.connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_database_size(current_database())")
        db_bytes = int(cur.fetchone()[0])  # type: ignore[index]

    started = time.monotonic()
    backup = backup_run(force=True)
    dump_seconds = time.monotonic() - started
    if backup.status != "succeeded":
        raise SystemExit(f"backup failed: {backup.error}")

    started = time.monotonic()
    result = backup_verify(backup)
    verify_seconds = time.monotonic() - started
    if not result.ok:
        raise SystemExit(f"verification failed: {result.detail}")

    target = f"{database}_restored"
    pg.database_drop(target)
    try:
        whole = backup_restore(source=backup, database=target)
        # One tenant into a database holding everything but that tenant (the copy, less t_demo).
        with pg.connect(target) as conn:
            conn.autocommit = True
            conn.cursor().execute("DROP SCHEMA t_demo CASCADE")
        tenant = backup_restore(source=backup, database=target, schema="t_demo")
    finally:
        pg.database_drop(target)

    demo_rows = sum(t["rows"] for t in backup.figures.get("t_demo", {}).values())
    print(
        f"database {database}: {db_bytes / 1e6:,.1f} MB on disk, {backup.table_count} tables, {backup.row_count:,} rows"
    )
    print(f"  of which tenant t_demo: {demo_rows:,} rows")
    print(
        f"backup (figures + pg_dump -Fc -Z{os.environ.get('BACKUP_COMPRESSION', '6')}): {dump_seconds:.1f} s, "
        f"file {(backup.size_bytes or 0) / 1e6:,.1f} MB"
    )
    print(
        f"verification: {verify_seconds:.1f} s in all; "
        f"pg_restore into the scratch database {result.restore_seconds:.1f} s"
    )
    print(f"whole-database restore (backup_restore --database): {whole.seconds:.1f} s, {whole.entries} TOC entries")
    print(f"one-tenant restore (backup_restore --schema t_demo): {tenant.seconds:.1f} s, {tenant.entries} TOC entries")
    Path(backup.file_path).unlink(missing_ok=True)
    Path(backup.file_path + ".sha256").unlink(missing_ok=True)
    backup.delete()


def _create_database(url: str) -> None:
    import psycopg2
    from psycopg2 import sql

    base, name = url.rsplit("/", 1)
    conn = psycopg2.connect(f"{base}/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cur.fetchone() is None:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn.close()


if __name__ == "__main__":
    main()
