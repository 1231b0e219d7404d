"""Idempotent bulk writes in one statement each, in PostgreSQL.

``upsert`` inserts new rows and updates existing ones (matched on a unique key) only when a value
actually differs: sending the same records twice changes nothing, not even ``updated_at``.
``insert_new`` inserts rows whose key is not there yet and leaves the rest alone (events).
Both run through psycopg2's ``execute_values`` (one round trip per page of rows); identifiers are
composed with ``psycopg2.sql`` and every value is a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from django.db import connection, models
from django.utils import timezone
from psycopg2 import sql
from psycopg2.extras import Json, execute_values


@dataclass
class Written:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    ids: dict[Any, int] = field(default_factory=dict)  # key value -> row id


def _adapt(value: Any) -> Any:
    return Json(value) if isinstance(value, dict | list) else value


def _column(model: type[models.Model], name: str) -> str:
    return str(model._meta.get_field(name).column)  # type: ignore[union-attr]


def _defaults(model: type[models.Model], given: list[str], touch: str | None) -> dict[str, Any]:
    """The model's defaults for the columns the caller did not give (raw SQL skips Django's):
    written on insert only, so sending a record again never resets them."""
    out = {}
    for f in model._meta.concrete_fields:
        if f.primary_key or f.name in given or f.attname in given or f.name == touch:
            continue
        auto = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        out[f.name] = timezone.now() if auto else f.get_default()
    return out


def _rows(
    model: type[models.Model], rows: list[dict[str, Any]], key: str, touch: str | None = None
) -> tuple[list[str], list[str], list[tuple[Any, ...]], list[Any]]:
    """(given field names, defaulted field names, value tuples, keys)."""
    by_key = {row[key]: row for row in rows}  # the last of duplicates within a batch wins
    names = list(next(iter(by_key.values())))
    defaults = _defaults(model, names, touch)
    values = [tuple(_adapt(v) for v in (*(row[n] for n in names), *defaults.values())) for row in by_key.values()]
    return names, list(defaults), values, list(by_key)


def upsert(
    model: type[models.Model], rows: list[dict[str, Any]], *, key: str, touch: str | None = "updated_at"
) -> Written:
    """Insert or update ``rows`` (dicts of field name -> value, all with the same fields) on the
    unique field ``key``; ``touch`` is set to now() on insert and on a real change."""
    result = Written()
    if not rows:
        return result
    names, defaulted, values, keys = _rows(model, rows, key, touch)
    cols = [_column(model, n) for n in names]
    key_col = _column(model, key)
    changing = [c for c in cols if c != key_col]
    cols += [_column(model, n) for n in defaulted]
    touched = [_column(model, touch)] if touch else []
    assignments = [sql.SQL("{c} = EXCLUDED.{c}").format(c=sql.Identifier(c)) for c in changing]
    assignments += [sql.SQL("{c} = now()").format(c=sql.Identifier(c)) for c in touched]
    differs = [sql.SQL("t.{c} IS DISTINCT FROM EXCLUDED.{c}").format(c=sql.Identifier(c)) for c in changing]
    statement = sql.SQL(
        "INSERT INTO {table} AS t ({cols}) VALUES %s ON CONFLICT ({key}) DO UPDATE SET {sets} "
        "WHERE {differs} RETURNING t.id, t.{key}, (xmax = 0) AS inserted"
    ).format(
        table=sql.Identifier(model._meta.db_table),
        cols=sql.SQL(", ").join(sql.Identifier(c) for c in cols + touched),
        key=sql.Identifier(key_col),
        sets=sql.SQL(", ").join(assignments),
        differs=sql.SQL(" OR ").join(differs) if differs else sql.SQL("false"),
    )
    template = "(" + ", ".join(["%s"] * len(cols) + ["now()"] * len(touched)) + ")"
    with connection.cursor() as cursor:
        returned = execute_values(cursor.cursor, statement, values, template=template, page_size=1000, fetch=True)
    for pk, key_value, inserted in returned:
        result.ids[key_value] = pk
        if inserted:
            result.created += 1
        else:
            result.updated += 1
    missing = [k for k in keys if k not in result.ids]
    if missing:
        result.unchanged = len(missing)
        found = model._default_manager.filter(**{f"{key}__in": missing}).values_list(key, "pk")
        result.ids.update(dict(found))
    return result


def insert_new(model: type[models.Model], rows: list[dict[str, Any]], *, key: str) -> Written:
    """Insert the rows whose ``key`` is new; existing ones are left as they are (``unchanged``)."""
    result = Written()
    if not rows:
        return result
    names, defaulted, values, keys = _rows(model, rows, key)
    key_col = _column(model, key)
    statement = sql.SQL(
        "INSERT INTO {table} ({cols}) VALUES %s ON CONFLICT ({key}) DO NOTHING RETURNING id, {key}"
    ).format(
        table=sql.Identifier(model._meta.db_table),
        cols=sql.SQL(", ").join(sql.Identifier(_column(model, n)) for n in names + defaulted),
        key=sql.Identifier(key_col),
    )
    with connection.cursor() as cursor:
        returned = execute_values(cursor.cursor, statement, values, page_size=1000, fetch=True)
    result.ids = {key_value: pk for pk, key_value in returned}
    result.created = len(result.ids)
    result.unchanged = len(keys) - result.created
    return result


def seen_widen(model: type[models.Model], rows: list[tuple[str, datetime, datetime]]) -> None:
    """Widen customers' [first_seen_at, last_seen_at] to cover (external id, first, last) in one
    statement; a range already covered is left untouched."""
    if not rows:
        return
    statement = sql.SQL(
        "UPDATE {table} AS c SET first_seen_at = LEAST(COALESCE(c.first_seen_at, v.first), v.first), "
        "last_seen_at = GREATEST(COALESCE(c.last_seen_at, v.last), v.last) "
        "FROM (VALUES %s) AS v(external_id, first, last) WHERE c.external_id = v.external_id AND "
        "(c.first_seen_at IS NULL OR c.last_seen_at IS NULL OR v.first < c.first_seen_at OR v.last > c.last_seen_at)"
    ).format(table=sql.Identifier(model._meta.db_table))
    with connection.cursor() as cursor:  # Django's cursor sets the tenant's search_path; psycopg2's runs
        execute_values(
            cursor.cursor, statement, rows, template="(%s, %s::timestamptz, %s::timestamptz)", page_size=1000
        )


def visit_key(session_id: str, visitor_id: str, occurred_at: datetime) -> str:
    """A visit's key: its session id, else the visitor's day (UTC)."""
    return session_id or f"{visitor_id}@{occurred_at.astimezone(UTC):%Y-%m-%d}"


def visits_record(events: list[dict[str, Any]]) -> None:
    """Start or move back the visits of these event rows (earliest event wins), in one statement;
    a visit already known from an earlier or equal time is left untouched (idempotent)."""
    from intelligence.models import Visit

    first: dict[str, tuple[str, datetime, str, str]] = {}
    for e in events:
        key = visit_key(e["session_id"], e["visitor_id"], e["occurred_at"])
        if key not in first or e["occurred_at"] < first[key][1]:
            first[key] = (e["visitor_id"], e["occurred_at"], e["channel"], visit_source(e["utm_source"], e["referrer"]))
    if not first:
        return
    statement = sql.SQL(
        "INSERT INTO {table} AS v (session_key, visitor_id, started_at, channel, source) VALUES %s "
        "ON CONFLICT (session_key) DO UPDATE SET started_at = EXCLUDED.started_at, channel = EXCLUDED.channel, "
        "source = EXCLUDED.source WHERE EXCLUDED.started_at < v.started_at"
    ).format(table=sql.Identifier(Visit._meta.db_table))
    rows = [(key, *values) for key, values in sorted(first.items())]
    with connection.cursor() as cursor:
        execute_values(cursor.cursor, statement, rows, template="(%s, %s, %s::timestamptz, %s, %s)", page_size=1000)


def visit_source(utm_source: str, referrer: str) -> str:
    """Where a visit came from: its UTM source, else its referrer's host (without www.), else (direct)."""
    if utm_source:
        return utm_source[:200]
    try:
        host = urlsplit(referrer).hostname or "" if referrer else ""
    except ValueError:
        host = ""
    return host.removeprefix("www.")[:200] or "(direct)"
