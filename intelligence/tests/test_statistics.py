"""Planner statistics after large writes: a CSV import and batch ingestion ANALYZE the tables they
changed once the change reaches the threshold (intelligence/ingest/statistics.py), and not before;
this PostgreSQL runs with autovacuum off, so nothing else would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django_tenants.utils import schema_context

from intelligence.ingest import statistics
from suresh_ai.testing import TenantFixture


def _analysed(schema: str, table: str) -> tuple[float, int]:
    """The planner's row count for the table (-1: never analysed) and its columns with statistics."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.reltuples, (SELECT count(*) FROM pg_stats s WHERE s.schemaname = n.nspname "
            "AND s.tablename = c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname = %s",
            [schema, table],
        )
        rows, columns = cursor.fetchone()
    return float(rows), int(columns)


def _events(batch: int) -> list[dict[str, Any]]:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    return [
        {
            "event_id": f"e{batch}-{i}",
            "name": "page_view",
            "anonymous_id": f"a{i % 97}",
            "session_id": f"s{batch}-{i % 50}",
            "occurred_at": (start + timedelta(minutes=batch * 1000 + i)).isoformat(),
        }
        for i in range(1000)
    ]


def test_the_rule_is_autovacuums_with_a_floor() -> None:
    assert statistics.ANALYZE_MIN_CHANGES == 10_000
    assert not statistics.due(changed=9_999, rows=-1)  # never analysed: counts as empty
    assert statistics.due(changed=10_000, rows=-1)
    assert statistics.due(changed=10_000, rows=100_000)
    assert not statistics.due(changed=99_999, rows=1_000_000)
    assert statistics.due(changed=100_000, rows=1_000_000)


def test_batch_ingestion_analyses_events_once_the_change_is_large(alpha: TenantFixture) -> None:
    client = alpha.key_client()
    schema = alpha.tenant.schema_name
    for batch in range(9):
        response = client.post("/api/v1/data/events/", {"records": _events(batch)}, content_type="application/json")
        assert response.json()["created"] == 1000
    with schema_context(schema):
        assert _analysed(schema, "intelligence_event") == (-1, 0)  # 9,000 rows: below the floor
    response = client.post("/api/v1/data/events/", {"records": _events(9)}, content_type="application/json")
    assert response.json()["created"] == 1000
    with schema_context(schema):
        rows, columns = _analysed(schema, "intelligence_event")
        assert rows == 10_000
        assert columns > 10  # occurred_at, customer_id, visitor_id, session_id, channel, ...
        assert _analysed(schema, "intelligence_visit")[0] == -1  # 500 visits: not due


def test_a_large_csv_import_leaves_the_table_analysed(
    alpha: TenantFixture, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    lines = ["external_id,email"] + [f"c-{i},c{i}@shop.example" for i in range(12_000)]
    upload = SimpleUploadedFile("customers.csv", "\n".join(lines).encode(), "text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = alpha.key_client().post("/api/v1/data/imports/", {"kind": "customers", "file": upload})
    assert response.status_code == 202, response.content
    job = alpha.key_client().get(f"/api/v1/data/imports/{response.json()['id']}/").json()
    assert (job["status"], job["created"]) == ("done", 12_000)
    schema = alpha.tenant.schema_name
    with schema_context(schema):
        rows, columns = _analysed(schema, "intelligence_customer")
    # Analysed after the 10th chunk of 1,000 (and, inside this test's one transaction, after each
    # later one too): the planner knows the rows of the last ANALYZE, not -1 (unknown).
    assert rows >= 10_000
    assert columns > 5
