"""Session rules hold whatever headers a request carries: an ``Authorization`` header that is not a
valid API key must not switch off workspace binding or the idle and absolute timeouts."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.conf import settings
from django.utils import timezone

from suresh_ai.testing import PASSWORD, TenantFixture, login_client, make_member
from tenants.models import ApiKey, Membership, Role

BOGUS = {"HTTP_AUTHORIZATION": "Bearer x"}


def test_a_session_bound_to_one_workspace_stays_anonymous_on_another_with_a_bearer_header(
    alpha: TenantFixture, beta: TenantFixture
) -> None:
    user = make_member(alpha.tenant, Role.ADMIN, email="both@alpha.in")
    Membership.objects.create(tenant=beta.tenant, user=user, role=Role.OWNER)
    client = login_client(alpha, user)
    assert client.get("/team/").status_code == 200  # positive control: its own workspace
    for headers in ({}, BOGUS):
        team = client.get("/team/", HTTP_HOST=beta.host, **headers)
        assert (team.status_code, team.url.split("?")[0]) == (302, "/login/"), headers
        admin = client.get("/admin/", HTTP_HOST=beta.host, **headers)
        assert admin.status_code == 302, headers
        assert admin.url.startswith("/admin/login/"), headers
        minted = client.post("/api-keys/", {"name": "stolen", "scopes": ["admin"]}, HTTP_HOST=beta.host, **headers)
        assert minted.status_code == 302, headers
    assert not ApiKey.objects.filter(tenant=beta.tenant, name="stolen").exists()
    # The session itself is still good where it was made.
    assert client.get("/team/").status_code == 200


def test_an_idle_session_is_signed_out_even_with_a_bearer_header(alpha: TenantFixture) -> None:
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = login_client(alpha, alpha.owner)
        assert client.get("/api-keys/", **BOGUS).status_code == 200
        clock.shift(timedelta(seconds=settings.SESSION_IDLE_TIMEOUT + 61))
        minted = client.post("/api-keys/", {"name": "late", "scopes": ["admin"]}, **BOGUS)
        assert (minted.status_code, minted.url.split("?")[0]) == (302, "/login/")
        assert not ApiKey.objects.filter(tenant=alpha.tenant, name="late").exists()
        # Signed out for good: the same cookie without the header is anonymous too.
        assert client.get("/team/").status_code == 302


def test_an_absolute_timeout_applies_with_a_bearer_header(alpha: TenantFixture) -> None:
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = login_client(alpha, alpha.owner)
        for _ in range(settings.SESSION_ABSOLUTE_TIMEOUT // 600 - 1):
            clock.shift(timedelta(minutes=10))
            assert client.get("/team/").status_code == 200
        clock.shift(timedelta(minutes=11))
        assert client.get("/team/", **BOGUS).status_code == 302


def test_api_calls_with_a_key_do_not_keep_a_session_alive(alpha: TenantFixture) -> None:
    """A valid key authenticates on its own; its calls are not activity of a session that rides along."""
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = login_client(alpha, alpha.owner)
        key = {"HTTP_AUTHORIZATION": f"Bearer {alpha.admin_key}"}
        for _ in range(3):
            clock.shift(timedelta(seconds=settings.SESSION_IDLE_TIMEOUT // 2))
            assert client.get("/api/v1/me/", **key).status_code == 200  # the key works throughout
        assert client.get("/team/").status_code == 302  # but the session went idle meanwhile
        assert client.get("/api/v1/me/", **key).status_code == 200


def test_a_key_alone_works_and_a_signed_in_page_works_beside_it(alpha: TenantFixture) -> None:
    assert alpha.key_client().get("/api/v1/me/").status_code == 200
    client = alpha.client()
    assert client.post("/login/", {"username": alpha.owner.email, "password": PASSWORD}).status_code == 302
    assert client.get("/api/v1/me/").status_code == 200
