"""A real Celery worker: a task sent from tenant A runs in tenant A's schema, and the invitation
email really goes out over SMTP carrying that tenant's brand.

The worker is a subprocess (``celery -A celery_app worker --pool=solo``) on the test database and
the test Redis database, sending mail to a local aiosmtpd server (tests/smtp.py). Everything the
worker must see is committed (``django_db_blocker.unblock()``, autocommit) and deleted afterwards;
these tests never use the ``db`` fixture, whose rolled-back transaction the worker could not see
and whose on_commit callbacks would never run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

# The web process must load the project's Celery app for tasks to carry the sender's schema; the
# worker loads it through -A. Import it here so .delay() below goes through it (see
# test_django_setup_loads_the_tenant_aware_celery_app).
from tenants.emails import brand_for
from tenants.models import Invitation, Tenant
from tenants.services import invitation_accept_url, invitation_create, invitation_find
from tenants.tasks import invitation_send_email
from tests.smtp import SmtpServer
from tests.workers import Worker, worker_env, worker_start, worker_stop

pytestmark = pytest.mark.slow

BASE_DIR = Path(settings.BASE_DIR)
INVITEE_DOMAIN = "invitee.worker-test.in"
WORKER_START_TIMEOUT = 30.0
TASK_TIMEOUT = 20.0


@pytest.fixture(autouse=True)
def _clean_state() -> None:
    """Replaces conftest's per-test FLUSHDB: the running worker's broker is that Redis database,
    and flushing it would delete kombu's queue bindings under the worker. The worker fixture
    flushes once before starting the worker and once after stopping it. Each test sets its own
    schema context explicitly."""


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def mailbox(smtp: SmtpServer) -> SmtpServer:
    smtp.clear()
    return smtp


@pytest.fixture(scope="module")
def worker(
    django_db_setup: None,
    django_db_blocker: Any,
    smtp: SmtpServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Worker]:
    broker = redis.Redis.from_url(settings.REDIS_URL)
    broker.flushdb()
    hostname = f"test-{uuid.uuid4().hex[:8]}@localhost"  # unique, so the ping below reaches only this worker
    log = tmp_path_factory.mktemp("celery") / "worker.log"
    running = worker_start(hostname, "default", worker_env(smtp.url), log)
    try:
        yield running
    finally:
        worker_stop(running.process)
        broker.flushdb()
        with django_db_blocker.unblock():
            Invitation.objects.filter(email__endswith="@" + INVITEE_DOMAIN).delete()


@dataclass
class Tenants:
    alpha: Tenant
    beta: Tenant


@pytest.fixture
def committed(worker: Worker, django_db_blocker: Any, request: pytest.FixtureRequest) -> Iterator[Tenants]:
    """Committed alpha and beta (from conftest's session setup); this test's invitations are deleted after it."""
    with django_db_blocker.unblock():
        tenants = Tenants(alpha=Tenant.objects.get(slug="alpha"), beta=Tenant.objects.get(slug="beta"))
    assert (tenants.alpha.schema_name, tenants.beta.schema_name) == ("t_alpha", "t_beta")
    yield tenants
    request.node.add_report_section("teardown", "worker log (tail)", worker.output())  # shown on failure
    with django_db_blocker.unblock():
        Invitation.objects.filter(email__endswith="@" + INVITEE_DOMAIN).delete()


def _invitee() -> str:
    return f"{uuid.uuid4().hex[:12]}@{INVITEE_DOMAIN}"


def _eventually(check: Callable[[], Any], timeout: float = TASK_TIMEOUT) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def _sent_at(django_db_blocker: Any, invitation_id: int) -> datetime | None:
    with django_db_blocker.unblock():
        return Invitation.objects.get(pk=invitation_id).email_sent_at


def _send_from(django_db_blocker: Any, tenant: Tenant | None, invitation_id: int) -> dict[str, Any]:
    """Send the task with the connection in ``tenant``'s schema (None: public) and wait for the worker's result."""
    context = tenant_context(tenant) if tenant else schema_context(settings.PUBLIC_SCHEMA_NAME)
    with django_db_blocker.unblock(), context:
        # Tasks ignore their results by default (settings/celery.py); this one is asked for it.
        result = invitation_send_email.apply_async(kwargs={"invitation_id": invitation_id}, ignore_result=False)
    outcome: dict[str, Any] = result.get(timeout=TASK_TIMEOUT)
    return outcome


def test_invitation_created_in_alpha_is_emailed_by_the_worker_with_alpha_branding(
    committed: Tenants, mailbox: SmtpServer, django_db_blocker: Any
) -> None:
    alpha = committed.alpha
    invitee = _invitee()
    with django_db_blocker.unblock(), tenant_context(alpha):
        # Autocommit: the on_commit hook enqueues the email task as the invitation commits.
        issued = invitation_create(tenant=alpha, email=invitee, role="viewer", invited_by=None, actor_role="owner")
        brand = brand_for(alpha)

    [received] = mailbox.wait_for(1, timeout=TASK_TIMEOUT)
    assert _eventually(lambda: _sent_at(django_db_blocker, issued.invitation.pk)) is not None
    assert len(mailbox.messages) == 1  # the task has finished: no second copy is on its way

    assert alpha.brand_name == brand["name"] == "Alpha Traders"
    link = re.search(r"http://alpha\.localhost/invitations/([A-Za-z0-9_-]+)/", received.text)
    assert link is not None
    accept_url = invitation_accept_url(tenant=alpha, token=link.group(1))
    with django_db_blocker.unblock():
        # The worker issued the link's token itself; it opens this invitation and nothing else.
        assert invitation_find(token=link.group(1)).pk == issued.invitation.pk
    message = received.message
    assert received.rcpt_tos == (invitee,)
    assert message["To"] == invitee
    assert message["Subject"] == "You are invited to Alpha Traders"
    assert message["From"].addresses[0].display_name == "Alpha Traders"
    assert "Alpha Traders" in received.text
    assert accept_url in received.text
    assert "<strong>Alpha Traders</strong>" in received.html
    assert f'href="{accept_url}"' in received.html
    assert brand["colour"] in received.html
    for other_brand in ("Beta Traders", "SURESH AI ORIGIN", "beta.localhost"):
        assert other_brand not in received.text
        assert other_brand not in received.html


def test_task_runs_in_the_schema_it_was_sent_from_and_never_sends_across_tenants(
    committed: Tenants, mailbox: SmtpServer, django_db_blocker: Any
) -> None:
    alpha, beta = committed.alpha, committed.beta
    invitee = _invitee()
    with django_db_blocker.unblock():
        # Created directly, so no task is enqueued yet: every run below is one this test sends.
        invitation = Invitation.objects.create(
            tenant=alpha,
            email=invitee,
            role="viewer",
            token_hash=uuid.uuid4().hex,
            expires_at=timezone.now() + timedelta(days=1),
        )

    # Sent from beta's context for alpha's invitation: runs in beta's schema and refuses.
    assert _send_from(django_db_blocker, beta, invitation.pk) == {
        "invitation_id": invitation.pk,
        "sent": False,
        "schema": "t_beta",
    }
    assert mailbox.messages == []
    assert _sent_at(django_db_blocker, invitation.pk) is None

    # Positive control: the same call from alpha's context runs in alpha's schema and sends.
    assert _send_from(django_db_blocker, alpha, invitation.pk) == {
        "invitation_id": invitation.pk,
        "sent": True,
        "schema": "t_alpha",
    }
    [received] = mailbox.messages  # delivered before the task returned its result
    assert received.rcpt_tos == (invitee,)
    assert "Alpha Traders" in received.text
    assert "http://alpha.localhost/invitations/" in received.text
    assert _sent_at(django_db_blocker, invitation.pk) is not None


def test_sending_again_after_success_is_a_no_op(
    committed: Tenants, mailbox: SmtpServer, django_db_blocker: Any
) -> None:
    alpha = committed.alpha
    with django_db_blocker.unblock(), tenant_context(alpha):
        issued = invitation_create(tenant=alpha, email=_invitee(), role="viewer", invited_by=None, actor_role="owner")
    mailbox.wait_for(1, timeout=TASK_TIMEOUT)
    first_sent_at = _eventually(lambda: _sent_at(django_db_blocker, issued.invitation.pk))
    assert first_sent_at is not None

    for _ in range(2):
        assert _send_from(django_db_blocker, alpha, issued.invitation.pk) == {
            "invitation_id": issued.invitation.pk,
            "sent": False,
            "schema": "t_alpha",
        }
    assert len(mailbox.messages) == 1
    assert _sent_at(django_db_blocker, issued.invitation.pk) == first_sent_at


def test_task_sent_from_the_public_schema_refuses(
    committed: Tenants, mailbox: SmtpServer, django_db_blocker: Any
) -> None:
    with django_db_blocker.unblock():
        invitation = Invitation.objects.create(
            tenant=committed.alpha,
            email=_invitee(),
            role="viewer",
            token_hash=uuid.uuid4().hex,
            expires_at=timezone.now() + timedelta(days=1),
        )
    try:
        outcome = _send_from(django_db_blocker, None, invitation.pk)
    finally:
        assert mailbox.messages == []
        assert _sent_at(django_db_blocker, invitation.pk) is None
    assert outcome == {"invitation_id": invitation.pk, "sent": False, "schema": "public"}


def _probe(code: str, **env: str | None) -> str:
    """Run ``code`` in a fresh interpreter (as a web process would start) and return its stdout."""
    environment = {**os.environ, **{key: value for key, value in env.items() if value is not None}}
    for key in [key for key, value in env.items() if value is None]:
        environment.pop(key, None)
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=environment, capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed.stdout.strip()


def test_django_setup_alone_binds_tasks_to_the_tenant_aware_celery_app() -> None:
    """What a web process sees: nothing imports celery_app explicitly, yet .delay() must go through
    it (Redis broker, schema header), not through Celery's default app (amqp://localhost)."""
    code = (
        "import django; django.setup(); "
        "from tenants.tasks import invitation_send_email as task; "
        "print(task.app.main, type(task.app).__name__, task.app.conf.broker_url)"
    )
    output = _probe(code, DJANGO_SETTINGS_MODULE="suresh_ai.settings.test")
    assert output.split() == ["suresh_ai", "CeleryApp", settings.CELERY_BROKER_URL]


def test_wsgi_still_defaults_to_production_settings() -> None:
    """Loading the Celery app with Django must not choose the settings module for wsgi.py."""
    code = "import suresh_ai.wsgi; from django.conf import settings; print(settings.SETTINGS_MODULE)"
    secret = "probe-" + uuid.uuid4().hex + uuid.uuid4().hex  # production refuses short or default keys
    output = _probe(code, DJANGO_SETTINGS_MODULE=None, DEBUG="false", SECRET_KEY=secret, SENTRY_DSN="")
    assert output.splitlines()[-1] == "suresh_ai.settings.production"
