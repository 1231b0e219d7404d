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
