"""Test fixtures shared by every app: two committed tenants (alpha, beta) and a clean Redis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from django.conf import settings

from suresh_ai.testing import PASSWORD, TenantFixture, fixture_for
from tenants.models import Tenant
from tenants.services import api_key_create, platform_ensure, tenant_create


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Create the platform and two tenants once, committed, so real processes can see them too."""
    with django_db_blocker.unblock():
        platform_ensure()
        for slug in ("alpha", "beta"):
            if not Tenant.objects.filter(slug=slug).exists():
                created = tenant_create(
                    name=slug.title() + " Traders", slug=slug, owner_email=f"owner@{slug}.in", owner_password=PASSWORD
                )
                api_key_create(tenant=created.tenant, name="session admin key", scopes=["admin"], created_by=None)
                # Pro: room for the members tests add (Starter has 2 seats).
                Tenant.objects.filter(pk=created.tenant.pk).update(plan="pro")
    return


@pytest.fixture
def alpha(db: None) -> TenantFixture:
    return fixture_for("alpha")


@pytest.fixture
def beta(db: None) -> TenantFixture:
    return fixture_for("beta")


@pytest.fixture(autouse=True)
def _clean_redis() -> Iterator[None]:
    """Each test starts with an empty test Redis database (rate-limit buckets, cache), and with the
    limiter asking Redis (not in the fail-open pause an earlier test's outage started)."""
    from suresh_ai.api import ratelimit

    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    ratelimit._down_until = 0.0
    return


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Run Celery tasks inline in the test's process and schema (the real-worker path has its own
    tests in tests/test_celery_worker.py); for tests that check what a task sends."""
    from celery_app import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous
