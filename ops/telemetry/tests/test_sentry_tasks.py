"""Sentry on Celery tasks: tenant schema, task name and user id tags (from a header set when a
signed-in request enqueued the task), never an email; release and environment as configured."""

from __future__ import annotations

import json

import sentry_sdk
from django_tenants.utils import tenant_context

from ops.telemetry.signals import USER_HEADER, before_task_publish
from ops.tests.test_sentry import _Collector, sentry_server  # noqa: F401 - the local Sentry endpoint fixture
from suresh_ai.settings.sentry import init_sentry
from suresh_ai.testing import TenantFixture


def _events() -> list[dict]:  # type: ignore[type-arg]
    events = []
    for envelope in _Collector.received:
        for line in envelope.split(b"\n"):
            if line.startswith(b"{") and b'"exception"' in line:
                events.append(json.loads(line))
    return events


def test_task_errors_carry_tenant_task_and_user_id(alpha: TenantFixture, sentry_server: str) -> None:  # noqa: F811
    from ops.telemetry.tests.tasks_for_tests import fail

    assert init_sentry(dsn=sentry_server, environment="staging", release="r42") is True
    with tenant_context(alpha.tenant):
        fail.apply(headers={USER_HEADER: str(alpha.owner.pk)})
    sentry_sdk.flush(timeout=5)
    [event] = _events()
    assert event["tags"]["tenant"] == alpha.tenant.schema_name
    assert event["tags"]["task"] == "ops.telemetry_test_fail"
    assert event["tags"]["user_id"] == str(alpha.owner.pk)
    assert event["user"] == {"id": str(alpha.owner.pk)}
    assert (event["environment"], event["release"]) == ("staging", "r42")
    assert "owner@alpha.in" not in json.dumps(event["tags"]) + json.dumps(event["user"])


def test_publishing_from_a_signed_in_request_adds_the_user_id_header(alpha: TenantFixture) -> None:
    from django.test import RequestFactory

    from ops.telemetry.context import current_request

    request = RequestFactory().get("/")
    request._cached_user = alpha.owner  # type: ignore[attr-defined]  # what django.contrib.auth caches
    headers: dict[str, str] = {}
    token = current_request.set(request)
    try:
        before_task_publish(headers=headers)
    finally:
        current_request.reset(token)
    assert headers == {USER_HEADER: str(alpha.owner.pk)}
    outside: dict[str, str] = {}
    before_task_publish(headers=outside)  # no request (beat, another task): nothing added
    assert outside == {}


def test_anonymous_requests_add_no_header(db: None) -> None:
    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory

    from ops.telemetry.context import current_request

    request = RequestFactory().get("/")
    request._cached_user = AnonymousUser()  # type: ignore[attr-defined]
    headers: dict[str, str] = {}
    token = current_request.set(request)
    try:
        before_task_publish(headers=headers)
    finally:
        current_request.reset(token)
    assert headers == {}
