"""PostgreSQL plumbing for backups: the client tools, connections outside Django's, and the
per-table figures (row count and checksum) that a restore must reproduce."""

from __future__ import annotations

import os
import re
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import psycopg2
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from psycopg2 import sql
from psycopg2.extensions import connection as PgConnection

from ops.backups.exceptions import BackupError

# Per table: {"rows": n, "checksum": md5 hex}. Per database: {schema: {table: figures}}.
Figures = dict[str, dict[str, dict[str, Any]]]
ProgressFn = Callable[[int, int], None]

# Session settings that fix every value's text form, so a checksum taken on the live database and one
# taken on the restored copy read the same bytes for the same data.
_STABLE_TEXT = (
    "SET TIME ZONE 'UTC'",
    "SET DateStyle = 'ISO, MDY'",
    "SET IntervalStyle = 'postgres'",
    "SET extra_float_digits = 1",
    "SET bytea_output = 'hex'",
)
_TABLES = """
    SELECT n.nspname, c.relname
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r'
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
    ORDER BY 1, 2
"""
TABLE_COUNT = f"SELECT count(*) FROM ({_TABLES}) AS tables"  # noqa: S608 - constant SQL
_VERSION = re.compile(r"(?:\(PostgreSQL\)\s+)?(\d+)(?:\.\d+)*")


@dataclass(frozen=True)
class Versions:
    client: str  # "pg_dump (PostgreSQL) 15.20 (Debian ...)"
    server: str  # "15.20"
    client_major: int
    server_major: int


def db_params(database: str | None = None) -> dict[str, str]:
    """libpq parameters of Django's database (the test database under pytest), optionally another
    database on the same server."""
    params = connections[DEFAULT_DB_ALIAS].settings_dict
    return {
        "host": params["HOST"] or "",
        "port": str(params["PORT"] or ""),
        "user": params["USER"] or "",
        "password": params["PASSWORD"] or "",
        "dbname": database or params["NAME"],
    }


def current_database() -> str:
    return str(connections[DEFAULT_DB_ALIAS].settings_dict["NAME"])


def tool_env(database: str | None = None) -> dict[str, str]:
    """Environment for pg_dump/pg_restore: the connection goes in PG* variables, never on the
    command line (where ps would show a password)."""
    p = db_params(database)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for var, key in (("PGHOST", "host"), ("PGPORT", "port"), ("PGUSER", "user"), ("PGPASSWORD", "password")):
        if p[key]:
            env[var] = p[key]
    env["PGDATABASE"] = p["dbname"]
    env["PGCONNECT_TIMEOUT"] = "10"
    return env


def safe_message(text: str, limit: int = 2000) -> str:
    """The tail of a tool's stderr with any password scrubbed, fit to store and show."""
    password = db_params()["password"]
    if password:
        text = text.replace(password, "***")
    text = re.sub(r"(?i)(password\s*=\s*)\S+", r"\1***", text)
    text = re.sub(r"postgres(?:ql)?://[^@\s]*@", "postgres://***@", text)
    text = text.strip()
    return text[-limit:]


@contextmanager
def connect(database: str | None = None) -> Iterator[PgConnection]:
    """A psycopg2 connection of our own (never Django's: backups hold long transactions)."""
    params = {k: v for k, v in db_params(database).items() if v}
    try:
        conn = psycopg2.connect(connect_timeout=10, application_name="suresh-ai-backups", **params)
    except psycopg2.OperationalError as exc:
        raise BackupError(f"Cannot connect to database {params['dbname']!r}: {safe_message(str(exc), 300)}") from exc
    try:
        yield conn
    finally:
        conn.close()


def stable_text(conn: PgConnection) -> None:
    with conn.cursor() as cur:
        for statement in _STABLE_TEXT:
            cur.execute(statement)


def tool_version(executable: str) -> tuple[str, int]:
    try:
        out = subprocess.run(  # noqa: S603 - a configured executable, fixed arguments
            [executable, "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        raise BackupError(f"Cannot run {executable!r} --version: {type(exc).__name__}") from exc
    match = _VERSION.search(out.split("(PostgreSQL)")[-1])
    if match is None:
        raise BackupError(f"Cannot read the version of {executable!r} from {out[:100]!r}")
    return out, int(match.group(1))


def versions(executable: str, *, database: str | None = None) -> Versions:
    """The client tool's and the server's versions (major numbers compared by the caller)."""
    client, client_major = tool_version(executable)
    with connect(database) as conn, conn.cursor() as cur:
        cur.execute("SHOW server_version")
        server = str(cur.fetchone()[0]).split()[0]  # type: ignore[index]
        cur.execute("SHOW server_version_num")
        server_major = int(cur.fetchone()[0]) // 10000  # type: ignore[index]
    return Versions(client=client, server=server, client_major=client_major, server_major=server_major)


def require_matching_versions(executable: str, *, database: str | None = None) -> Versions:
    found = versions(executable, database=database)
    if found.client_major != found.server_major:
        raise BackupError(
            f"{Path(executable).name} is version {found.client_major} but the server is PostgreSQL "
            f"{found.server_major}: install the matching client (postgresql-client-{found.server_major}) "
            "or set BACKUP_PG_DUMP / BACKUP_PG_RESTORE to it."
        )
    return found


def figures(
    conn: PgConnection, *, schemas: set[str] | None = None, on_table: Callable[[], None] | None = None
) -> Figures:
    """Row count and checksum of every table, in the connection's current transaction (snapshot).

    The checksum is md5 over the md5 of each row's text form, sorted, so it does not depend on
    physical row order (a restore rewrites it) and needs 32 bytes of memory per row, not the row.
    """
    result: Figures = {}
    with conn.cursor() as cur:
        cur.execute(_TABLES)
        tables = [(s, t) for s, t in cur.fetchall() if schemas is None or s in schemas]
        for schema, table in tables:
            cur.execute(
                sql.SQL(
                    "SELECT count(*), md5(coalesce(string_agg(h, '' ORDER BY h), '')) "
                    "FROM (SELECT md5(t::text) AS h FROM {}.{} AS t) AS x"
                ).format(sql.Identifier(schema), sql.Identifier(table))
            )
            rows, checksum = cur.fetchone()  # type: ignore[misc]
            result.setdefault(schema, {})[table] = {"rows": int(rows), "checksum": str(checksum)}
            if on_table is not None:
                on_table()
    return result


def figures_compare(expected: Figures, actual: Figures) -> list[str]:
    """Every difference, named schema.table (empty: identical)."""
    problems: list[str] = []
    for schema, tables in sorted(expected.items()):
        for table, want in sorted(tables.items()):
            got = actual.get(schema, {}).get(table)
            name = f"{schema}.{table}"
            if got is None:
                problems.append(f"{name}: missing after restore")
            elif got["rows"] != want["rows"]:
                problems.append(f"{name}: {want['rows']} rows at dump time, {got['rows']} after restore")
            elif got["checksum"] != want["checksum"]:
                problems.append(f"{name}: checksum differs ({want['rows']} rows)")
    for schema, tables in sorted(actual.items()):
        for table in sorted(tables):
            if table not in expected.get(schema, {}):
                problems.append(f"{schema}.{table}: present after restore but not at dump time")
    return problems


def _drain(stream: IO[bytes], sink: list[str], counter: list[int], marker: re.Pattern[str] | None) -> None:
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", errors="replace").rstrip()
        sink.append(line)
        if len(sink) > 200:  # keep the tail only: verbose output is one line per object
            del sink[:100]
        if marker is None or marker.search(line):
            counter[0] += 1


@dataclass
class Running:
    """A client tool running with its stderr read in the background (lines counted as progress)."""

    process: subprocess.Popen[bytes]
    stderr_tail: list[str]
    counter: list[int]
    reader: threading.Thread

    @classmethod
    def start(
        cls, args: list[str], *, env: dict[str, str], stdout: int | IO[bytes] | None, marker: re.Pattern[str] | None
    ) -> Running:
        process = subprocess.Popen(  # noqa: S603 - configured executable, arguments built here
            args, env=env, stdout=stdout, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
        )
        tail: list[str] = []
        counter = [0]
        stderr: IO[bytes] = process.stderr  # type: ignore[assignment]  # stderr=PIPE above
        reader = threading.Thread(target=_drain, args=(stderr, tail, counter, marker), daemon=True)
        reader.start()
        return cls(process=process, stderr_tail=tail, counter=counter, reader=reader)

    def finish(self, what: str) -> None:
        code = self.process.wait()
        self.reader.join(timeout=10)
        if code != 0:
            errors = [line for line in self.stderr_tail if "error" in line.lower() or "fatal" in line.lower()]
            detail = "\n".join(errors[-5:] or self.stderr_tail[-5:])
            raise BackupError(f"{what} failed (exit {code}): {safe_message(detail, 1500)}")


# pg_restore --verbose prints one of these per TOC entry it processes.
RESTORE_ITEM = re.compile(r"^pg_restore: (creating|processing data for|executing|restoring|processing item)", re.I)
# pg_dump --verbose prints this once per table whose rows it writes.
DUMP_TABLE = re.compile(r"^pg_dump: dumping contents of table", re.I)


def toc_count(file: Path, *, schema: str | None = None) -> int:
    """Entries pg_restore will process (its TOC, filtered like the restore)."""
    args = [settings.BACKUP_PG_RESTORE, "-l"]
    if schema:
        args += ["-n", schema]
    try:
        out = subprocess.run(  # noqa: S603
            [*args, str(file)], capture_output=True, text=True, timeout=300, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise BackupError(f"Cannot list the backup's contents: {type(exc).__name__}") from exc
    if out.returncode != 0:
        raise BackupError(f"The backup file is not readable by pg_restore: {safe_message(out.stderr, 500)}")
    return sum(1 for line in out.stdout.splitlines() if line.strip() and not line.startswith(";"))


def restore(
    file: Path,
    *,
    database: str,
    schema: str | None = None,
    single_transaction: bool = False,
    progress: ProgressFn | None = None,
) -> None:
    """pg_restore ``file`` into ``database`` (whole, or one schema), stopping at the first error."""
    import time

    total = toc_count(file, schema=schema)
    args = [settings.BACKUP_PG_RESTORE, "--verbose", "--exit-on-error", "--no-owner", "--no-privileges"]
    args += ["--dbname", database]
    if schema:
        args += ["--schema", schema]
    if single_transaction:
        args.append("--single-transaction")
    running = Running.start([*args, str(file)], env=tool_env(database), stdout=subprocess.DEVNULL, marker=RESTORE_ITEM)
    try:
        while running.process.poll() is None:
            if progress is not None:
                progress(min(running.counter[0], total), total)
            time.sleep(0.5)
    finally:
        if running.process.poll() is None:  # interrupted (Ctrl-C, a time limit): stop the restore too
            running.process.kill()
    running.finish("pg_restore")
    if progress is not None:
        progress(total, total)


def database_exists(name: str) -> bool:
    with connect("postgres") as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cur.fetchone() is not None


def database_create(name: str) -> None:
    with connect("postgres") as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))


def database_drop(name: str) -> None:
    if name == current_database():
        raise BackupError(f"Refusing to drop {name!r}: it is the application's own database.")
    with connect("postgres") as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
