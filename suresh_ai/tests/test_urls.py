"""Route names are unique in every URLconf, so `{% url %}` and `redirect()` open the page they name."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from suresh_ai.testing import TenantFixture, login_client

URLCONFS = [settings.ROOT_URLCONF, settings.PUBLIC_SCHEMA_URLCONF, "suresh_ai.urls_api"]


def _names(patterns: Sequence[URLPattern | URLResolver], namespace: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _names(pattern.url_patterns, inner)
        elif pattern.name:
            yield namespace + pattern.name


@pytest.mark.parametrize("urlconf", URLCONFS)
def test_no_route_name_is_defined_twice(urlconf: str) -> None:
    counts = Counter(_names(get_resolver(urlconf).url_patterns))
    assert counts, "the walk found no named routes"
    assert sorted(name for name, count in counts.items() if count > 1) == []


def test_nav_api_keys_link_opens_the_page_not_the_api(alpha: TenantFixture) -> None:
    client: Client = login_client(alpha, alpha.owner)
    home = client.get("/")
    assert b'href="/api-keys/"' in home.content
    page = client.get("/api-keys/")
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
