"""Management commands: add_tenant, create_api_key, list_tenants, ensure_demo, platform_init."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from suresh_ai.testing import PASSWORD, TenantFixture
from tenants.models import ApiKey, Membership, Tenant
from tenants.services import api_key_resolve


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_add_tenant_and_list(db: None) -> None:
    output = _run(
        "add_tenant",
        "--name",
        "Omega Oils",
        "--slug",
        "omega",
        "--owner-email",
        "o@omega.in",
        "--owner-password",
        PASSWORD,
    )
    assert "schema t_omega, domain omega.localhost, owner o@omega.in" in output
    assert Membership.objects.get(tenant__slug="omega").role == "owner"
    listing = _run("list_tenants")
    assert "omega" in listing
    assert "alpha" in listing
    assert "public" not in listing.split("\n", 1)[1]


def test_add_tenant_reports_errors(db: None) -> None:
    with pytest.raises(CommandError, match="already taken"):
        _run("add_tenant", "--name", "A", "--slug", "alpha", "--owner-email", "x@x.in", "--owner-password", PASSWORD)


def test_create_api_key_prints_a_working_key(alpha: TenantFixture) -> None:
    output = _run("create_api_key", "--tenant", "alpha", "--name", "cli", "--scope", "read", "--scope", "write")
    raw = output.strip().rsplit(" ", 1)[-1]
    key = api_key_resolve(raw_key=raw)
    assert key is not None
    assert key.tenant == alpha.tenant
    assert key.scopes == ["read", "write"]
    with pytest.raises(CommandError):
        _run("create_api_key", "--tenant", "nope", "--name", "cli")
    assert ApiKey.objects.filter(name="cli").count() == 1


def test_ensure_demo_prints_login_once(db: None) -> None:
    first = _run("ensure_demo", "--slug", "demo-test")
    assert "Password:" in first
    assert "http://demo-test.localhost:8000/login/" in first
    second = _run("ensure_demo", "--slug", "demo-test")
    assert "Password:" not in second
    assert Tenant.objects.filter(slug="demo-test").count() == 1


def test_platform_init_is_idempotent(db: None) -> None:
    assert "Platform ready" in _run("platform_init")
    assert "Platform ready" in _run("platform_init")
