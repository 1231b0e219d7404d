"""The newcomer journey over real HTTP against gunicorn and a worker: sign up by email, 2FA, invite,
API key, /api/v1/."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.db import connection

from tenants.models import Tenant, User
from tenants.services import tenant_purge
from tests.journey import run_journey
from tests.live import LIVE_SECRET_KEY, gunicorn_server
from tests.smtp import SmtpServer
from tests.workers import worker_env, worker_start, worker_stop


def test_newcomer_journey_on_a_real_server(django_db_setup: None, django_db_blocker: Any, tmp_path: Path) -> None:
    result = None
    worker = None
    try:
        with SmtpServer() as smtp, gunicorn_server(workers=1, threads=4) as base:
            # The sign-up email comes from a worker (the page answers the same for every address); its
            # link is signed with the server's key.
            name = f"journey-{uuid.uuid4().hex[:8]}@localhost"
            env = worker_env(smtp.url, SECRET_KEY=LIVE_SECRET_KEY)
            worker = worker_start(name, "default", env, tmp_path / "worker.log")
            result = run_journey(base, platform_host="localhost", mail=smtp.mail_to)
        assert result.me["tenant"]["slug"] == result.slug  # type: ignore[index]
        assert result.me["api_key"]["scopes"] == ["admin", "read"]  # type: ignore[index]
        assert [i["email"] for i in result.invitations] == [f"mate@{result.slug}.in"]
    finally:
        if worker is not None:
            worker_stop(worker.process)
        with django_db_blocker.unblock():
            connection.set_schema_to_public()
            for tenant in Tenant.objects.filter(slug__startswith="journey"):
                tenant_purge(tenant=tenant)
            User.objects.filter(email__contains="@journey").delete()
