"""The slow-query log: normalisation, requests and tasks, no values stored, no recursion."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client, override_settings

from ops.telemetry.models import SlowQuery
from ops.telemetry.slowqueries import SlowQueryCollector, sql_fingerprint, sql_normalise


@pytest.mark.parametrize(
    ("sql", "normalised"),
    [
        ("SELECT pg_sleep(0.6)", "SELECT pg_sleep(...)"),
        (
            "select * from \"t\" where email = 'a@b.in' and id in (1, 2, 3) and n > -5",
            'SELECT * FROM "t" WHERE email = ? AND id IN (...) AND n > ?',
        ),
        ('SELECT "a" FROM "t" WHERE "id" IN (%s, %s, %s) LIMIT 21', 'SELECT "a" FROM "t" WHERE "id" IN (...) LIMIT ?'),
        ('INSERT INTO "t" ("a", "b") VALUES (%s, %s), (%s, %s)', 'INSERT INTO "t" ("a", "b") VALUES (...)'),
        ("SELECT $$secret body$$, %(name)s  -- a comment 42\n FROM t /* 7 */", "SELECT ?, ? FROM t"),
        ("UPDATE t SET x = E'it\\'s' WHERE ts = '2026-01-01'::date", "UPDATE t SET x = E? WHERE ts = ?::date"),
    ],
)
def test_normalise(sql: str, normalised: str) -> None:
    assert sql_normalise(sql) == normalised


def test_in_lists_of_any_length_share_a_fingerprint() -> None:
    one = sql_normalise("SELECT * FROM t WHERE id IN (%s)")
    many = sql_normalise("SELECT * FROM t WHERE id IN (%s, %s, %s, %s)")
    assert sql_fingerprint(one) == sql_fingerprint(many)


def test_a_slow_query_in_a_view_is_logged_without_values(db: None, platform_client: Client) -> None:
    with override_settings(SLOW_QUERY_MS=100):
        assert platform_client.get("/_test/slow/?seconds=0.15").status_code == 200
        assert platform_client.get("/_test/slow/?seconds=0.12").status_code == 200
        assert platform_client.get("/_test/ok/").status_code == 200
    [query] = SlowQuery.objects.all()
    assert query.sql == "SELECT pg_sleep(...), ?, ?"
    assert query.count == 2
    assert query.max_ms >= 150
    assert query.mean_ms >= 120
    assert query.last_source == "/_test/slow/"
    for value in ("secret", "literal", "alpha.in", "0.15", "0.12"):
        assert value not in query.sql
    assert query.fingerprint == sql_fingerprint(query.sql)


def test_the_default_threshold_logs_pg_sleep_of_six_tenths(db: None, platform_client: Client) -> None:
    assert platform_client.get("/_test/slow/?seconds=0.6").status_code == 200
    assert platform_client.get("/_test/slow/?seconds=0.01").status_code == 200
    [query] = SlowQuery.objects.all()
    assert query.count == 1
    assert query.max_ms >= 500


def test_the_log_write_does_not_go_through_the_wrapper(db: None, platform_client: Client) -> None:
    """With a threshold of 0 every statement of the request is logged, but not the log's own INSERT."""
    with override_settings(SLOW_QUERY_MS=0):
        assert platform_client.get("/_test/slow/?seconds=0").status_code == 200
    statements = list(SlowQuery.objects.values_list("sql", flat=True))
    assert "SELECT pg_sleep(...), ?, ?" in statements
    assert not any("ops_telemetry_slowquery" in sql for sql in statements)


def test_a_slow_query_in_a_task_names_the_task(db: None) -> None:
    from ops.telemetry.tests.tasks_for_tests import slow

    with override_settings(SLOW_QUERY_MS=50):
        slow.apply(args=[0.08])
        slow.apply(args=[0.01])
    [query] = SlowQuery.objects.all()
    assert query.last_source == "task:ops.telemetry_test_slow"
    assert query.sql == "SELECT pg_sleep(...), ?"
    assert query.count == 1
    # The wrapper is removed when the task ends.
    assert connection.execute_wrappers == []


def test_collector_keeps_only_slow_statements(db: None) -> None:
    collector = SlowQueryCollector(threshold_ms=30)
    with connection.execute_wrapper(collector), connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.execute("SELECT pg_sleep(0.05)")
    assert [sql for sql, _ in collector.pending] == ["SELECT pg_sleep(0.05)"]
    collector.flush(source="manual")
    assert SlowQuery.objects.get().sql == "SELECT pg_sleep(...)"
