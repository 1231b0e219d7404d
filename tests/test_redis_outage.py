"""Redis outage drill against a real gunicorn server and a real Redis process that the test stops
and restarts: signed-in pages, the session API and sign-in keep working (sessions are read from
PostgreSQL when the cache is gone), a CSV import is refused with a clear 503 and leaves no job
behind, and everything is back once Redis is."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django_tenants.utils import tenant_context

from ai_engine.chat.models import KnowledgeSource
from ai_engine.chat.tests.test_pdf_limits import text_pdf
from intelligence.models import ImportJob
from suresh_ai.testing import PASSWORD
from tenants.models import Tenant
from tests.journey import Site, _csrf
from tests.live import gunicorn_server
from tests.redis_process import RedisProcess, redis_process

pytestmark = pytest.mark.slow

CSV = b"external_id,email,name\nc-outage-1,outage@example.in,Outage Test\n"


@pytest.fixture
def drill(django_db_setup: None) -> Iterator[tuple[RedisProcess, str]]:
    with redis_process() as server:
        env = {"REDIS_URL": server.url, "TEST_REDIS_URL": server.url, "CACHE_KEY_PREFIX": "sai-outage"}
        with gunicorn_server(workers=1, threads=4, extra_env=env) as base:
            yield server, base


def _signed_in(base: str) -> Site:
    site = Site(base, "alpha.localhost")
    signed_in = site.post_form("/login/", {"username": "owner@alpha.in", "password": PASSWORD})
    assert (signed_in.status_code, signed_in.headers["Location"]) == (302, "/"), signed_in.text[:500]
    return site


def _import(site: Site) -> Any:
    token = site.session.cookies.get("csrftoken")
    return site.session.post(
        site.base + "/api/v1/data/imports/",
        data={"kind": "customers"},
        files={"file": ("customers.csv", CSV, "text/csv")},
        headers={"X-CSRFToken": token, "Referer": f"http://{site.host}/"},
        timeout=30,
    )


def _jobs(django_db_blocker: Any) -> int:
    with django_db_blocker.unblock(), tenant_context(Tenant.objects.get(slug="alpha")):
        return ImportJob.objects.filter(filename="customers.csv", data=CSV).count()


def test_pages_sessions_and_sign_in_survive_a_redis_outage_and_imports_answer_503(
    drill: tuple[RedisProcess, str], django_db_blocker: Any
) -> None:
    server, base = drill
    before = _jobs(django_db_blocker)
    site = _signed_in(base)
    assert site.get("/team/").status_code == 200  # positive control with Redis up

    server.stop()
    assert site.get("/team/").status_code == 200
    me = site.get("/api/v1/me/")
    assert (me.status_code, me.json()["user"]["email"]) == (200, "owner@alpha.in")
    again = _signed_in(base)  # a new sign-in while Redis is down
    assert again.get("/team/").status_code == 200
    refused = _import(site)
    assert refused.status_code == 503, refused.text[:500]
    assert refused.json()["code"] == "service_unavailable"
    assert "nothing was imported" in refused.json()["message"]
    page = site.get("/analytics/data/")
    form = site.session.post(
        site.base + "/analytics/data/",
        data={"kind": "customers", "csrfmiddlewaretoken": _csrf(page.text)},
        files={"file": ("customers.csv", CSV, "text/csv")},
        allow_redirects=False,
        timeout=30,
    )
    assert form.status_code == 200
    assert "nothing was imported" in form.text
    assert _jobs(django_db_blocker) == before  # no job left behind in "queued"
    pdf = site.session.post(
        site.base + "/api/v1/ai/chat/knowledge/documents/",
        files={"file": ("guide.pdf", text_pdf(["Returns within 7 days."]), "application/pdf")},
        headers={"X-CSRFToken": site.session.cookies.get("csrftoken"), "Referer": f"http://{site.host}/"},
        timeout=30,
    )
    assert (pdf.status_code, pdf.json()["code"]) == (503, "service_unavailable"), pdf.text[:500]
    with django_db_blocker.unblock(), tenant_context(Tenant.objects.get(slug="alpha")):
        assert not KnowledgeSource.objects.filter(filename="guide.pdf").exists()  # none left "processing"

    server.start()
    assert site.get("/team/").status_code == 200
    accepted = _import(site)
    assert accepted.status_code == 202, accepted.text[:500]
    with django_db_blocker.unblock(), tenant_context(Tenant.objects.get(slug="alpha")):
        ImportJob.objects.filter(pk=accepted.json()["id"]).delete()
