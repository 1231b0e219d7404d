"""Regression tests for the second (security) review's findings."""

from __future__ import annotations

import json
import logging
import re

from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from suresh_ai.testing import PASSWORD, TenantFixture, login_client, make_member
from tenants import services
from tenants.models import ApiKey, Membership, Role
from tenants.selectors import tenancy_cache


def test_removed_or_demoted_admin_loses_the_keys_they_made(alpha: TenantFixture) -> None:
    mallory = make_member(alpha.tenant, Role.ADMIN)
    kept_by_owner = services.api_key_create(
        tenant=alpha.tenant, name="owner's", scopes=["admin"], created_by=alpha.owner
    )
    hers = services.api_key_create(tenant=alpha.tenant, name="hers", scopes=["admin"], created_by=mallory)
    assert alpha.key_client(hers.raw_key).get("/api/v1/me/").status_code == 200
    membership = Membership.objects.get(tenant=alpha.tenant, user=mallory)
    services.membership_change_role(membership=membership, role=Role.ANALYST, actor_role=Role.OWNER)
    tenancy_cache.clear()  # the bump is sent on commit; the test transaction never commits
    assert alpha.key_client(hers.raw_key).get("/api/v1/me/").status_code == 401
    assert ApiKey.objects.get(pk=kept_by_owner.api_key.pk).revoked_at is None
    again = services.api_key_create(tenant=alpha.tenant, name="again", scopes=["read"], created_by=mallory)
    services.membership_remove(membership=Membership.objects.get(pk=membership.pk), actor_role=Role.OWNER)
    assert ApiKey.objects.get(pk=again.api_key.pk).revoked_at is not None


def test_request_log_shows_routes_not_tokens(alpha: TenantFixture, caplog) -> None:  # type: ignore[no-untyped-def]
    issued = services.invitation_create(
        tenant=alpha.tenant, email="t@alpha.in", role=Role.VIEWER, invited_by=None, actor_role=Role.OWNER
    )
    with caplog.at_level(logging.INFO, logger="suresh_ai.request"):
        alpha.client().get(f"/invitations/{issued.token}/")
    paths = [record.__dict__["path"] for record in caplog.records if record.name == "suresh_ai.request"]
    assert paths == ["/invitations/<str:token>/"]
    assert issued.token not in caplog.text


def test_error_log_lines_do_not_carry_the_request(alpha: TenantFixture, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    def broken(**_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("tenants.selectors.memberships_of", broken)
    client = alpha.key_client()
    client.raise_request_exception = False
    client.get("/api/v1/members/?email=owner@alpha.in&token=SECRET-QS")
    logged = capsys.readouterr().err
    assert "SECRET-QS" not in logged
    assert "owner@alpha.in" not in logged


def test_totp_secrets_are_hidden_in_the_admin(db: None) -> None:
    from django.conf import settings

    assert settings.OTP_ADMIN_HIDE_SENSITIVE_DATA is True


def test_each_session_gets_its_own_setup_secret(alpha: TenantFixture) -> None:
    attacker = login_client(alpha, alpha.owner)
    seen_by_attacker = re.search(
        r"Enter this key: <code>([A-Z2-7=]+)</code>", attacker.get("/account/2fa/").content.decode()
    )
    owner = login_client(alpha, alpha.owner)
    seen_by_owner = re.search(r"Enter this key: <code>([A-Z2-7=]+)</code>", owner.get("/account/2fa/").content.decode())
    assert seen_by_attacker is not None
    assert seen_by_owner is not None
    assert seen_by_attacker.group(1) != seen_by_owner.group(1)
    assert TOTPDevice.objects.filter(user=alpha.owner, confirmed=False).count() == 1  # the attacker's is gone


def test_look_alike_email_cannot_sign_in_or_escape_the_lock(alpha: TenantFixture) -> None:
    from django.conf import settings

    client = alpha.client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": alpha.owner.email, "password": "wrong-password-123"})
    look_alike = alpha.owner.email.replace("i", "\u0131")  # dotless i: PostgreSQL's UPPER() folds it to I
    response = client.post("/login/", {"username": look_alike, "password": PASSWORD})
    assert response.status_code != 302


def test_form_limit_uses_the_forwarded_client_behind_proxies(alpha: TenantFixture, settings) -> None:  # type: ignore[no-untyped-def]
    settings.NUM_PROXIES = 1
    client_a = alpha.client()
    for _ in range(6):
        client_a.post("/password-reset/", {"email": "x@x.in"}, HTTP_X_FORWARDED_FOR="198.51.100.1")
    other = alpha.client().post("/password-reset/", {"email": "x@x.in"}, HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert other.status_code == 302


def test_display_name_with_line_breaks_is_refused(alpha: TenantFixture) -> None:
    response = alpha.key_client().patch(
        "/api/v1/tenant/", {"display_name": "Acme\r\nX"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "display_name" in response.json()["detail"]


def test_sender_name_is_quoted_safely() -> None:
    from tenants.emails import _from_address

    assert _from_address('Acme\\ "Shop"') == '"Acme\\\\ \\"Shop\\"" <no-reply@localhost>'
    assert json.dumps(_from_address("Plain"))  # ascii display names need no quoting
    assert _from_address("Plain") == "Plain <no-reply@localhost>"


def test_cache_bump_waits_for_commit(alpha: TenantFixture, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks() as callbacks:
        services.tenant_update_branding(tenant=alpha.tenant, data={"display_name": "Later"})
    assert any(getattr(c, "__self__", None) is tenancy_cache for c in callbacks)


def test_platform_host_sessions_stay_anonymous_on_tenants(alpha: TenantFixture) -> None:
    client = Client(HTTP_HOST="localhost")
    client.force_login(alpha.owner)
    client.get("/")  # binds the session to the public schema
    assert client.get("/api/v1/me/", HTTP_HOST=alpha.host).status_code == 401
