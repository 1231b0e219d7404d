"""Query-count guards on the hot API reads."""

from __future__ import annotations

import pytest

from suresh_ai.testing import TenantFixture, make_member
from tenants.models import Role


@pytest.mark.parametrize(("path", "max_queries"), [("/api/v1/me/", 1), ("/api/v1/members/", 2)])
# Bounds count django-tenants' "SET search_path" when the connection changes schema; the reads
# themselves are 0 (/me/, everything cached) and 1 (/members/, one SELECT with its join).
def test_api_reads_use_few_queries(
    alpha: TenantFixture, django_assert_max_num_queries, path: str, max_queries: int
) -> None:  # type: ignore[no-untyped-def]
    for _ in range(30):
        make_member(alpha.tenant, Role.VIEWER)
    client = alpha.key_client()
    client.get(path)  # warm the per-process tenancy cache
    with django_assert_max_num_queries(max_queries):
        assert client.get(path).status_code == 200


def test_member_list_rows_match_the_serializer_on_every_page(alpha: TenantFixture) -> None:
    """The member list writes plain rows without DRF fields (a hot path): the JSON must be what
    MembershipSerializer writes for the same members, page after page, both directions."""
    from django.utils import timezone

    from tenants.api.v1.serializers import MembershipSerializer
    from tenants.models import Membership
    from tenants.selectors import memberships_of

    named = make_member(alpha.tenant, Role.ADMIN, email="Ünïcode.Name@alpha.in")
    named.full_name = "Ünïcode Näme"
    named.date_joined = timezone.now().replace(microsecond=0)  # isoformat without microseconds
    named.save()
    for _ in range(4):
        make_member(alpha.tenant, Role.VIEWER)
    client = alpha.key_client()
    pages = [client.get("/api/v1/members/?page_size=2").json()]
    while pages[-1]["next"]:
        pages.append(client.get(pages[-1]["next"]).json())
    listed = [row for page in pages for row in page["results"]]
    expected = MembershipSerializer(memberships_of(tenant=alpha.tenant).order_by("-created_at", "-id"), many=True).data
    assert listed == expected
    assert [list(row) for row in listed] == [list(row) for row in expected]  # the same key order
    assert len(listed) == Membership.objects.filter(tenant=alpha.tenant).count() > 5
    back = client.get(pages[-1]["previous"]).json()["results"]
    assert back == pages[-2]["results"]


def test_api_paths_skip_the_web_pages_patterns(monkeypatch: pytest.MonkeyPatch) -> None:
    """URL resolution was a tenth of a light API read: every API request tried each of the ~55 web
    pages' patterns first. Now one comparison rules them out, and pages resolve as before."""
    from django.urls import get_resolver
    from django.urls.resolvers import RoutePattern

    tried: list[str] = []
    real_match = RoutePattern.match

    def counting_match(self: RoutePattern, path: str) -> object:
        tried.append(str(self))
        return real_match(self, path)

    monkeypatch.setattr(RoutePattern, "match", counting_match)
    resolver = get_resolver("suresh_ai.urls_tenant")
    assert resolver.resolve("/api/v1/me/").url_name == "api-me"
    assert len(tried) <= 10, tried
    assert resolver.resolve("/login/").url_name == "login"
    assert resolver.resolve("/").url_name == "home"


def _statements(client: object, path: str) -> tuple[int, list[str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)  # type: ignore[attr-defined]
    return response.status_code, [query["sql"] for query in captured.captured_queries]


def test_search_path_is_set_only_when_the_tenant_changes(alpha: TenantFixture, beta: TenantFixture) -> None:
    """suresh_ai.dbbackend skips django-tenants' SET search_path when the connection already has the
    request's path, and never when another tenant's request comes: isolation first."""
    from django.db import connection, transaction

    make_member(alpha.tenant, Role.VIEWER, email="only-in-alpha@alpha.in")
    make_member(beta.tenant, Role.VIEWER, email="only-in-beta@beta.in")
    alpha_client, beta_client = alpha.key_client(), beta.key_client()
    alpha_client.get("/api/v1/members/")  # warm the caches; the connection now has alpha's path

    status, sql = _statements(alpha_client, "/api/v1/members/")
    assert status == 200
    assert not any(s.startswith("SET search_path") for s in sql)  # same tenant: no SET
    assert len(sql) == 1

    for client, own, other, schema in (
        (beta_client, "only-in-beta@beta.in", "only-in-alpha@alpha.in", beta.tenant.schema_name),
        (alpha_client, "only-in-alpha@alpha.in", "only-in-beta@beta.in", alpha.tenant.schema_name),
        (beta_client, "only-in-beta@beta.in", "only-in-alpha@alpha.in", beta.tenant.schema_name),
    ):
        status, sql = _statements(client, "/api/v1/members/")
        assert f'SET search_path = "{schema}","public"' in sql  # another tenant: switched first
        emails = [m["user"]["email"] for m in client.get("/api/v1/members/").json()["results"]]
        assert own in emails
        assert other not in emails

        assert _search_path_on_the_connection() == f"{schema},public"

    # Around a rollback (here to a savepoint, after switching schema inside it) what the backend
    # believes is on the connection is either nothing or what PostgreSQL really has, and requests
    # still see only their own tenant.
    try:
        with transaction.atomic():
            connection.set_tenant(alpha.tenant)
            connection.cursor().execute("SELECT 1")
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    believed = connection._search_path_on_connection  # type: ignore[attr-defined]
    assert believed is None or ",".join(believed) == _search_path_on_the_connection()
    for client, fixture, own, other in (
        (beta_client, beta, "only-in-beta@beta.in", "only-in-alpha@alpha.in"),
        (alpha_client, alpha, "only-in-alpha@alpha.in", "only-in-beta@beta.in"),
    ):
        emails = [m["user"]["email"] for m in client.get("/api/v1/members/").json()["results"]]
        assert own in emails
        assert other not in emails
        assert _search_path_on_the_connection() == f"{fixture.tenant.schema_name},public"


def _search_path_on_the_connection() -> str:
    """What PostgreSQL really has, through psycopg's own cursor (Django's would SET it first)."""
    from django.db import connection

    with connection.connection.cursor() as raw:
        raw.execute("SHOW search_path")
        return str(raw.fetchone()[0]).replace('"', "").replace(" ", "")
