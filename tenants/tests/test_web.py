"""Web app pages: sign-up, team, API keys, branding, two-factor set-up, invitations, password reset."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from suresh_ai.testing import PASSWORD, TenantFixture, login_client, make_member
from tenants.models import ApiKey, Invitation, Membership, Role, Tenant, User
from tenants.services import invitation_create

PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def test_landing_leads_to_signup(db: None) -> None:
    """The whole sign-up (email link, password, signed in) is in test_newcomer.py."""
    public = Client(HTTP_HOST="localhost")
    assert b"Create a workspace" in public.get("/").content
    assert b"Create your workspace" in public.get("/signup/").content


def test_every_host_has_an_icon(alpha: TenantFixture) -> None:
    """Pages name the static icon; /favicon.ico (asked for by browsers, also on admin pages) leads there."""
    from django.contrib.staticfiles import finders

    assert finders.find("favicon.svg")
    for host in ("localhost", alpha.host):
        response = Client(HTTP_HOST=host).get("/favicon.ico")
        assert (response.status_code, response["Location"]) == (301, "/static/favicon.svg")
    assert b'<link rel="icon" href="/static/favicon.svg"' in Client(HTTP_HOST="localhost").get("/").content


def test_signup_shows_field_errors_and_sends_nothing(db: None) -> None:
    public = Client(HTTP_HOST="localhost")
    response = public.post("/signup/", {"company": "X", "slug": "alpha", "email": "new@x.in"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "already taken" in page
    response = public.post("/signup/", {"company": "X", "slug": "fresh_shop", "email": "new@x.in"})
    assert "Use only lowercase letters (a-z), digits and hyphens: &#x27;_&#x27; can" in response.content.decode()
    assert mail.outbox == []
    assert not User.objects.filter(email="new@x.in").exists()


def test_pages_need_sign_in_and_membership(alpha: TenantFixture, beta: TenantFixture) -> None:
    anonymous = alpha.client()
    for path in ("/", "/team/", "/api-keys/", "/branding/", "/account/2fa/"):
        response = anonymous.get(path)
        assert response.status_code == 302
        assert response.url.startswith("/login/")
    # A beta owner cannot sign in on alpha's domain.
    refused = alpha.client().post("/login/", {"username": beta.owner.email, "password": PASSWORD})
    assert refused.status_code == 200
    assert b"no access to this workspace" in refused.content


def test_viewer_sees_team_but_not_admin_pages(alpha: TenantFixture) -> None:
    client = login_client(alpha, make_member(alpha.tenant, Role.VIEWER))
    team = client.get("/team/")
    assert team.status_code == 200
    assert b"Invite someone" not in team.content
    assert client.get("/api-keys/").status_code == 403
    assert client.get("/branding/").status_code == 403
    assert client.post("/team/", {"email": "x@y.in", "role": "viewer"}).status_code == 403


def test_team_page_invite_change_role_remove(alpha: TenantFixture, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    client = login_client(alpha, alpha.owner)
    response = client.post("/team/", {"email": "Friend@Alpha.in", "role": "analyst"})
    assert response.status_code == 302
    invitation = Invitation.objects.get(tenant=alpha.tenant, email="friend@alpha.in")
    assert "friend@alpha.in" in client.get("/team/").content.decode()
    client.post(f"/team/invitations/{invitation.pk}/revoke/")
    assert Invitation.objects.get(pk=invitation.pk).status == Invitation.Status.REVOKED
    member = Membership.objects.get(user=make_member(alpha.tenant, Role.VIEWER))
    client.post(f"/team/{member.pk}/role/", {"role": "admin"})
    assert Membership.objects.get(pk=member.pk).role == Role.ADMIN
    client.post(f"/team/{member.pk}/remove/")
    assert not Membership.objects.filter(pk=member.pk).exists()


def test_api_keys_page_shows_key_once_and_revokes(alpha: TenantFixture) -> None:
    client = login_client(alpha, alpha.owner)
    page = client.post("/api-keys/", {"name": "Shop sync", "scopes": ["read", "write"]}).content.decode()
    raw = re.search(r"sai_[0-9a-f]{8}_[A-Za-z0-9_-]{40}", page)
    assert raw is not None
    assert (
        Client(HTTP_HOST=alpha.host, HTTP_AUTHORIZATION=f"Bearer {raw.group(0)}").get("/api/v1/me/").status_code == 200
    )
    assert raw.group(0) not in client.get("/api-keys/").content.decode()
    key = ApiKey.objects.get(tenant=alpha.tenant, name="Shop sync")
    client.post(f"/api-keys/{key.pk}/revoke/")
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None


def test_branding_page_changes_pages_and_emails(alpha: TenantFixture, eager_tasks: None) -> None:
    client = login_client(alpha, alpha.owner)
    logo = SimpleUploadedFile("logo.png", PNG_1PX, content_type="image/png")
    response = client.post(
        "/branding/",
        {"display_name": "Alpha Bazaar", "primary_colour": "#0a7d33", "support_email": "help@alpha.in", "logo": logo},
    )
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert "Alpha Bazaar" in page
    assert "--brand: #0a7d33" in page
    logo = re.search(r'<img src="http://alpha\.localhost(/brand/logo\?v=[0-9a-f]{12})"', page)
    assert logo is not None
    image = client.get(logo.group(1))
    assert image.headers["Content-Type"] == "image/png"
    assert image.content == PNG_1PX
    assert "data:image" not in page
    bad = client.post(
        "/branding/", {"primary_colour": "#0a7d33", "logo": SimpleUploadedFile("x.gif", b"GIF89a", "image/gif")}
    )
    assert "PNG, JPEG or WebP" in bad.content.decode()
    Client(HTTP_HOST=alpha.host).post("/password-reset/", {"email": alpha.owner.email})
    assert len(mail.outbox) == 1
    assert "Alpha Bazaar" in mail.outbox[0].subject
    assert "http://alpha.localhost/password-reset/" in mail.outbox[0].body
    html = mail.outbox[0].alternatives[0][0]
    assert "#0a7d33" in html
    assert f'src="http://alpha.localhost{logo.group(1)}"' in html  # mail clients block data: images


def test_only_owner_can_require_2fa(alpha: TenantFixture) -> None:
    admin = login_client(alpha, make_member(alpha.tenant, Role.ADMIN))
    response = admin.post("/branding/", {"primary_colour": "#4f46e5", "require_2fa": "on"})
    assert "Only an owner" in response.content.decode()
    assert Tenant.objects.get(pk=alpha.tenant.pk).require_2fa is False


def test_two_factor_setup_confirm_and_manage(alpha: TenantFixture) -> None:
    client = login_client(alpha, alpha.owner)
    page = client.get("/account/2fa/").content.decode()
    assert 'src="data:image/svg+xml;base64,' in page
    device = TOTPDevice.objects.get(user=alpha.owner, confirmed=False)
    wrong = client.post("/account/2fa/", {"action": "confirm", "token": "000000"})
    assert "not valid" in wrong.content.decode()
    # django-otp throttles after a failure (1 s, then doubling): the next try must wait.
    with time_machine.travel(timezone.now() + timedelta(seconds=3)):
        code = f"{totp(device.bin_key):06d}"
        codes_page = client.post("/account/2fa/", {"action": "confirm", "token": code}).content.decode()
    assert "backup codes" in codes_page
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get("/api/v1/me/").json()["otp_verified"] is True
    backup = re.findall(r"<code>([a-z0-9]{8})</code>", codes_page)
    assert len(backup) == 10
    manage = client.post("/account/2fa/", {"action": "disable", "token": backup[0]})
    assert manage.status_code == 302
    assert not TOTPDevice.objects.filter(user=alpha.owner).exists()


def test_invitation_accept_as_new_user(alpha: TenantFixture) -> None:
    issued = invitation_create(
        tenant=alpha.tenant, email="newbie@example.in", role=Role.ANALYST, invited_by=alpha.owner, actor_role=Role.OWNER
    )
    client = alpha.client()
    page = client.get(f"/invitations/{issued.token}/").content.decode()
    assert "Join Alpha Traders" in page
    response = client.post(f"/invitations/{issued.token}/", {"full_name": "New Bie", "password": PASSWORD})
    assert response.url == "/"
    assert Membership.objects.get(user__email="newbie@example.in").role == Role.ANALYST
    assert client.get(f"/invitations/{issued.token}/").status_code == 404  # single use
    assert beta_cannot_use(issued.token)


def beta_cannot_use(token: str) -> bool:
    return Client(HTTP_HOST="beta.localhost").get(f"/invitations/{token}/").status_code == 404


def test_invitation_accept_as_existing_user(alpha: TenantFixture, beta: TenantFixture) -> None:
    issued = invitation_create(
        tenant=alpha.tenant, email=beta.owner.email, role=Role.VIEWER, invited_by=None, actor_role=Role.OWNER
    )
    client = alpha.client()
    response = client.get(f"/invitations/{issued.token}/")
    assert response.url.startswith("/login/?email=")
    client.post("/login/", {"username": beta.owner.email, "password": PASSWORD})  # not yet a member: refused
    client.force_login(beta.owner)
    assert client.post(f"/invitations/{issued.token}/").url == "/"
    assert Membership.objects.filter(tenant=alpha.tenant, user=beta.owner, role=Role.VIEWER).exists()


def test_find_workspace_emails_links_without_revealing_accounts(alpha: TenantFixture, eager_tasks: None) -> None:
    public = Client(HTTP_HOST="localhost")
    known = public.post("/login/", {"email": alpha.owner.email}).content
    unknown = public.post("/login/", {"email": "nobody@nowhere.in"}).content
    assert b"If that email has an account" in known
    assert known.replace(b"\n", b"") == unknown.replace(b"\n", b"")
    assert len(mail.outbox) == 1
    assert "http://alpha.localhost/login/" in mail.outbox[0].body


def test_logout_is_post_only(alpha: TenantFixture) -> None:
    client = login_client(alpha, alpha.owner)
    assert client.get("/logout/").status_code == 405
    client.post("/logout/")
    assert client.get("/api/v1/me/").status_code == 401


def test_dark_mode_and_accessibility_basics(alpha: TenantFixture) -> None:
    page = alpha.client().get("/login/").content.decode()
    assert 'name="color-scheme" content="light dark"' in page
    assert '<label for="id_username">' in page
    assert 'href="#main"' in page
    css = b"".join(Client(HTTP_HOST=alpha.host).get("/static/css/app.css").streaming_content).decode()  # type: ignore[attr-defined]
    assert "prefers-color-scheme: dark" in css


def test_password_reset_end_to_end(alpha: TenantFixture, eager_tasks: None) -> None:
    client = alpha.client()
    assert client.post("/password-reset/", {"email": "OWNER@alpha.in"}).url == "/password-reset/sent/"
    link = re.search(r"http://alpha\.localhost(/password-reset/[^/]+/[^/]+/)", mail.outbox[0].body)
    assert link is not None
    form_page = client.get(link.group(1), follow=True)
    assert b"new_password1" in form_page.content
    new_password = "another-long-passphrase-77"
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password})
    assert done.url == "/password-reset/done/"
    fresh = alpha.client()
    assert fresh.post("/login/", {"username": alpha.owner.email, "password": new_password}).url == "/"
    assert client.get(link.group(1), follow=True).content.count(b"invalid or was already used") == 1


def test_every_aria_reference_points_at_an_element(alpha: TenantFixture) -> None:
    pages = [
        Client(HTTP_HOST="localhost").post("/signup/", {"company": "", "slug": "x"}).content.decode(),
        login_client(alpha, alpha.owner).get("/api-keys/").content.decode(),
    ]
    for page in pages:
        ids = set(re.findall(r'\bid="([^"]+)"', page))
        for reference in re.findall(r'aria-describedby="([^"]+)"', page):
            for target in reference.split():
                assert target in ids, target
    assert "<legend>Scopes</legend>" in pages[1]


def test_home_points_to_the_dashboards_once_data_has_arrived(alpha: TenantFixture) -> None:
    page = login_client(alpha, alpha.owner)
    assert "Nothing has been imported yet" in page.get("/").content.decode()
    sent = alpha.key_client().post(
        "/api/v1/data/customers/", {"records": [{"external_id": "c-1"}]}, content_type="application/json"
    )
    assert sent.json()["created"] == 1
    html = page.get("/").content.decode()
    assert "Nothing has been imported yet" not in html
    assert 'href="/analytics/">see the dashboards</a>' in html
