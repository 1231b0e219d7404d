"""The per-process tenancy cache never outlives a change for long: a key revoked in one process is
refused by a running server within the version-check interval; pages always read fresh rows."""

from __future__ import annotations

import time
from typing import Any

import requests
from django.db import connection

from tenants.models import ApiKey, Tenant
from tenants.selectors import tenancy_cache
from tenants.services import api_key_create, api_key_revoke
from tests.live import gunicorn_server


def test_revoked_key_is_refused_by_a_running_server_within_the_interval(
    django_db_setup: None, django_db_blocker: Any
) -> None:
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        issued = api_key_create(tenant=Tenant.objects.get(slug="alpha"), name="cache", scopes=["read"], created_by=None)
    headers = {"Host": "alpha.localhost", "Authorization": f"Bearer {issued.raw_key}"}
    try:
        with gunicorn_server(workers=1, threads=2) as base:
            for _ in range(3):  # now cached in the server process
                assert requests.get(f"{base}/api/v1/me/", headers=headers, timeout=5).status_code == 200
            with django_db_blocker.unblock():
                api_key_revoke(api_key=issued.api_key)
            # Revocation shows within the version-check interval; the wait allows a busy machine more.
            deadline = time.monotonic() + tenancy_cache.version_check_interval + 15
            statuses = []
            while time.monotonic() < deadline:
                statuses.append(requests.get(f"{base}/api/v1/me/", headers=headers, timeout=5).status_code)
                if statuses[-1] == 401:
                    break
                time.sleep(0.1)
            assert statuses[-1] == 401, statuses
    finally:
        with django_db_blocker.unblock():
            ApiKey.objects.filter(pk=issued.api_key.pk).delete()
