"""Isolation matrix for the platform API: every operation under /api/v1/platform/ in the OpenAPI
schema (so each new one is covered as it is added) refuses anonymous callers, tenant members and
tenant API keys, and is served to platform staff. Positive control: staff get past the permission
check on every operation."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.test import Client

from suresh_ai.testing import TenantFixture, staff_client


@pytest.fixture(scope="module")
def operations(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str]]:
    out = Path(tmp_path_factory.mktemp("schema")) / "openapi.yaml"
    call_command("spectacular", "--urlconf", "suresh_ai.urls_api", "--file", str(out))
    paths = yaml.safe_load(out.read_text())["paths"]
    found = [
        (method, path.replace("{id}", "999999").replace("{key}", "none"))
        for path, ops in paths.items()
        if path.startswith("/api/v1/platform/")
        for method in ops
        if method in ("get", "post", "patch", "put", "delete")
    ]
    assert len(found) >= 10  # the audit log, health, incidents, alerts, uptime, tenants, billing...
    return found


def _call(client: Client, method: str, path: str) -> int:
    return int(
        getattr(client, method)(path, {} if method == "get" else "{}", content_type="application/json").status_code
    )


def test_every_platform_operation_is_staff_only(alpha: TenantFixture, operations: list[tuple[str, str]]) -> None:
    anonymous = Client(HTTP_HOST="localhost")
    member = Client(HTTP_HOST="localhost")
    member.force_login(alpha.owner)  # a tenant's owner, signed in on the platform domain
    tenant_session = alpha.client()
    tenant_session.force_login(alpha.owner)
    staff = staff_client("matrix@platform.in")
    for method, path in operations:
        assert _call(anonymous, method, path) == 401, (method, path)
        assert _call(member, method, path) == 403, (method, path)
        # Tenant domains do not serve the platform API, to keys or to sessions.
        assert _call(alpha.key_client(), method, path) == 404, (method, path)
        assert _call(tenant_session, method, path) == 404, (method, path)
        assert _call(staff, method, path) not in (401, 403), (method, path)
