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
