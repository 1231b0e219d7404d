"""A test-only URLconf: the platform's public URLs plus views that fail, answer a chosen status or
run a slow query, so tests (and the lead's alerting acceptance test) can inject 500s through the
real middleware stack. Never part of a production URLconf: tests switch to it with
``override_settings(PUBLIC_SCHEMA_URLCONF="ops.telemetry.tests.urls")`` (see ``injected_urls``)."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from suresh_ai.urls_common import handler400, handler403, handler404, handler500  # noqa: F401 - as in urls_public


def ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("exploded for customer owner@alpha.in, order 12345")


def answer(request: HttpRequest, code: int) -> HttpResponse:
    return HttpResponse(status=code)


def slow(request: HttpRequest) -> HttpResponse:
    seconds = float(request.GET.get("seconds", "0.6"))
    with connection.cursor() as cursor:
        # The e-mail is a parameter value: it must never reach the slow-query log.
        cursor.execute("SELECT pg_sleep(%s), %s, 'literal@example.in'", [seconds, "secret@alpha.in"])
    return HttpResponse("slept")


urlpatterns = [
    path("_test/ok/", ok),
    path("_test/boom/", boom),
    path("_test/status/<int:code>/", answer),
    path("_test/slow/", slow),
    path("", include("suresh_ai.urls_public")),
]
