"""What a request changed, for its audit entry: model saves and deletes collected by signals while
the audit middleware holds a ChangeSet open, turned into redacted, size-capped before/after maps.

Only requests that may be audited open a ChangeSet (``audit_capture``); anywhere else (reads,
Celery tasks, management commands) the receivers return at once, without a query. QuerySet
``update()``, ``bulk_create()`` and ``bulk_update()`` send no signals: services that change audited
rows that way can add the change themselves with ``audit_change``.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

REDACTED = "[redacted]"
# Rows that are not actions of their own: the log itself, sessions (they hold the sign-in), the
# admin's own history, login-attempt bookkeeping, and Django's catalogue of models and permissions.
UNTRACKED = frozenset(
    {
        "ops.auditentry",
        "sessions.session",
        "admin.logentry",
        "axes.accessattempt",
        "axes.accessfailurelog",
        "axes.accesslog",
        "contenttypes.contenttype",
        "auth.permission",
    }
)
# Secrets by name anywhere: password hashes, API key and token hashes, tokens, webhook secrets.
SECRET_NAME = re.compile(r"password|secret|(^|_)(token|hash)$", re.IGNORECASE)
# Secrets and end customers' personal data by model (label_lower -> field names).
REDACTED_FIELDS: dict[str, frozenset[str]] = {
    "otp_totp.totpdevice": frozenset({"key"}),
    "intelligence.customer": frozenset({"email", "name", "phone", "attributes"}),
    "intelligence.event": frozenset({"properties"}),
    "intelligence.razorpayevent": frozenset({"payload"}),
    "ai_chat.message": frozenset({"content"}),
}
MAX_OBJECTS = 500  # per request; beyond it objects are only counted (and no old row is read)
MAX_ENTRY_BYTES = 64 * 1024  # before + after of one entry, as JSON
MAX_TEXT = 500  # longer strings keep their start, length and a SHA-256 prefix

_current: ContextVar[ChangeSet | None] = ContextVar("ops_audit_changes", default=None)

Values = dict[str, Any]


class ChangeSet:
    """The objects one request created, updated or deleted, in the order first touched.

    Each object maps to [before, after]: ``before`` None means created in this request, ``after``
    None deleted; for an update both hold only the fields whose value changed. Values are kept
    unredacted until ``entry_values`` so a field changed and changed back is seen as unchanged."""

    def __init__(self) -> None:
        self.objects: dict[str, list[Values | None]] = {}
        self.omitted = 0
        self._old_rows: dict[str, Values | None] = {}

    def empty(self) -> bool:
        """Nothing was created, changed or deleted (nor left uncounted)."""
        return not self.objects and not self.omitted

    def full(self) -> bool:
        return len(self.objects) >= MAX_OBJECTS

    def add(self, key: str, before: Values | None, after: Values | None) -> None:
        known = self.objects.get(key)
        if known is None:
            if self.full():
                self.omitted += 1
            elif before != after:
                self.objects[key] = [before, after]
            return
        first_before, last_after = known
        if after is None:  # deleted: gone if it was created here, else its values before the request
            if first_before is None:
                del self.objects[key]
            else:
                known[:] = [{**(before or {}), **first_before}, None]
            return
        if first_before is None:  # created here, then changed: still a creation
            known[1] = {**(last_after or {}), **after}
            return
        merged_before = {**(before or {}), **first_before}
        merged_after = {**(last_after or {}), **after}
        changed = {name for name in merged_after if merged_before.get(name) != merged_after[name]}
        known[:] = [
            {n: v for n, v in merged_before.items() if n in changed},
            {n: v for n, v in merged_after.items() if n in changed},
        ]
        if not changed:
            del self.objects[key]

    def entry_values(self) -> tuple[Values | None, Values | None]:
        """(before, after) for the audit entry: redacted, and cut to MAX_ENTRY_BYTES (objects that
        do not fit are counted under "_omitted" in both)."""
        before: Values = {}
        after: Values = {}
        budget = MAX_ENTRY_BYTES
        omitted = self.omitted
        for key, (old, new) in self.objects.items():
            label = key.split(":", 1)[0]
            shown_old, shown_new = _redact(label, old, new)
            size = len(json.dumps([key, shown_old, shown_new], separators=(",", ":")))
            if size > budget:
                omitted += 1
                continue
            budget -= size
            before[key], after[key] = shown_old, shown_new
        if omitted:
            before["_omitted"] = after["_omitted"] = omitted
        return (before or None, after or None)


@contextmanager
def audit_capture() -> Iterator[ChangeSet]:
    """Collect the model changes made inside the block (in this context) into a ChangeSet."""
    changes = ChangeSet()
    token = _current.set(changes)
    try:
        yield changes
    finally:
        _current.reset(token)


def audit_change(*, model: type[models.Model], pk: object, before: Values | None, after: Values | None) -> None:
    """Add a change made without model signals (QuerySet.update, bulk writes) to the open ChangeSet,
    if any: ``before`` None for a creation, ``after`` None for a deletion. Values are made
    JSON-safe here and redacted like the rest when the entry is written."""
    changes = _current.get()
    if changes is None:
        return
    changes.add(
        _key(model, pk),
        None if before is None else {name: _plain(value) for name, value in before.items()},
        None if after is None else {name: _plain(value) for name, value in after.items()},
    )


def audit_connect() -> None:
    """Connect the receivers (idempotent). Per tracked model, so untracked models keep Django's
    fast path for deletes (a model with delete receivers has its rows loaded before deletion)."""
    for model in apps.get_models():
        label = model._meta.concrete_model._meta.label_lower  # type: ignore[union-attr]
        if label in UNTRACKED:
            continue
        uid = f"ops.audit.{model._meta.label_lower}"
        pre_save.connect(_pre_save, sender=model, dispatch_uid=f"{uid}.pre_save")
        post_save.connect(_post_save, sender=model, dispatch_uid=f"{uid}.post_save")
        post_delete.connect(_post_delete, sender=model, dispatch_uid=f"{uid}.post_delete")
    m2m_changed.connect(_m2m_changed, dispatch_uid="ops.audit.m2m_changed")


# --- Receivers ------------------------------------------------------------------------------------


def _pre_save(
    sender: type[models.Model], instance: models.Model, raw: bool = False, using: str = "default", **kwargs: Any
) -> None:
    changes = _current.get()
    if changes is None or raw or instance.pk is None:
        return
    if instance._state.adding and sender._meta.pk.has_default():  # type: ignore[union-attr]
        return  # a plain insert; a new object with a hand-set id may update a row, so read it
    key = _key(sender, instance.pk)
    if key not in changes.objects and changes.full():
        return  # counted in post_save; no query for it
    fields = _fields(sender, kwargs.get("update_fields"), instance.get_deferred_fields())
    row = sender._base_manager.using(using).filter(pk=instance.pk).values(*[field.attname for field in fields]).first()
    changes._old_rows[key] = None if row is None else {field.name: _plain(row[field.attname]) for field in fields}


def _post_save(
    sender: type[models.Model],
    instance: models.Model,
    created: bool = False,
    raw: bool = False,
    **kwargs: Any,
) -> None:
    changes = _current.get()
    if changes is None or raw:
        return
    key = _key(sender, instance.pk)
    fields = _fields(sender, kwargs.get("update_fields"), instance.get_deferred_fields())
    new = {field.name: _value(field, instance) for field in fields}
    if created:
        changes._old_rows.pop(key, None)
        changes.add(key, None, new)
        return
    if key not in changes._old_rows:
        changes.omitted += 1  # over MAX_OBJECTS: its old row was not read
        return
    old = changes._old_rows.pop(key)
    if old is None:
        changes.add(key, None, new)
        return
    changed = [name for name in new if old.get(name) != new[name]]
    changes.add(key, {n: old.get(n) for n in changed}, {n: new[n] for n in changed})


def _post_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    changes = _current.get()
    if changes is None:
        return
    fields = _fields(sender, None, instance.get_deferred_fields())
    changes.add(_key(sender, instance.pk), {field.name: _value(field, instance) for field in fields}, None)


def _m2m_changed(
    sender: type[models.Model],
    instance: models.Model,
    action: str,
    reverse: bool,
    model: type[models.Model],
    pk_set: set[Any] | None,
    **kwargs: Any,
) -> None:
    """Many-to-many changes from the side that declares the field (a user's groups, say), as the
    sorted list of related ids before and after."""
    changes = _current.get()
    if changes is None or reverse or instance.pk is None:
        return
    label = instance._meta.concrete_model._meta.label_lower  # type: ignore[union-attr]
    if label in UNTRACKED:
        return
    field = next((f for f in instance._meta.many_to_many if f.remote_field.through is sender), None)  # type: ignore[union-attr]
    if field is None:
        return
    key = _key(type(instance), instance.pk)
    pending = f"{key}#{field.name}"
    if action in ("pre_add", "pre_remove", "pre_clear"):
        if key not in changes.objects and changes.full():
            return
        current = getattr(instance, field.name).values_list("pk", flat=True)
        changes._old_rows[pending] = {"ids": sorted(_plain(pk) for pk in current)}
        return
    old = changes._old_rows.pop(pending, None)
    if old is None:
        if action in ("post_add", "post_remove", "post_clear"):
            changes.omitted += 1
        return
    ids = set(old["ids"])
    touched = {_plain(pk) for pk in pk_set or ()}
    new_ids = set() if action == "post_clear" else ids | touched if action == "post_add" else ids - touched
    if new_ids != ids:
        changes.add(key, {field.name: sorted(ids)}, {field.name: sorted(new_ids)})


# --- Values ---------------------------------------------------------------------------------------


def _key(model: type[models.Model], pk: object) -> str:
    return f"{model._meta.concrete_model._meta.label_lower}:{pk}"  # type: ignore[union-attr]


@cache
def _all_fields(model: type[models.Model]) -> tuple[models.Field[Any, Any], ...]:
    # auto_now timestamps change on every save: the entry's own time says when.
    return tuple(
        field
        for field in model._meta.concrete_fields
        if not getattr(field, "auto_now", False) and not field.primary_key
    )


def _fields(
    model: type[models.Model], update_fields: frozenset[str] | None, deferred: set[str]
) -> list[models.Field[Any, Any]]:
    """The fields a save writes: update_fields when given, never deferred ones (reading those
    would cost a query each)."""
    return [
        field
        for field in _all_fields(model)
        if field.attname not in deferred
        and (update_fields is None or field.name in update_fields or field.attname in update_fields)
    ]


def _value(field: models.Field[Any, Any], instance: models.Model) -> Any:
    value = getattr(instance, field.attname)
    with suppress(ValidationError):
        value = field.to_python(value)  # the type the database hands back, so old and new compare
    if isinstance(value, Decimal) and isinstance(field, models.DecimalField) and value.is_finite():
        with suppress(InvalidOperation):  # 10.5 is stored (and read back) as 10.50
            value = value.quantize(Decimal(1).scaleb(-(field.decimal_places or 0)))
    return _plain(value)


def _text(value: str) -> str:
    value = value.replace("\x00", "\ufffd")  # PostgreSQL's jsonb refuses NUL characters
    return value if len(value) <= MAX_TEXT else _summary(value)


def _summary(value: str) -> str:
    """A long value's start, length and SHA-256 prefix: enough to see that and how it changed."""
    digest = hashlib.sha256(value.encode()).hexdigest()[:16]
    start = value[:100].replace("\x00", "\ufffd")
    return f"{start}… [{len(value)} chars, sha256 {digest}]"


def _plain(value: Any) -> Any:
    """A JSON value that survives a round trip through jsonb unchanged, so the hash still matches
    when the chain is verified from the table or from an export."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        # jsonb stores numbers as decimals: 1e+300 would come back as an integer.
        return value if math.isfinite(value) and "e" not in repr(value) else repr(value)
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return f"[binary, {len(value)} bytes]"
    if isinstance(value, dict | list | tuple):
        text = json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))
        if len(text) > MAX_TEXT * 4 or "\\u0000" in text:
            return _summary(text)
        return _plain_json(json.loads(text))
    try:
        return _text(str(DjangoJSONEncoder().default(value)))  # dates, times, decimals, UUIDs
    except TypeError:
        return _text(str(value))


def _plain_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_json(v) for v in value]
    return _plain(value)


@cache
def _redacted_names(label: str) -> frozenset[str]:
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return REDACTED_FIELDS.get(label, frozenset())
    by_name = {field.name for field in model._meta.get_fields() if SECRET_NAME.search(field.name)}
    return frozenset(by_name) | REDACTED_FIELDS.get(label, frozenset())


def _redact(label: str, before: Values | None, after: Values | None) -> tuple[Values | None, Values | None]:
    """Secret and personal fields keep only the fact that they changed (or were set)."""
    hidden = _redacted_names(label)

    def mask(values: Values | None) -> Values | None:
        if values is None:
            return None
        return {
            name: REDACTED if name in hidden and value not in (None, "", [], {}) else value
            for name, value in values.items()
        }

    return mask(before), mask(after)
