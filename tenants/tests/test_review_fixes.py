"""Regression tests for the findings of the new-user review (each failed before its fix)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core import mail
from django.db import connection, connections
from django.test import Client

from suresh_ai.errors import ValidationFailed
from suresh_ai.testing import PASSWORD, TenantFixture, login_client, make_member
from tenants import services
from tenants.models import ApiKey, Invitation, Membership, Role, Tenant, User
from tenants.tests.test_security import _login_with_otp, _totp_device


def test_tenant_admin_cannot_edit_invitations_or_keys_in_the_admin(alpha: TenantFixture) -> None:
    admin_user = make_member(alpha.tenant, Role.ADMIN)
    client = _login_with_otp(alpha, admin_user, _totp_device(admin_user))
    issued = services.invitation_create(
        tenant=alpha.tenant, email="x@alpha.in", role=Role.VIEWER, invited_by=None, actor_role=Role.ADMIN
    )
    forged = {"email": "me@evil.in", "role": "owner", "status": "pending", "expires_at_0": "2099-01-01"}
    response = client.post(f"/admin/tenants/invitation/{issued.invitation.pk}/change/", forged)
    assert response.status_code == 403
    invitation = Invitation.objects.get(pk=issued.invitation.pk)
    assert (invitation.email, invitation.role) == ("x@alpha.in", Role.VIEWER)
    key = services.api_key_create(tenant=alpha.tenant, name="ro", scopes=["read"], created_by=None).api_key
    services.api_key_revoke(api_key=key)
    client.post(f"/admin/tenants/apikey/{key.pk}/change/", {"name": "ro", "scopes": '["admin"]', "revoked_at": ""})
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
    assert ApiKey.objects.get(pk=key.pk).scopes == ["read"]
    # Revoking is an admin action that goes through the service.
    live = services.api_key_create(tenant=alpha.tenant, name="live", scopes=["read"], created_by=None).api_key
    client.post("/admin/tenants/apikey/", {"action": "revoke_keys", "_selected_action": [live.pk]})
    assert ApiKey.objects.get(pk=live.pk).revoked_at is not None


def test_lockout_is_not_escaped_by_changing_the_emails_case(alpha: TenantFixture) -> None:
    from django.conf import settings

    client = alpha.client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": alpha.owner.email, "password": "wrong-password-123"})
    for spelling in ("OWNER@alpha.in", "Owner@Alpha.IN"):
        assert client.post("/login/", {"username": spelling, "password": PASSWORD}).status_code == 429


def test_existing_account_with_an_invitation_signs_in_and_accepts(alpha: TenantFixture, beta: TenantFixture) -> None:
    issued = services.invitation_create(
        tenant=alpha.tenant, email=beta.owner.email, role=Role.VIEWER, invited_by=None, actor_role=Role.OWNER
    )
    client = alpha.client()
    login = client.post(
        "/login/", {"username": beta.owner.email, "password": PASSWORD, "next": f"/invitations/{issued.token}/"}
    )
    assert login.status_code == 302
    assert login.url == f"/invitations/{issued.token}/"
    assert client.post(f"/invitations/{issued.token}/").url == "/"
    assert Membership.objects.filter(tenant=alpha.tenant, user=beta.owner, role=Role.VIEWER).exists()


def test_admin_key_cannot_change_required_2fa(alpha: TenantFixture) -> None:
    response = alpha.key_client().patch("/api/v1/tenant/", {"require_2fa": True}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "owner_only"
    admin_client = login_client(alpha, make_member(alpha.tenant, Role.ADMIN))
    assert (
        admin_client.patch("/api/v1/tenant/", {"require_2fa": True}, content_type="application/json").status_code == 403
    )
    owner = login_client(alpha, alpha.owner)
    assert owner.patch("/api/v1/tenant/", {"require_2fa": True}, content_type="application/json").status_code == 200


def test_tenant_admin_login_page_sends_people_through_the_app(alpha: TenantFixture) -> None:
    response = alpha.client().get("/admin/login/?next=/admin/tenants/membership/")
    assert response.status_code == 302
    assert response.url == "/login/?next=%2Fadmin%2Ftenants%2Fmembership%2F"


def test_deeply_nested_json_is_a_parse_error(alpha: TenantFixture) -> None:
    body = "[" * 100_000 + "]" * 100_000
    response = alpha.key_client().patch("/api/v1/tenant/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_unknown_api_path_post_is_json_404_not_csrf(alpha: TenantFixture) -> None:
    client = Client(HTTP_HOST=alpha.host, enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {alpha.admin_key}")
    response = client.post("/api/v1/invitations", {}, content_type="application/json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_sender_name_with_control_characters_is_refused(alpha: TenantFixture) -> None:
    response = alpha.key_client().patch(
        "/api/v1/tenant/", {"email_sender_name": "Acme\rInc"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "email_sender_name" in response.json()["detail"]


def test_password_reset_on_a_workspace_only_mails_its_members(
    alpha: TenantFixture, beta: TenantFixture, eager_tasks: None
) -> None:
    alpha.client().post("/password-reset/", {"email": beta.owner.email})
    assert mail.outbox == []
    alpha.client().post("/password-reset/", {"email": alpha.owner.email})
    assert len(mail.outbox) == 1
    Client(HTTP_HOST="localhost").post("/password-reset/", {"email": beta.owner.email})
    assert len(mail.outbox) == 2  # the platform's own domain serves every account


@pytest.mark.parametrize("domain", ["bad domain!!<script>", "UPPER..example", "x", "shop.localhost"])
def test_custom_domain_must_be_a_host_name(db: None, domain: str) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        services.tenant_create(
            name="Dom", slug="dom-test", owner_email="o@dom.in", owner_password=PASSWORD, custom_domain=domain
        )
    assert "custom_domain" in excinfo.value.detail
    created = services.tenant_create(
        name="Dom", slug="dom-test", owner_email="o@dom.in", owner_password=PASSWORD, custom_domain="Shop.Dom.IN"
    )
    assert created.tenant.domains.filter(domain="shop.dom.in").exists()


def test_two_owners_demoting_each_other_at_once_leave_an_owner(django_db_setup: None, django_db_blocker: Any) -> None:
    """Real concurrency needs committed rows and two connections: threads, each with its own."""
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        created = services.tenant_create(
            name="Race", slug="race-test", owner_email="o1@race.in", owner_password=PASSWORD
        )
        second = User.objects.create_user(email="o2@race.in", password=PASSWORD)
        Membership.objects.create(tenant=created.tenant, user=second, role=Role.OWNER)
        owners = list(Membership.objects.filter(tenant=created.tenant).order_by("pk"))
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def demote(membership: Membership) -> None:
            try:
                barrier.wait()
                services.membership_change_role(membership=membership, role=Role.VIEWER, actor_role=Role.OWNER)
                outcomes.append("demoted")
            except Exception as exc:  # noqa: BLE001 - the loser's refusal is the point of the test
                outcomes.append(type(exc).__name__)
            finally:
                connections.close_all()

        try:
            threads = [threading.Thread(target=demote, args=(m,)) for m in owners]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
            assert sorted(outcomes) == ["Conflict", "demoted"]
            assert Membership.objects.filter(tenant=created.tenant, role=Role.OWNER).count() == 1
        finally:
            services.tenant_purge(tenant=Tenant.objects.get(pk=created.tenant.pk))
            User.objects.filter(email__endswith="@race.in").delete()


def test_pages_with_secrets_are_not_cached(alpha: TenantFixture) -> None:
    client = login_client(alpha, alpha.owner)
    for path in ("/api-keys/", "/account/2fa/"):
        assert "no-store" in client.get(path).headers["Cache-Control"]


def test_mail_sending_forms_are_rate_limited_per_ip(alpha: TenantFixture) -> None:
    client = alpha.client()
    statuses = [client.post("/password-reset/", {"email": "nobody@x.in"}).status_code for _ in range(7)]
    assert statuses[:5] == [302] * 5
    assert statuses[-1] == 429
    other_ip = alpha.client().post("/password-reset/", {"email": "nobody@x.in"}, REMOTE_ADDR="10.9.9.9")
    assert other_ip.status_code == 302


def test_logo_is_served_per_tenant_and_not_inlined_in_the_api(alpha: TenantFixture, beta: TenantFixture) -> None:
    logo = "data:image/png;base64,iVBORw0KGgo="
    alpha.key_client().patch("/api/v1/tenant/", {"logo": logo}, content_type="application/json")
    body = alpha.key_client().get("/api/v1/tenant/").json()
    assert "logo" not in body
    assert body["logo_url"].startswith("http://alpha.localhost/brand/logo?v=")
    assert alpha.client().get("/brand/logo").status_code == 200
    assert beta.client().get("/brand/logo").status_code == 404  # beta has none; never alpha's


def test_unknown_host_is_a_page_for_browsers_and_json_for_clients(db: None) -> None:
    browser = Client(HTTP_HOST="nowhere.example", HTTP_ACCEPT="text/html,application/xhtml+xml")
    page = browser.get("/login/")
    assert page.status_code == 400
    assert page.headers["Content-Type"].startswith("text/html")
    assert "nowhere.example" in page.content.decode()
    api = Client(HTTP_HOST="nowhere.example", HTTP_ACCEPT="text/html").get("/api/v1/me/")
    assert api.json()["code"] == "invalid_host"


def test_reset_email_task_checks_host_and_membership(alpha: TenantFixture, beta: TenantFixture) -> None:
    from django_tenants.utils import tenant_context

    with tenant_context(Tenant.objects.get(pk=alpha.tenant.pk)):
        assert services.password_reset_email_send(user_id=alpha.owner.pk, host="beta.localhost", scheme="http") is False
        assert services.password_reset_email_send(user_id=beta.owner.pk, host="alpha.localhost", scheme="http") is False
        assert services.password_reset_email_send(user_id=alpha.owner.pk, host="alpha.localhost", scheme="http") is True
    assert [m.to for m in mail.outbox] == [[alpha.owner.email]]


def test_reset_request_only_enqueues(alpha: TenantFixture) -> None:
    """Without a worker nothing is sent during the request: the page answers the same either way."""
    alpha.client().post("/password-reset/", {"email": alpha.owner.email})
    assert mail.outbox == []
