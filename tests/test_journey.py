"""The newcomer journey over real HTTP against gunicorn: sign up, 2FA, invite, API key, /api/v1/."""

from __future__ import annotations

from typing import Any

from django.db import connection

from tenants.models import Tenant, User
from tenants.services import tenant_purge
from tests.journey import run_journey
from tests.live import gunicorn_server


def test_newcomer_journey_on_a_real_server(django_db_setup: None, django_db_blocker: Any) -> None:
    result = None
    try:
        with gunicorn_server(workers=1, threads=4) as base:
            result = run_journey(base, platform_host="localhost")
        assert result.me["tenant"]["slug"] == result.slug  # type: ignore[index]
        assert result.me["api_key"]["scopes"] == ["admin", "read"]  # type: ignore[index]
        assert [i["email"] for i in result.invitations] == [f"mate@{result.slug}.in"]
    finally:
        with django_db_blocker.unblock():
            connection.set_schema_to_public()
            for tenant in Tenant.objects.filter(slug__startswith="journey"):
                tenant_purge(tenant=tenant)
            User.objects.filter(email__contains="@journey").delete()
