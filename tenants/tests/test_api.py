"""Tenancy API: behaviour, roles and scopes, and bad input answered in our error shape."""

from __future__ import annotations

import json
import re

import pytest
from django.core import mail
from django.test import Client

from suresh_ai.errors import NotFound
from suresh_ai.testing import TenantFixture, key_with, login_client, make_member
from tenants import services
from tenants.models import ApiKey, Invitation, Membership, Role, Tenant


def _assert_error(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "detail"}
    assert body["code"] == code
    assert body["message"]
    return body


def test_me_with_session_shows_user_and_role(alpha: TenantFixture) -> None:
    body = login_client(alpha, alpha.owner).get("/api/v1/me/").json()
    assert body["user"]["email"] == "owner@alpha.in"
    assert body["role"] == "owner"
    assert body["api_key"] is None
    assert body["tenant"]["domain"] == "alpha.localhost"


def test_me_with_key_shows_key(alpha: TenantFixture) -> None:
    body = alpha.key_client().get("/api/v1/me/").json()
    assert body["user"] is None
    assert body["api_key"]["scopes"] == ["admin"]
    assert body["api_key"]["prefix"] == alpha.admin_key.split("_")[1]


def test_api_key_create_shows_secret_once_and_stores_only_hash(alpha: TenantFixture) -> None:
    client = alpha.key_client()
    response = client.post(
        "/api/v1/api-keys/", {"name": "Shop sync", "scopes": ["read", "write"]}, content_type="application/json"
    )
    assert response.status_code == 201
    created = response.json()
    raw = created["key"]
    assert raw.startswith(f"sai_{created['prefix']}_")
    stored = ApiKey.objects.get(pk=created["id"])
    assert raw not in stored.key_hash
    assert stored.scopes == ["read", "write"]
    listed = client.get(f"/api/v1/api-keys/{created['id']}/").json()
    assert "key" not in listed
    # The new key works, then stops working once revoked.
    new_client = alpha.key_client(raw)
    assert new_client.get("/api/v1/me/").status_code == 200
    assert client.delete(f"/api/v1/api-keys/{created['id']}/").json()["is_active"] is False
    _assert_error(new_client.get("/api/v1/me/"), 401, "invalid_api_key")


def test_expired_key_is_refused(alpha: TenantFixture) -> None:
    raw = key_with(alpha.tenant, ["read"])
    ApiKey.objects.filter(prefix=raw.split("_")[1]).update(expires_at="2020-01-01T00:00:00Z")
    _assert_error(alpha.key_client(raw).get("/api/v1/me/"), 401, "invalid_api_key")


def test_key_last_used_is_recorded(alpha: TenantFixture) -> None:
    raw = key_with(alpha.tenant, ["read"])
    alpha.key_client(raw).get("/api/v1/me/")
    assert ApiKey.objects.get(prefix=raw.split("_")[1]).last_used_at is not None


def test_scopes_are_enforced(alpha: TenantFixture) -> None:
    read = alpha.key_client(key_with(alpha.tenant, ["read"]))
    assert read.get("/api/v1/members/").status_code == 200
    _assert_error(read.get("/api/v1/api-keys/"), 403, "insufficient_scope")
    _assert_error(
        read.patch("/api/v1/tenant/", {"display_name": "x"}, content_type="application/json"), 403, "insufficient_scope"
    )
    write = alpha.key_client(key_with(alpha.tenant, ["write"]))
    _assert_error(
        write.post("/api/v1/invitations/", {"email": "a@b.in", "role": "viewer"}, content_type="application/json"),
        403,
        "insufficient_scope",
    )


@pytest.mark.parametrize(
    ("role", "can_read_team", "can_manage"),
    [(Role.VIEWER, True, False), (Role.ANALYST, True, False), (Role.ADMIN, True, True), (Role.OWNER, True, True)],
)
def test_roles_are_enforced(alpha: TenantFixture, role: str, can_read_team: bool, can_manage: bool) -> None:
    client = login_client(alpha, make_member(alpha.tenant, role))
    assert (client.get("/api/v1/members/").status_code == 200) is can_read_team
    invite = client.post(
        "/api/v1/invitations/", {"email": "x@alpha.in", "role": "viewer"}, content_type="application/json"
    )
    assert invite.status_code == (201 if can_manage else 403)
    assert (client.get("/api/v1/api-keys/").status_code == 200) is can_manage


def test_only_owner_grants_owner_and_last_owner_stays(alpha: TenantFixture) -> None:
    admin = make_member(alpha.tenant, Role.ADMIN)
    admin_client = login_client(alpha, admin)
    owner_membership = Membership.objects.get(tenant=alpha.tenant, user=alpha.owner)
    analyst = Membership.objects.get(user=make_member(alpha.tenant, Role.ANALYST))
    _assert_error(
        admin_client.patch(f"/api/v1/members/{analyst.pk}/", {"role": "owner"}, content_type="application/json"),
        403,
        "permission_denied",
    )
    _assert_error(admin_client.delete(f"/api/v1/members/{owner_membership.pk}/"), 403, "permission_denied")
    owner_client = login_client(alpha, alpha.owner)
    _assert_error(
        owner_client.patch(
            f"/api/v1/members/{owner_membership.pk}/", {"role": "admin"}, content_type="application/json"
        ),
        409,
        "last_owner",
    )
    assert Membership.objects.get(pk=owner_membership.pk).role == Role.OWNER


def test_invitation_flow_over_api(alpha: TenantFixture, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    client = alpha.key_client()
    response = client.post(
        "/api/v1/invitations/", {"email": "New.Person@Example.in", "role": "analyst"}, content_type="application/json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "new.person@example.in"
    assert body["status"] == "pending"
    _assert_error(
        client.post(
            "/api/v1/invitations/",
            {"email": "new.person@example.in", "role": "viewer"},
            content_type="application/json",
        ),
        409,
        "invitation_exists",
    )
    revoked = client.delete(f"/api/v1/invitations/{body['id']}/").json()
    assert revoked["status"] == "revoked"
    _assert_error(client.delete(f"/api/v1/invitations/{body['id']}/"), 409, "invitation_not_pending")


def test_branding_update(alpha: TenantFixture) -> None:
    client = alpha.key_client()
    logo = "data:image/png;base64,iVBORw0KGgo="
    response = client.patch(
        "/api/v1/tenant/",
        {"display_name": "Alpha Shop", "primary_colour": "#112233", "logo": logo, "support_email": "help@alpha.in"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    tenant = Tenant.objects.get(pk=alpha.tenant.pk)
    assert (tenant.display_name, tenant.primary_colour, tenant.logo) == ("Alpha Shop", "#112233", logo)


def test_pagination_is_cursor_based(alpha: TenantFixture) -> None:
    for _ in range(3):
        make_member(alpha.tenant, Role.VIEWER)
    client = alpha.key_client()
    first = client.get("/api/v1/members/?page_size=2").json()
    assert len(first["results"]) == 2
    assert "cursor=" in first["next"]
    second = client.get(first["next"]).json()
    ids = [m["id"] for m in first["results"]] + [m["id"] for m in second["results"]]
    assert len(ids) == len(set(ids)) == 4


# --- Bad input: a 4xx in our shape and nothing written ----------------------------------------


def _counts(tenant: Tenant) -> tuple[int, int, int]:
    return (
        Invitation.objects.filter(tenant=tenant).count(),
        ApiKey.objects.filter(tenant=tenant).count(),
        Membership.objects.filter(tenant=tenant).count(),
    )


def test_malformed_json(alpha: TenantFixture) -> None:
    before = _counts(alpha.tenant)
    body = _assert_error(
        alpha.key_client().post("/api/v1/invitations/", '{"email": "a@b.in",', content_type="application/json"),
        400,
        "parse_error",
    )
    assert "JSON" in body["message"]
    assert _counts(alpha.tenant) == before


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("/api/v1/invitations/", {"email": 12, "role": "viewer"}, "email"),
        ("/api/v1/invitations/", {"email": "a@b.in", "role": "emperor"}, "role"),
        ("/api/v1/api-keys/", {"name": "x", "scopes": "read"}, "scopes"),
        ("/api/v1/api-keys/", {"name": "x", "scopes": ["read"], "expires_at": "soon"}, "expires_at"),
        ("/api/v1/api-keys/", {"name": "x", "scopes": ["read"], "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ("/api/v1/api-keys/", {"name": "", "scopes": ["read"]}, "name"),
        ("/api/v1/api-keys/", {"name": 42, "scopes": ["read"]}, "name"),  # text, not a number stored as "42"
        ("/api/v1/api-keys/", {"name": True, "scopes": ["read"]}, "name"),
    ],
)
def test_wrong_types_name_the_field(alpha: TenantFixture, path: str, payload: dict, field: str) -> None:  # type: ignore[type-arg]
    before = _counts(alpha.tenant)
    body = _assert_error(
        alpha.key_client().post(path, payload, content_type="application/json"), 400, "validation_error"
    )
    assert field in body["detail"]
    assert _counts(alpha.tenant) == before


def test_unknown_fields_are_refused(alpha: TenantFixture) -> None:
    before = _counts(alpha.tenant)
    body = _assert_error(
        alpha.key_client().post(
            "/api/v1/invitations/",
            {"email": "a@b.in", "role": "viewer", "is_admin": True},
            content_type="application/json",
        ),
        400,
        "validation_error",
    )
    assert body["detail"] == {"is_admin": ["Unknown field."]}
    assert _counts(alpha.tenant) == before
    body = _assert_error(
        alpha.key_client().patch("/api/v1/tenant/", {"schema_name": "public"}, content_type="application/json"),
        400,
        "validation_error",
    )
    assert "schema_name" in body["detail"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"primary_colour": "red"}, "primary_colour"),
        ({"logo": "javascript:alert(1)"}, "logo"),
        ({"support_email": "nope"}, "support_email"),
    ],
)
def test_bad_branding_changes_nothing(alpha: TenantFixture, payload: dict, field: str) -> None:  # type: ignore[type-arg]
    body = _assert_error(
        alpha.key_client().patch("/api/v1/tenant/", payload, content_type="application/json"), 400, "validation_error"
    )
    assert field in body["detail"]
    tenant = Tenant.objects.get(pk=alpha.tenant.pk)
    assert (tenant.primary_colour, tenant.logo, tenant.support_email) == ("#4f46e5", "", "")


def test_oversized_body_is_413(alpha: TenantFixture, settings) -> None:  # type: ignore[no-untyped-def]
    before = _counts(alpha.tenant)
    big = json.dumps({"name": "x" * (settings.MAX_REQUEST_BODY_BYTES + 10), "scopes": ["read"]})
    body = _assert_error(
        alpha.key_client().post("/api/v1/api-keys/", big, content_type="application/json"), 413, "request_too_large"
    )
    assert body["detail"]["limit_bytes"] == settings.MAX_REQUEST_BODY_BYTES
    assert _counts(alpha.tenant) == before


def test_a_chunked_body_without_length_is_411_not_read_as_empty(alpha: TenantFixture) -> None:
    before = _counts(alpha.tenant)
    response = alpha.key_client().post(
        "/api/v1/invitations/",
        b'{"email": "x@alpha.in", "role": "viewer"}',
        content_type="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
        CONTENT_LENGTH="",
    )
    body = _assert_error(response, 411, "length_required")
    assert "Content-Length" in body["message"]
    assert _counts(alpha.tenant) == before


def test_invalid_host_is_400(db: None) -> None:
    _assert_error(Client(HTTP_HOST="evil.example.com").get("/api/v1/me/"), 400, "invalid_host")
    _assert_error(Client(HTTP_HOST="evil.example.com").post("/login/", {}), 400, "invalid_host")


def test_unsupported_media_type(alpha: TenantFixture) -> None:
    _assert_error(
        alpha.key_client().post("/api/v1/api-keys/", "name=x", content_type="application/x-www-form-urlencoded"),
        415,
        "unsupported_media_type",
    )


def test_404_405_in_error_shape(alpha: TenantFixture) -> None:
    client = alpha.key_client()
    _assert_error(client.get("/api/v1/nowhere/"), 404, "not_found")
    _assert_error(client.get("/api/v1/members/999999/"), 404, "not_found")
    _assert_error(client.put("/api/v1/tenant/", {}, content_type="application/json"), 405, "method_not_allowed")


def test_unexpected_error_is_500_in_error_shape(alpha: TenantFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    # Make the real selector fail the way a broken database query would; the handler must answer in our shape.
    def broken(**_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("tenants.selectors.memberships_of", broken)
    client = alpha.key_client()
    client.raise_request_exception = False
    response = client.get("/api/v1/members/")
    body = _assert_error(response, 500, "server_error")
    assert "boom" not in json.dumps(body)


def test_request_id_is_echoed_or_created(alpha: TenantFixture) -> None:
    client = alpha.key_client()
    assert client.get("/api/v1/me/", HTTP_X_REQUEST_ID="abc-123").headers["X-Request-ID"] == "abc-123"
    generated = client.get("/api/v1/me/", HTTP_X_REQUEST_ID="bad id\n").headers["X-Request-ID"]
    assert len(generated) == 32
    assert generated != "bad id\n"


def test_request_log_context_ends_with_the_request(alpha: TenantFixture) -> None:
    """A request's id and tenant tag its log lines only: the thread's next lines carry neither."""
    import structlog

    alpha.key_client().get("/api/v1/me/", HTTP_X_REQUEST_ID="abc-123")
    assert structlog.contextvars.get_contextvars() == {}


def test_invitation_email_carries_tenant_branding(alpha: TenantFixture) -> None:
    """The email service, run in alpha's schema (as the task does), sends one branded email once."""
    from django_tenants.utils import tenant_context

    from tenants.services import invitation_create, invitation_email_send, tenant_update_branding

    tenant_update_branding(tenant=alpha.tenant, data={"display_name": "Alpha Shop", "support_email": "help@alpha.in"})
    issued = invitation_create(
        tenant=alpha.tenant, email="z@alpha.in", role=Role.VIEWER, invited_by=alpha.owner, actor_role=Role.OWNER
    )
    with tenant_context(Tenant.objects.get(pk=alpha.tenant.pk)):
        assert invitation_email_send(invitation_id=issued.invitation.pk) is True
        assert invitation_email_send(invitation_id=issued.invitation.pk) is False
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["z@alpha.in"]
    assert message.reply_to == ["help@alpha.in"]
    assert message.from_email == "Alpha Shop <no-reply@localhost>"
    link = re.search(r"http://alpha\.localhost/invitations/([A-Za-z0-9_-]+)/", message.body)
    assert link is not None
    assert link.group(1) != issued.token  # the emailed link carries its own token...
    assert services.invitation_find(token=link.group(1)).pk == issued.invitation.pk  # ...which works
    with pytest.raises(NotFound):
        services.invitation_find(token=issued.token)  # and the earlier one no longer does
    assert "Alpha Shop" in message.body
    assert "Alpha Shop" in message.alternatives[0][0]


def test_malformed_cursor_is_400_naming_the_parameter(alpha: TenantFixture) -> None:
    body = _assert_error(alpha.key_client().get("/api/v1/members/?cursor=not-a-cursor"), 400, "validation_error")
    assert "cursor" in body["detail"]
