"""Backups: run (pg_dump in one snapshot with the figures), copy off-site, keep by retention, verify
by restoring into a scratch database, restore, and check that all of that is happening."""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

import psycopg2
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from psycopg2 import sql
from psycopg2.extensions import ISOLATION_LEVEL_REPEATABLE_READ

from ops.backups import crypto, offsite, pg
from ops.backups.exceptions import BackupBusy, BackupError, BackupUnhealthy
from ops.backups.models import Backup
from suresh_ai.errors import Conflict

logger = logging.getLogger(__name__)

# (done, total) for the step running now; the commands draw it with tqdm, tasks store it on the row.
Progress = Callable[[str, int, int], None]

# Session advisory locks (pg_try_advisory_lock): one backup and one verification at a time, across
# every worker; released by PostgreSQL itself if the process dies.
_BACKUP_LOCK = 0x5A1_B4C0
_VERIFY_LOCK = 0x5A1_B4C1
# Transaction advisory lock around "is a backup queued or running? if not, queue one".
_REQUEST_LOCK = 0x5A1_B4C2
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_DATABASE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,62}$")
_READ_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class VerificationResult:
    backup_id: int
    ok: bool
    detail: str
    restore_seconds: float | None
    tables: int


@dataclass(frozen=True)
class PruneResult:
    deleted: list[int] = field(default_factory=list)
    kept: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class RestoreResult:
    database: str
    schema: str | None
    entries: int
    seconds: float


@contextmanager
def _advisory_lock(key: int, what: str) -> Iterator[None]:
    with pg.connect() as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s)", [key])
            if not cur.fetchone()[0]:  # type: ignore[index]
                raise BackupBusy(f"Another {what} is running; try again when it has finished.")
            try:
                yield
            finally:
                cur.execute("SELECT pg_advisory_unlock(%s)", [key])


def _save(backup: Backup, **fields: object) -> None:
    for name, value in fields.items():
        setattr(backup, name, value)
    backup.save(update_fields=list(fields))


def _encryption_key() -> bytes | None:
    value = settings.BACKUP_ENCRYPTION_KEY
    return crypto.key_from_setting(value) if value else None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_READ_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _message(exc: Exception) -> str:
    """What to store and show: our own messages as they are, anything else by type and scrubbed text."""
    if isinstance(exc, BackupError):
        return exc.message
    return f"{type(exc).__name__}: {pg.safe_message(str(exc), 500)}"


def _tier(backup: Backup) -> str:
    """Monthly if it is the month's first succeeded backup, else weekly if the ISO week's first."""
    day = backup.day
    others = Backup.objects.filter(status=Backup.Status.SUCCEEDED).exclude(pk=backup.pk)
    if not others.filter(day__gte=day.replace(day=1), day__lte=day).exists():
        return Backup.Kind.MONTHLY
    if not others.filter(day__gte=day - timedelta(days=day.weekday()), day__lte=day).exists():
        return Backup.Kind.WEEKLY
    return Backup.Kind.DAILY


# --- Run ------------------------------------------------------------------------------------------


def backup_request() -> Backup:
    """A queued backup of today (staff asked for one); the ops queue's worker runs it.

    Asked again while a backup is queued or running (a double click, a retried request), that backup
    is returned and no second one is made. A queued one is sent to the worker again: the first message
    may have been lost, and a duplicate finds the row finished and returns at once.
    """
    from ops.backups.tasks import backup_run_task

    with transaction.atomic():
        with connection.cursor() as cursor:  # two requests at once: the second sees the first's row
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_REQUEST_LOCK])
            # A row left "running" by a process that died holds no lock; backup_run marks it failed.
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
                " WHERE d.datname = current_database() AND l.locktype = 'advisory' AND l.granted"
                " AND l.classid = 0 AND l.objid = %s AND l.objsubid = 1)",
                [_BACKUP_LOCK],
            )
            running = cursor.fetchone()[0]
        pending = [Backup.Status.QUEUED, Backup.Status.RUNNING] if running else [Backup.Status.QUEUED]
        backup = Backup.objects.filter(status__in=pending).order_by("-id").first()
        if backup is None:
            backup = Backup.objects.create(day=timezone.now().date(), status=Backup.Status.QUEUED, phase="queued")
        if backup.status == Backup.Status.QUEUED:
            backup_id = backup.pk
            transaction.on_commit(lambda: backup_run_task.delay(backup_id=backup_id))
    return backup


def backup_run(*, progress: Progress | None = None, backup_id: int | None = None, force: bool = False) -> Backup:
    """Dump the whole database; returns the backup (succeeded or failed, with its error).

    Idempotent per UTC day: without ``backup_id`` or ``force`` an existing succeeded backup of today is
    returned as it is (a retried daily task makes no second backup). With ``backup_id`` (a queued
    request) a finished row is returned as it is. Raises BackupBusy while another backup runs.
    """
    with _advisory_lock(_BACKUP_LOCK, "backup"):
        # Holding the lock, nothing else is dumping: rows still "running" were cut short.
        Backup.objects.filter(status=Backup.Status.RUNNING).update(
            status=Backup.Status.FAILED,
            error="Interrupted (the process running it stopped).",
            finished_at=timezone.now(),
            phase="",
            progress=None,
        )
        if backup_id is not None:
            backup = Backup.objects.get(pk=backup_id)
            if backup.status in (Backup.Status.SUCCEEDED, Backup.Status.FAILED):
                return backup
        else:
            today = timezone.now().date()
            existing = Backup.objects.filter(day=today, status=Backup.Status.SUCCEEDED).first()
            if existing is not None and not force:
                return existing
            backup = Backup.objects.create(day=today, status=Backup.Status.QUEUED)
        _execute(backup, progress)
    if backup.status == Backup.Status.SUCCEEDED:
        backup_prune()
    return backup


def _execute(backup: Backup, progress: Progress | None) -> None:
    now = timezone.now()
    _save(backup, status=Backup.Status.RUNNING, started_at=now, phase="checking versions", progress=0.0)
    directory = Path(settings.BACKUP_DIR)
    partial: Path | None = None
    try:
        versions = pg.require_matching_versions(settings.BACKUP_PG_DUMP)
        _save(backup, pg_dump_version=versions.client[:100], server_version=versions.server[:100])
        key = _encryption_key()
        directory.mkdir(parents=True, exist_ok=True)
        name = f"suresh_ai-{now:%Y%m%dT%H%M%SZ}-{backup.pk}.dump" + (".enc" if key else "")
        final = directory / name
        partial = directory / (name + ".partial")
        sha, figures = _dump(backup, partial, key, progress)
        partial.rename(final)
        partial = None
        final.with_name(final.name + ".sha256").write_text(f"{sha}  {final.name}\n")
        _save(
            backup,
            file_name=name,
            file_path=str(final),
            size_bytes=final.stat().st_size,
            sha256=sha,
            encrypted=key is not None,
            figures=figures,
        )
        _offsite_copy(backup, final, progress)
        _save(
            backup,
            status=Backup.Status.SUCCEEDED,
            kind=_tier(backup),
            finished_at=timezone.now(),
            phase="",
            progress=None,
        )
        logger.info(
            "backup_succeeded",
            extra={"backup_id": backup.pk, "bytes": backup.size_bytes, "tables": backup.table_count},
        )
    except (BackupError, psycopg2.Error, OSError) as exc:
        if partial is not None:
            partial.unlink(missing_ok=True)
        _save(
            backup,
            status=Backup.Status.FAILED,
            error=_message(exc)[:4000],
            finished_at=timezone.now(),
            phase="",
            progress=None,
        )
        logger.error("backup_failed", extra={"backup_id": backup.pk, "error": backup.error[:500]})


def _dump(backup: Backup, target: Path, key: bytes | None, progress: Progress | None) -> tuple[str, pg.Figures]:
    """Export a snapshot, take the figures in it, and pg_dump that same snapshot into ``target``."""
    digest = hashlib.sha256()
    with pg.connect() as conn:
        conn.set_session(isolation_level=ISOLATION_LEVEL_REPEATABLE_READ, readonly=True)
        pg.stable_text(conn)
        with conn.cursor() as cur:
            cur.execute("SELECT pg_export_snapshot()")
            snapshot = str(cur.fetchone()[0])  # type: ignore[index]
            cur.execute(pg.TABLE_COUNT)
            total = int(cur.fetchone()[0])  # type: ignore[index]
        _save(backup, phase="figures")
        figures = pg.figures(conn, on_table=_table_reporter(backup, progress, "figures", total))
        _save(backup, phase="dumping", progress=0.0)
        args = [
            settings.BACKUP_PG_DUMP,
            "--format=custom",
            f"--compress={settings.BACKUP_COMPRESSION}",
            "--verbose",
            "--no-password",
            f"--snapshot={snapshot}",
        ]
        last = [0.0]  # when the row last heard of the dump's progress
        running = pg.Running.start(args, env=pg.tool_env(), stdout=subprocess.PIPE, marker=pg.DUMP_TABLE)
        stdout: IO[bytes] = running.process.stdout  # type: ignore[assignment]  # stdout=PIPE above
        try:
            with target.open("wb") as out:
                encryptor = crypto.Encryptor(key, out, digest.update) if key else None
                while chunk := stdout.read(_READ_CHUNK):
                    if encryptor is not None:
                        encryptor.write(chunk)
                    else:
                        out.write(chunk)
                        digest.update(chunk)
                    _report(backup, progress, "dumping", min(running.counter[0], total), total, last)
                if encryptor is not None:
                    encryptor.close()
        except OSError as exc:
            running.process.kill()
            raise BackupError(f"Cannot write the backup file in {settings.BACKUP_DIR}: {exc.strerror}") from exc
        finally:
            stdout.close()
        running.finish("pg_dump")
        _report(backup, progress, "dumping", total, total, [0.0])
        conn.rollback()
    return digest.hexdigest(), figures


def _table_reporter(backup: Backup, progress: Progress | None, step: str, total: int) -> Callable[[], None]:
    """A callback for each table done in ``step`` (``pg.figures``'s ``on_table``), reported as
    progress out of ``total`` tables (a restored copy may hold more: then out of those)."""
    done = [0]
    last = [0.0]

    def table_done() -> None:
        done[0] += 1
        _report(backup, progress, step, done[0], max(total, done[0]), last)

    return table_done


def _report(backup: Backup, progress: Progress | None, step: str, done: int, total: int, last: list[float]) -> None:
    """Tell the command line every time, and the database row at most every two seconds."""
    if progress is not None:
        progress(step, done, total)
    now = time.monotonic()
    if now - last[0] >= 2.0 or done >= total:
        last[0] = now
        Backup.objects.filter(pk=backup.pk).update(phase=step, progress=round(done / total, 4) if total else 1.0)


def _offsite_copy(backup: Backup, path: Path, progress: Progress | None) -> None:
    if not offsite.enabled():
        _save(backup, offsite_status=Backup.Offsite.DISABLED)
        return
    key = offsite.key_for(backup.file_name)
    _save(backup, phase="uploading", offsite_key=key, offsite_status=Backup.Offsite.PENDING)
    try:
        offsite.upload(path, key, sha256=backup.sha256)
    except BackupError as exc:
        _save(backup, offsite_status=Backup.Offsite.FAILED, offsite_error=exc.message[:2000])
        logger.error("backup_offsite_failed", extra={"backup_id": backup.pk, "error": exc.message[:500]})
        return
    _save(backup, offsite_status=Backup.Offsite.UPLOADED, offsite_error="")
    if progress is not None:
        progress("uploading", 1, 1)


# --- Retention ------------------------------------------------------------------------------------


def backup_prune() -> PruneResult:
    """Keep the newest BACKUP_KEEP_DAILY daily, _WEEKLY weekly and _MONTHLY monthly backups (locally
    and off-site); delete the rest, and failed attempts older than the oldest kept backup."""
    keep = {
        Backup.Kind.DAILY: settings.BACKUP_KEEP_DAILY,
        Backup.Kind.WEEKLY: settings.BACKUP_KEEP_WEEKLY,
        Backup.Kind.MONTHLY: settings.BACKUP_KEEP_MONTHLY,
    }
    deleted: list[int] = []
    kept: dict[str, int] = {}
    for kind, count in keep.items():
        rows = list(Backup.objects.filter(status=Backup.Status.SUCCEEDED, kind=kind).order_by("-day", "-id"))
        kept[str(kind)] = min(len(rows), count)
        for backup in rows[count:]:
            pk = backup.pk
            if _delete(backup):
                deleted.append(pk)
    oldest = Backup.objects.filter(status=Backup.Status.SUCCEEDED).order_by("day").values_list("day", flat=True).first()
    if oldest is not None:
        for backup in Backup.objects.filter(status=Backup.Status.FAILED, day__lt=oldest):
            pk = backup.pk
            if _delete(backup):
                deleted.append(pk)
    if deleted:
        logger.info("backup_pruned", extra={"deleted": deleted})
    return PruneResult(deleted=deleted, kept=kept)


def _delete(backup: Backup) -> bool:
    """Delete the files, then the row; a failed off-site delete keeps the row for the next prune."""
    if backup.file_path:
        path = Path(backup.file_path)
        path.unlink(missing_ok=True)
        path.with_name(path.name + ".sha256").unlink(missing_ok=True)
    if backup.offsite_key and backup.offsite_status == Backup.Offsite.UPLOADED and offsite.enabled():
        try:
            offsite.delete(backup.offsite_key)
        except BackupError as exc:
            logger.warning("backup_offsite_delete_failed", extra={"backup_id": backup.pk, "error": exc.message[:300]})
            return False
    backup.delete()
    return True


# --- Verification ---------------------------------------------------------------------------------


def verification_request(*, backup: Backup) -> Backup:
    """Queue a verification of ``backup`` on the ops queue."""
    from ops.backups.tasks import backup_verify_task

    if backup.status != Backup.Status.SUCCEEDED:
        raise Conflict(f"Backup {backup.pk} is {backup.status}; only a succeeded backup can be verified.")
    if backup.verification_status in (Backup.Verification.QUEUED, Backup.Verification.RUNNING):
        return backup  # asked twice: one verification is enough
    backup.verification_status = Backup.Verification.QUEUED
    backup.save(update_fields=["verification_status"])
    transaction.on_commit(lambda: backup_verify_task.delay(backup_id=backup.pk))
    return backup


@contextmanager
def _plain_dump(backup: Backup, workdir: Path) -> Iterator[Path]:
    """The backup's pg_restore-readable file: fetched from off-site when missing locally, its SHA-256
    checked against the one recorded at backup time, decrypted when encrypted."""
    path = Path(backup.file_path) if backup.file_path else None
    if path is None or not path.exists():
        if backup.offsite_status != Backup.Offsite.UPLOADED or not offsite.enabled():
            raise BackupError(f"Backup {backup.pk}'s file is missing locally and has no off-site copy.")
        path = workdir / backup.file_name
        offsite.download(backup.offsite_key, path)
    size = path.stat().st_size
    if _sha256(path) != backup.sha256:
        raise BackupError(
            f"Checksum mismatch: {backup.file_name} ({size} bytes; {backup.size_bytes} at backup time) is not the "
            "file that was written (corrupted or truncated)."
        )
    yield _readable(path, workdir, encrypted=backup.encrypted, what="backup")


def _workdir() -> Path:
    base = Path(settings.BACKUP_DIR)
    base.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".work-", dir=base))


def backup_verify(backup: Backup, *, progress: Progress | None = None) -> VerificationResult:
    """Restore ``backup`` into the scratch database BACKUP_VERIFY_DATABASE and compare every table's
    row count and checksum with the figures taken at dump time. The result is stored on the row."""
    if backup.status != Backup.Status.SUCCEEDED:
        raise BackupError(f"Backup {backup.pk} is {backup.status}; only a succeeded backup can be verified.")
    scratch = settings.BACKUP_VERIFY_DATABASE
    with _advisory_lock(_VERIFY_LOCK, "verification"):
        Backup.objects.filter(verification_status=Backup.Verification.RUNNING).exclude(pk=backup.pk).update(
            verification_status=Backup.Verification.FAILED,
            verification_detail="Interrupted (the process running it stopped).",
        )
        _save(backup, verification_status=Backup.Verification.RUNNING, phase="verifying", progress=0.0)
        last = [0.0]
        seconds: float | None = None
        tables = 0
        workdir = _workdir()
        try:
            with _plain_dump(backup, workdir) as dump:
                pg.database_drop(scratch)
                pg.database_create(scratch)
                try:
                    started = time.monotonic()
                    pg.restore(
                        dump,
                        database=scratch,
                        progress=lambda done, total: _report(backup, progress, "restoring", done, total, last),
                    )
                    seconds = round(time.monotonic() - started, 3)
                    _save(backup, phase="comparing", progress=0.0)
                    table_done = _table_reporter(backup, progress, "comparing", backup.table_count)

                    with pg.connect(scratch) as conn:
                        conn.set_session(readonly=True)
                        pg.stable_text(conn)
                        actual = pg.figures(conn, on_table=table_done)
                finally:
                    pg.database_drop(scratch)
            problems = pg.figures_compare(backup.figures, actual)
            tables = backup.table_count
            ok = not problems
            detail = (
                f"{tables} tables, {backup.row_count} rows identical."
                if ok
                else f"{len(problems)} difference(s): " + "; ".join(problems[:20])
            )
        except (BackupError, psycopg2.Error, OSError) as exc:
            ok, detail = False, _message(exc)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        _save(
            backup,
            verification_status=Backup.Verification.VERIFIED if ok else Backup.Verification.FAILED,
            verified_at=timezone.now(),
            verification_detail=detail[:4000],
            restore_seconds=seconds,
            phase="",
            progress=None,
        )
    log = logger.info if ok else logger.error
    log(
        "backup_verified" if ok else "backup_verification_failed",
        extra={"backup_id": backup.pk, "detail": detail[:500]},
    )
    return VerificationResult(backup_id=backup.pk, ok=ok, detail=detail, restore_seconds=seconds, tables=tables)


def backup_verify_latest(*, progress: Progress | None = None) -> VerificationResult | None:
    """The daily verification: the newest succeeded backup, unless it is verified already."""
    backup = Backup.objects.filter(status=Backup.Status.SUCCEEDED).order_by("-finished_at", "-id").first()
    if backup is None or backup.verification_status == Backup.Verification.VERIFIED:
        return None
    return backup_verify(backup, progress=progress)


# --- Restore --------------------------------------------------------------------------------------


@contextmanager
def _plain_file(path: Path, workdir: Path) -> Iterator[Path]:
    """A backup file given by path: its .sha256 sidecar checked when present, decrypted if needed."""
    if not path.is_file():
        raise BackupError(f"No backup file at {path}.")
    sidecar = path.with_name(path.name + ".sha256")
    if sidecar.exists() and sidecar.read_text().split()[0] != _sha256(path):
        raise BackupError(f"Checksum mismatch: {path.name} does not match {sidecar.name} (corrupted or truncated).")
    yield _readable(path, workdir, encrypted=crypto.is_encrypted(path), what="file")


def _readable(path: Path, workdir: Path, *, encrypted: bool, what: str) -> Path:
    """``path`` itself, or its decrypted copy in ``workdir`` when it is encrypted."""
    if not encrypted:
        return path
    key = _encryption_key()
    if key is None:
        raise BackupError(f"The {what} is encrypted but BACKUP_ENCRYPTION_KEY is not set.")
    plain = workdir / "plain.dump"
    crypto.decrypt_file(path, plain, key)
    return plain


def _schema_exists(database: str, schema: str) -> bool:
    with pg.connect(database) as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema])
        return cur.fetchone() is not None


def _execute_sql(database: str, statement: sql.Composable) -> None:
    with pg.connect(database) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(statement)


def backup_restore(
    *,
    source: Backup | Path,
    database: str | None = None,
    schema: str | None = None,
    replace: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> RestoreResult:
    """Restore a backup (a row, or a file by path).

    Whole database: into ``database``, a new database (created here); an existing one is dropped and
    recreated only with ``replace``; never the application's own database (restore beside it, then
    point DATABASE_URL at the copy). One schema (``schema``): into ``database`` or, when it is None,
    the application's database; an existing schema is replaced only with ``replace``: the old one is
    renamed aside, the new one restored in one transaction, then the old one dropped (put back if the
    restore fails).
    """
    if schema is not None and not _SCHEMA_NAME.match(schema):
        raise BackupError(f"schema: {schema!r} is not a schema name (e.g. t_acme).")
    in_place = database is None or database == pg.current_database()
    if schema is not None and in_place and not _is_tenant_schema(schema):
        # In the application's own database only a tenant's schema may be restored: the public
        # schema (accounts, billing, audit log, backups) and the template are whole-database matters.
        raise BackupError(
            f"schema: {schema!r} is not a tenant's schema; restore the whole database beside this one instead."
        )
    if database is not None and not _DATABASE_NAME.match(database):
        raise BackupError(f"database: {database!r} is not a database name.")
    if schema is None and database is None:
        raise BackupError("database: a whole-database restore needs a target database (--database).")
    # Asked of the maintenance database: after a disaster the application's own may be gone.
    pg.require_matching_versions(settings.BACKUP_PG_RESTORE, database="postgres")
    target = database or pg.current_database()
    workdir = _workdir()
    started = time.monotonic()
    try:
        opener = _plain_dump(source, workdir) if isinstance(source, Backup) else _plain_file(source, workdir)
        with opener as dump:
            entries = pg.toc_count(dump, schema=schema)
            if schema is None:
                _restore_database(dump, target, replace=replace, progress=progress)
            else:
                if entries == 0:
                    raise BackupError(f"schema: the backup holds nothing in schema {schema!r}.")
                _restore_schema(dump, target, schema, replace=replace, progress=progress)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    seconds = round(time.monotonic() - started, 3)
    logger.info("backup_restored", extra={"database": target, "schema": schema, "seconds": seconds})
    return RestoreResult(database=target, schema=schema, entries=entries, seconds=seconds)


def _restore_database(dump: Path, target: str, *, replace: bool, progress: Callable[[int, int], None] | None) -> None:
    if target == pg.current_database():
        raise BackupError(
            f"database: {target!r} is the application's own database; restore into a new database and point "
            "DATABASE_URL at it (docs/operations/disaster-recovery.md)."
        )
    if pg.database_exists(target):
        if not replace:
            raise BackupError(f"database: {target!r} exists; pass --replace to drop and recreate it.")
        pg.database_drop(target)
    pg.database_create(target)
    pg.restore(dump, database=target, progress=progress)


def _restore_schema(
    dump: Path, target: str, schema: str, *, replace: bool, progress: Callable[[int, int], None] | None
) -> None:
    ident = sql.Identifier(schema)
    if not _schema_exists(target, schema):
        _execute_sql(target, sql.SQL("CREATE SCHEMA {}").format(ident))
        try:
            pg.restore(dump, database=target, schema=schema, single_transaction=True, progress=progress)
        except BackupError:
            _execute_sql(target, sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(ident))
            raise
        return
    if not replace:
        raise BackupError(f"schema: {schema!r} exists in {target!r}; pass --replace to replace it.")
    aside = sql.Identifier(f"{schema}_before_restore"[:63])
    _execute_sql(target, sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(aside))
    _execute_sql(target, sql.SQL("ALTER SCHEMA {} RENAME TO {}; CREATE SCHEMA {}").format(ident, aside, ident))
    try:
        pg.restore(dump, database=target, schema=schema, single_transaction=True, progress=progress)
    except BackupError:
        _execute_sql(
            target,
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE; ALTER SCHEMA {} RENAME TO {}").format(ident, aside, ident),
        )
        raise
    _execute_sql(target, sql.SQL("DROP SCHEMA {} CASCADE").format(aside))


# --- Checks ---------------------------------------------------------------------------------------


def _is_tenant_schema(schema: str) -> bool:
    from tenants.models import Tenant

    if schema in (settings.PUBLIC_SCHEMA_NAME, settings.TENANT_TEMPLATE_SCHEMA):
        return False
    return Tenant.objects.filter(schema_name=schema).exists()


def first_backup_due() -> datetime:
    """When a new platform's first backup is due: the first scheduled time (BACKUP_HOUR_UTC:00 UTC)
    after the platform was set up (its public tenant was created)."""
    from tenants.models import Tenant

    installed = (
        Tenant.objects.filter(schema_name=settings.PUBLIC_SCHEMA_NAME).values_list("created_at", flat=True).first()
        or timezone.now()
    )
    due = installed.astimezone(UTC).replace(hour=settings.BACKUP_HOUR_UTC, minute=0, second=0, microsecond=0)
    return due if due > installed else due + timedelta(days=1)


def backup_notice() -> str:
    """A warning, not a failure, while a new platform waits for its first backup (empty otherwise):
    shown on the ops and backups dashboards; backup_check counts it as healthy."""
    if Backup.objects.filter(status__in=(Backup.Status.SUCCEEDED, Backup.Status.FAILED)).exists():
        return ""
    due = first_backup_due()
    if timezone.now() >= due + _first_backup_grace():
        return ""
    return f"No backup yet: the first backup is due at {due:%H:%M} UTC on {due:%Y-%m-%d}."


def _first_backup_grace() -> timedelta:
    # The same lateness a daily backup is allowed: BACKUP_MAX_AGE_HOURS past the previous one, less a day.
    return timedelta(hours=max(0.0, settings.BACKUP_MAX_AGE_HOURS - 24))


def backup_check() -> None:
    """Raise BackupUnhealthy, with a message fit to show, when backups are missed, failed or
    unverified (the health model's "backups" component and its alert rule call this). A new platform
    whose first scheduled backup time has not yet passed is healthy (backup_notice says so)."""
    now = timezone.now()
    latest = (
        Backup.objects.filter(status__in=(Backup.Status.SUCCEEDED, Backup.Status.FAILED))
        .order_by(F("finished_at").desc(nulls_last=True), "-id")
        .first()
    )
    if latest is not None and latest.status == Backup.Status.FAILED:
        raise BackupUnhealthy(f"Backup failed: the latest backup ({latest.day}) failed: {latest.error[:150]}")
    good = Backup.objects.filter(status=Backup.Status.SUCCEEDED).order_by("-finished_at", "-id").first()
    max_age = timedelta(hours=settings.BACKUP_MAX_AGE_HOURS)
    if good is None and latest is None and backup_notice():
        return
    if good is None or good.finished_at is None or now - good.finished_at > max_age:
        since = f"since {good.finished_at:%Y-%m-%d %H:%M} UTC" if good and good.finished_at else "ever"
        raise BackupUnhealthy(
            f"Backup missed: no succeeded backup {since} (expected every {settings.BACKUP_MAX_AGE_HOURS:g} h)."
        )
    if good.verification_status == Backup.Verification.FAILED:
        raise BackupUnhealthy(f"Backup verification failed for backup {good.pk}: {good.verification_detail[:150]}")
    # An older backup kept for retention that fails when checked again (a corrupted file) matters
    # too: it may be the one a restore needs.
    broken = (
        Backup.objects.filter(
            status=Backup.Status.SUCCEEDED,
            verification_status=Backup.Verification.FAILED,
            verified_at__gte=now - timedelta(days=7),
        )
        .order_by("-verified_at")
        .first()
    )
    if broken is not None:
        raise BackupUnhealthy(
            f"Backup verification failed for backup {broken.pk} of {broken.day}: {broken.verification_detail[:150]}"
        )
    verify_age = timedelta(hours=settings.BACKUP_VERIFY_MAX_AGE_HOURS)
    if good.verification_status != Backup.Verification.VERIFIED and now - good.finished_at > verify_age:
        raise BackupUnhealthy(
            f"Backup unverified: backup {good.pk} of {good.finished_at:%Y-%m-%d %H:%M} UTC has not been restored "
            f"and checked within {settings.BACKUP_VERIFY_MAX_AGE_HOURS:g} h."
        )
    if good.offsite_status == Backup.Offsite.FAILED:
        raise BackupUnhealthy(f"Backup off-site copy failed for backup {good.pk}: {good.offsite_error[:150]}")
