"""The audit log: record every state-changing action in a hash chain, and verify the chain.

Each entry's hash is SHA-256 over the previous entry's hash and this entry's fields in a fixed,
canonical JSON form. Entries are appended under a PostgreSQL advisory lock, so concurrent writers
form one chain. ``audit_verify`` recomputes the chain and names the first entry that does not
match (a field changed, a row removed or inserted out of band).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from ops.models import AuditEntry

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


def entry_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    material = {name: fields.get(name) for name in CHAINED}
    material["at"] = fields["at"].isoformat(timespec="microseconds")
    text = json.dumps(material, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{prev_hash}\n{text}".encode()).hexdigest()


def audit_record(**fields: Any) -> AuditEntry:
    """Append one entry (fields: see AuditEntry; ``at`` defaults to now)."""
    from django.utils import timezone

    fields.setdefault("at", timezone.now())
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        last = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS
        return AuditEntry.objects.create(**fields, prev_hash=last, hash=entry_hash(last, fields))


@dataclass(frozen=True)
class Verification:
    entries: int
    intact: bool
    first_broken_id: int | None = None
    reason: str = ""


def audit_verify() -> Verification:
    """Walk the chain in order; the first entry whose link or content does not match breaks it."""
    previous = GENESIS
    count = 0
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        count += 1
        if entry.prev_hash != previous:
            return Verification(count, False, entry.pk, "its link to the previous entry does not match")
        fields = {name: getattr(entry, name) for name in CHAINED}
        if entry_hash(previous, fields) != entry.hash:
            return Verification(count, False, entry.pk, "its content does not match its hash")
        previous = entry.hash
    return Verification(count, True)
