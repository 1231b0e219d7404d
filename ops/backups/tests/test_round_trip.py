"""Backup -> verify -> restore on real PostgreSQL: identical row counts and checksums, while writes
happen during the dump; restore of the whole database and of one tenant's schema."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import tenant_context

from ops.backups import pg
from ops.backups.exceptions import BackupError, BackupUnhealthy
from ops.backups.models import Backup
from ops.backups.services import backup_check, backup_restore, backup_run, backup_verify, first_backup_due
from ops.backups.tests.conftest import Committed


def _alpha_counts(database: str) -> tuple[int, int]:
    with pg.connect(database) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM t_alpha.intelligence_customer WHERE external_id LIKE 'bk-%%'")
        customers = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM t_alpha.intelligence_order WHERE external_id LIKE 'bk-%%'")
        return customers, cur.fetchone()[0]


def test_no_backup_at_all_is_missed(db: None) -> None:
    # (Also makes this module set up the test database when run alone: pytest-django creates it
    # only for sessions holding a test that uses the db fixture.) Past the first scheduled time:
    # before it, no backup yet is a warning (test_first_backup.py).
    with (
        time_machine.travel(first_backup_due() + timedelta(days=1), tick=False),
        pytest.raises(BackupUnhealthy, match="Backup missed: no succeeded backup ever"),
    ):
        backup_check()


def test_backup_verify_and_restore_round_trip(committed: Committed, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        steps: list[str] = []
        backup = backup_run(progress=lambda step, done, total: steps.append(step))
        assert backup.status == Backup.Status.SUCCEEDED, backup.error
        assert {"figures", "dumping"} <= set(steps)
        assert backup.kind == Backup.Kind.MONTHLY  # the month's first
        assert backup.figures["t_alpha"]["intelligence_customer"]["rows"] == committed.customers
        assert backup.figures["t_alpha"]["intelligence_order"]["rows"] == committed.customers
        assert backup.figures["public"]["tenants_tenant"]["rows"] >= 2
        assert (backup.pg_dump_version.split()[2].split(".")[0], backup.server_version.split(".")[0]) == ("15", "15")
        assert len(backup.sha256) == 64
        assert backup.size_bytes
        assert backup.format == "custom"
        with open(backup.file_path, "rb") as f:
            assert f.read(5) == b"PGDMP"  # custom format, not encrypted

        # Idempotent per day: a retried daily task returns the day's backup.
        assert backup_run().pk == backup.pk
        assert Backup.objects.count() == 1

        result = backup_verify(backup)
        assert result.ok, result.detail
        backup.refresh_from_db()
        assert backup.verification_status == Backup.Verification.VERIFIED
        assert backup.restore_seconds is not None
        assert backup.restore_seconds > 0
        assert backup.verification_detail.startswith(f"{backup.table_count} tables")
        assert not pg.database_exists(connection.settings_dict["NAME"] + "_verify")  # dropped again
        backup_check()  # fresh, succeeded, verified: healthy

        # The whole database into a new one: the same figures, table by table.
        target = connection.settings_dict["NAME"] + "_restored"
        pg.database_drop(target)
        try:
            call_command("backup_restore", str(backup.pk), "--database", target)
            with pg.connect(target) as conn:
                pg.stable_text(conn)
                assert pg.figures_compare(backup.figures, pg.figures(conn)) == []
            assert _alpha_counts(target) == (committed.customers, committed.customers)
            with pytest.raises(BackupError, match="exists; pass --replace"):
                backup_restore(source=backup, database=target)

            # One tenant's schema into another database (here: the copy, after losing t_alpha).
            with pg.connect(target) as conn:
                conn.autocommit = True
                conn.cursor().execute("DROP SCHEMA t_alpha CASCADE")
            result_schema = backup_restore(source=backup, database=target, schema="t_alpha")
            assert result_schema.entries > 10
            assert _alpha_counts(target) == (committed.customers, committed.customers)
        finally:
            pg.database_drop(target)

        with pytest.raises(BackupError, match="application's own database"):
            backup_restore(source=backup, database=connection.settings_dict["NAME"], replace=True)


def test_schema_restore_in_place_needs_replace(committed: Committed, django_db_blocker: Any) -> None:
    from intelligence.models import Customer, Order

    with django_db_blocker.unblock():
        backup = backup_run()
        assert backup.status == Backup.Status.SUCCEEDED, backup.error
        with tenant_context(committed.tenant):
            Order.objects.filter(external_id__startswith="bk-o1").delete()  # bk-o1, bk-o10..19: 11 orders
            Customer.objects.create(external_id="bk-after", name="Written after the backup")
        live = connection.settings_dict["NAME"]
        assert _alpha_counts(live) == (committed.customers + 1, committed.customers - 11)
        with pytest.raises(BackupError, match="pass --replace"):
            backup_restore(source=backup, schema="t_alpha")
        call_command("backup_restore", str(backup.pk), "--schema", "t_alpha", "--replace", "--noinput")
        assert _alpha_counts(live) == (committed.customers, committed.customers)
        with tenant_context(committed.tenant):
            assert Customer.objects.filter(external_id__startswith="bk-").count() == committed.customers
        with pg.connect(live) as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 't_alpha%%'")
            assert cur.fetchone()[0] == 1  # the set-aside copy was dropped
        with pytest.raises(BackupError, match="schema: 'T-alpha'"):
            backup_restore(source=backup, schema="T-alpha")


def test_figures_match_the_dump_while_writes_happen(committed: Committed, django_db_blocker: Any) -> None:
    """The figures and the dump share one exported snapshot: rows written meanwhile are in neither."""
    from intelligence.models import Customer

    stop = threading.Event()
    written = [0]

    def writer() -> None:
        try:
            with django_db_blocker.unblock(), tenant_context(committed.tenant):
                while not stop.is_set():
                    Customer.objects.create(external_id=f"bk-w{written[0]}", name="concurrent")
                    written[0] += 1
        finally:
            connection.close()

    with django_db_blocker.unblock():
        thread = threading.Thread(target=writer)
        thread.start()
        try:
            backup = backup_run()
        finally:
            stop.set()
            thread.join()
        assert backup.status == Backup.Status.SUCCEEDED, backup.error
        assert written[0] > 0
        result = backup_verify(backup)
        assert result.ok, result.detail
        with tenant_context(committed.tenant):
            assert Customer.objects.filter(external_id__startswith="bk-").count() == committed.customers + written[0]


def test_only_a_tenant_schema_is_restored_in_place(db: None) -> None:
    """The public schema (accounts, billing, the audit log) or the template never: a whole-database
    restore beside the live one is the way back for those."""
    for schema in ("public", "tenant_template", "t_nobody"):
        with pytest.raises(BackupError, match="is not a tenant's schema"):
            backup_restore(source=Path("/nonexistent.dump"), schema=schema, replace=True)
