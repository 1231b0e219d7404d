"""The audit log: record every state-changing action in a hash chain, verify the chain (live or
from an exported file), and export it as CSV or JSON lines.

Each entry's hash is SHA-256 over the previous entry's hash and this entry's fields in a fixed,
canonical JSON form (``before`` and ``after`` included). Entries are appended under a PostgreSQL
advisory lock, so concurrent writers form one chain. ``audit_verify`` recomputes the chain and
names the first entry that does not match (a field changed, a row removed or inserted out of band).
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from ops.audit_changes import ChangeSet
from ops.models import AuditEntry
from suresh_ai.csvfile import csv_lines

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
CHAINED = (
    "at",
    "user_id",
    "user_email",
    "api_key_id",
    "tenant_schema",
    "method",
    "path",
    "status_code",
    "action",
    "before",
    "after",
    "ip",
    "user_agent",
    "request_id",
)
LOCK_KEY = 0x5A1_A0D17  # one advisory lock id for the chain
EXPORT_COLUMNS = ("id", *CHAINED, "prev_hash", "hash")
EXPORT_CHUNK = 2000


def entry_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    material = {name: fields.get(name) for name in CHAINED}
    material["at"] = fields["at"].isoformat(timespec="microseconds")
    text = json.dumps(material, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{prev_hash}\n{text}".encode()).hexdigest()


def audit_record(**fields: Any) -> AuditEntry:
    """Append one entry (fields: see AuditEntry; ``at`` defaults to now)."""
    from django.utils import timezone

    fields.setdefault("at", timezone.now())
    entry = AuditEntry(**fields)
    # Hash what will be stored, model defaults included, exactly as audit_verify will read it.
    stored = {name: getattr(entry, name) for name in CHAINED}
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        last = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS
        entry.prev_hash, entry.hash = last, entry_hash(last, stored)
        entry.save(force_insert=True)
        return entry


def audit_record_request(
    request: HttpRequest, *, status_code: int, changes: ChangeSet | None = None, path: str | None = None
) -> AuditEntry | None:
    """Append the entry for one request: who (user or API key), which tenant, what (method, path,
    status, view, and the changes collected while it ran), from where. A failure to write is
    logged, never raised: the action itself already happened. Marks the request as recorded, so
    the middleware does not record it a second time."""
    from suresh_ai.api.ratelimit import client_ip
    from tenants.models import ApiKey

    request.audit_recorded = True  # type: ignore[attr-defined]
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    auth = getattr(request, "auth", None)
    match = getattr(request, "resolver_match", None)
    before, after = changes.entry_values() if changes is not None else (None, None)
    try:
        return audit_record(
            user_id=user.pk if signed_in else None,  # type: ignore[union-attr]
            user_email=user.email if signed_in else "",  # type: ignore[union-attr]
            api_key_id=auth.pk if isinstance(auth, ApiKey) else None,
            tenant_schema=getattr(getattr(request, "tenant", None), "schema_name", ""),
            method=request.method or "",
            path=(path or request.path)[:500],
            status_code=status_code,
            action=(match.view_name or "")[:100] if match else "",
            before=before,
            after=after,
            ip=client_ip(request)[:45],
            user_agent=request.headers.get("User-Agent", "")[:300],
            request_id=getattr(request, "request_id", ""),
        )
    except DatabaseError:
        logger.exception("audit_record_failed", extra={"path": request.path})
        return None


@dataclass(frozen=True)
class Verification:
    entries: int
    intact: bool
    first_broken_id: int | None = None
    reason: str = ""
    last_hash: str = ""  # the chain's head: write it down elsewhere to anchor later checks


def audit_verify(*, on_entry: Callable[[], object] | None = None) -> Verification:
    """Walk the chain in order; the first entry whose link or content does not match breaks it."""
    previous = GENESIS
    count = 0
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=EXPORT_CHUNK):
        count += 1
        if on_entry is not None:
            on_entry()
        if entry.prev_hash != previous:
            return Verification(count, False, entry.pk, "its link to the previous entry does not match")
        fields = {name: getattr(entry, name) for name in CHAINED}
        if entry_hash(previous, fields) != entry.hash:
            return Verification(count, False, entry.pk, "its content does not match its hash")
        previous = entry.hash
    return Verification(count, True, last_hash=previous if count else "")


# --- Search and export ----------------------------------------------------------------------------


def audit_entries(
    *,
    tenant: str = "",
    user_email: str = "",
    user_id: int | None = None,
    path: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEntry]:
    """Entries matching every given filter: tenant schema, user (email or id), path prefix, and
    ``since`` <= at < ``until``."""
    rows = AuditEntry.objects.all()
    if tenant:
        rows = rows.filter(tenant_schema=tenant)
    if user_email:
        rows = rows.filter(user_email__iexact=user_email)
    if user_id is not None:
        rows = rows.filter(user_id=user_id)
    if path:
        rows = rows.filter(path__startswith=path)
    if since is not None:
        rows = rows.filter(at__gte=since)
    if until is not None:
        rows = rows.filter(at__lt=until)
    return rows


def audit_export_rows(entries: QuerySet[AuditEntry]) -> Iterator[dict[str, Any]]:
    """Each entry in chain order (oldest first) as a plain dict with every hashed field and both
    hashes, read in chunks from a server-side cursor so any number of rows fits in memory."""
    for entry in entries.order_by("id").iterator(chunk_size=EXPORT_CHUNK):
        row = {name: getattr(entry, name) for name in EXPORT_COLUMNS}
        row["at"] = entry.at.isoformat(timespec="microseconds")
        yield row


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def audit_jsonl_lines(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    for row in rows:
        yield _canonical(row) + "\n"


# CSV cells go through the shared writer (suresh_ai.csvfile): text that a spreadsheet would read as
# a formula gets a leading quote, which the verifier strips again; ids and status codes stay numbers.
_NUMERIC = frozenset({"id", "user_id", "api_key_id", "status_code"})
_JSON = frozenset({"before", "after"})


def _csv_cell(name: str, value: Any) -> Any:
    if value is None or name in _NUMERIC:
        return value
    return _canonical(value) if name in _JSON else str(value)


def audit_csv_lines(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    return csv_lines(EXPORT_COLUMNS, ([_csv_cell(name, row[name]) for name in EXPORT_COLUMNS] for row in rows))


# --- Verifying an exported file -------------------------------------------------------------------


@dataclass(frozen=True)
class FileVerification:
    entries: int
    intact: bool
    first_broken_id: int | None = None
    reason: str = ""
    gaps: int = 0  # places where the file skips entries of the chain (a filtered export)
    last_hash: str = ""


def _from_csv(record: dict[str, str]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name in EXPORT_COLUMNS:
        text = record[name]
        text = text[1:] if text.startswith("'") else text  # the writer's guard against formulas
        if name in _NUMERIC:
            row[name] = int(text) if text else None
        elif name in _JSON:
            row[name] = json.loads(text) if text else None
        else:
            row[name] = text
    return row


def audit_read_export(path: Path) -> Iterator[dict[str, Any]]:
    """The rows of an export file (.csv or .jsonl), typed as they were hashed."""
    with path.open(encoding="utf-8", newline="") as handle:
        if path.suffix == ".csv":
            rows: Iterable[dict[str, Any]] = (_from_csv(record) for record in csv.DictReader(handle))
        else:
            rows = (json.loads(line) for line in handle if line.strip())
        for row in rows:
            missing = [name for name in EXPORT_COLUMNS if name not in row]
            if missing:
                raise ValueError(f"Row {row.get('id')} lacks the column(s) {', '.join(missing)}.")
            row["at"] = datetime.fromisoformat(row["at"])
            yield row


def audit_verify_rows(
    rows: Iterable[dict[str, Any]], *, complete: bool = False, on_entry: Callable[[], object] | None = None
) -> FileVerification:
    """Check exported rows offline: every row's hash matches its content and its stored link, and
    consecutive rows link up. A filtered export skips entries, so a link that does not match
    counts as a gap; with ``complete`` (an unfiltered export) it breaks the chain, and the first
    row must start it."""
    previous: dict[str, Any] | None = None
    count = gaps = 0
    for row in rows:
        count += 1
        if on_entry is not None:
            on_entry()
        expected_link = previous["hash"] if previous is not None else GENESIS
        if row["prev_hash"] != expected_link:
            if complete:
                return FileVerification(count, False, row["id"], "its link to the previous entry does not match", gaps)
            if previous is not None:
                gaps += 1
        if entry_hash(row["prev_hash"], row) != row["hash"]:
            return FileVerification(count, False, row["id"], "its content does not match its hash", gaps)
        previous = row
    return FileVerification(count, True, gaps=gaps, last_hash=previous["hash"] if previous else "")
