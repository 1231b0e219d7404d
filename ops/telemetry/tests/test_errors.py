"""The internal error log: grouping, counts, first/last seen, categories, masking, tasks, concurrency."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import requests
import time_machine
from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import ValidationError
from django.db import DatabaseError, OperationalError, connections
from django.http import Http404
from django.test import Client
from django.utils import timezone

from ops.telemetry.errors import error_category, error_facts, error_record, message_sanitise
from ops.telemetry.models import ErrorGroup, ErrorOccurrence
from ops.telemetry.tests import urls as test_urls
from suresh_ai.errors import NotFound, ServiceUnavailable, ValidationFailed


def _boom_line() -> int:
    import inspect

    source, start = inspect.getsourcelines(test_urls.boom)
    return start + next(i for i, line in enumerate(source) if "raise RuntimeError" in line)


def test_a_failing_view_makes_one_group_that_counts_repeats(db: None, platform_client: Client) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first = platform_client.get("/_test/boom/", HTTP_X_REQUEST_ID="req-one")
    with time_machine.travel(start + timedelta(minutes=3), tick=False):
        second = platform_client.get("/_test/boom/", HTTP_X_REQUEST_ID="req-two")
    assert (first.status_code, second.status_code) == (500, 500)

    [group] = ErrorGroup.objects.all()
    assert group.count == 2
    assert group.exception_type == "builtins.RuntimeError"
    assert group.location == f"ops.telemetry.tests.urls:boom:{_boom_line()}"
    assert group.category == "server"
    assert group.first_seen == start
    assert group.last_seen == start + timedelta(minutes=3)
    assert group.last_request_id == "req-two"
    assert group.last_endpoint == "/_test/boom/"
    assert group.last_tenant_schema == "public"
    # Masked: no e-mail address, no digits.
    assert group.message == "exploded for customer <email>, order #"
    assert sum(ErrorOccurrence.objects.filter(group=group).values_list("count", flat=True)) == 2


def test_handled_application_errors_and_404s_are_not_errors(db: None, platform_client: Client) -> None:
    assert platform_client.get("/_test/status/404/").status_code == 404
    assert platform_client.get("/no/such/page/").status_code == 404
    assert ErrorGroup.objects.count() == 0


def test_tenant_request_errors_carry_the_schema(alpha, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from suresh_ai.testing import login_client

    def broken(**_kwargs: object) -> None:
        raise KeyError("selector exploded")

    monkeypatch.setattr("tenants.selectors.memberships_of", broken)
    client = login_client(alpha, alpha.owner)
    client.raise_request_exception = False
    assert client.get("/api/v1/members/").status_code == 500
    [group] = ErrorGroup.objects.all()
    assert group.last_tenant_schema == alpha.tenant.schema_name
    assert group.last_endpoint == "/api/v1/members/"
    assert group.exception_type == "builtins.KeyError"
    # The innermost frame in our code (the test's replacement), not Django's or DRF's.
    assert group.location.startswith("ops.telemetry.tests.test_errors:broken:")


def _raised(exc: BaseException, cause: BaseException | None = None) -> BaseException:
    try:
        raise exc from cause
    except BaseException as caught:  # noqa: BLE001 - the point is to capture any exception with its traceback
        return caught


class _Canceled(Exception):
    """Stands in for psycopg.errors.QueryCanceled (same name): the statement timeout."""


_Canceled.__name__ = "QueryCanceled"


@pytest.mark.parametrize(
    ("exc", "category"),
    [
        (TimeoutError("read timed out"), "timeout"),
        (requests.Timeout("slow provider"), "timeout"),
        (SoftTimeLimitExceeded(), "timeout"),
        (_raised(OperationalError("canceling statement"), _Canceled("statement timeout")), "timeout"),
        (DatabaseError("relation missing"), "database"),
        (OperationalError("server closed the connection"), "database"),
        (requests.ConnectionError("refused"), "provider"),
        (ServiceUnavailable("Groq is not answering"), "provider"),
        (ValidationFailed("bad date"), "client"),
        (NotFound("no such order"), "client"),
        (Http404(), "client"),
        (ValidationError("bad"), "client"),
        (KeyError("x"), "server"),
        (ZeroDivisionError(), "server"),
    ],
)
def test_category_mapping(exc: BaseException, category: str) -> None:
    assert error_category(exc) == category


def test_provider_sdk_errors_are_provider() -> None:
    import redis

    from ops.telemetry.errors import _PROVIDER_MODULES

    assert error_category(redis.ConnectionError("down")) == "database"
    assert error_category(redis.TimeoutError("slow")) == "timeout"
    for name in ("groq", "openai", "razorpay"):
        assert name in _PROVIDER_MODULES
    import groq
    import httpx

    request = httpx.Request("POST", "https://api.groq.com/openai/v1/chat/completions")
    assert error_category(groq.APIConnectionError(request=request)) == "provider"
    assert error_category(groq.APITimeoutError(request=request)) == "timeout"


def test_message_masking() -> None:
    assert message_sanitise("user a.b+c@x.co.in paid 4999 for 'Blue Shirt'") == "user <email> paid # for '…'"
    assert len(message_sanitise("x" * 1000)) == 300


def test_fingerprint_is_type_and_location() -> None:
    a = error_facts(_raised(RuntimeError("one")))
    b = error_facts(_raised(RuntimeError("two")))
    c = error_facts(_raised(ValueError("one")))
    assert a.fingerprint == b.fingerprint  # the message does not split groups
    assert a.fingerprint != c.fingerprint
    assert a.location.startswith("ops.telemetry.tests.test_errors:_raised:")


def test_failing_task_is_recorded_with_task_and_schema(alpha) -> None:  # type: ignore[no-untyped-def]
    from django_tenants.utils import tenant_context

    from ops.telemetry.tests.tasks_for_tests import fail

    with tenant_context(alpha.tenant):
        result = fail.apply()  # runs in this process, through Celery's tracer and its signals
    assert result.state == "FAILURE"
    [group] = ErrorGroup.objects.all()
    assert group.last_endpoint == "task:ops.telemetry_test_fail"
    assert group.last_request_id == result.id
    assert group.last_tenant_schema == alpha.tenant.schema_name
    assert group.category == "server"
    assert group.message == "task broke for <email>"
    fail.apply()
    assert ErrorGroup.objects.get().count == 2


def test_concurrent_upserts_never_lose_a_count(django_db_blocker) -> None:  # type: ignore[no-untyped-def]
    """Four threads, each with its own connection, in autocommit (committed rows, removed after)."""
    exc = _raised(RuntimeError("same"))
    barrier = threading.Barrier(4)
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            for _ in range(5):
                error_record(exc=exc, request_id="r", endpoint="/x/", tenant_schema="public")
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)
        finally:
            connections.close_all()

    fingerprint = error_facts(exc).fingerprint
    with django_db_blocker.unblock():
        try:
            threads = [threading.Thread(target=worker) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert failures == []
            group = ErrorGroup.objects.get(fingerprint=fingerprint)
            assert group.count == 20
            assert sum(ErrorOccurrence.objects.filter(group=group).values_list("count", flat=True)) == 20
        finally:
            ErrorGroup.objects.filter(fingerprint=fingerprint).delete()


def test_a_failing_error_log_never_hides_the_error(
    db: None, platform_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**_kwargs: object) -> None:
        raise DatabaseError("error log unavailable")

    monkeypatch.setattr("ops.telemetry.signals.error_record", broken)
    response = platform_client.get("/_test/boom/")
    assert response.status_code == 500
    assert b"Something went wrong" in response.content  # handler500's page, not a crash in the receiver
    assert ErrorGroup.objects.count() == 0
