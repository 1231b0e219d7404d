"""Security base: admin behind verified 2FA on every domain, lockout, session timeouts, passwords."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from suresh_ai.testing import PASSWORD, TenantFixture, login_client, make_member
from tenants.models import Membership, Role, Tenant, User
from tenants.services import two_factor_confirm


def _totp_device(user: User) -> TOTPDevice:
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=False)
    two_factor_confirm(device=device)
    return device


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _login_with_otp(fixture: TenantFixture, user: User, device: TOTPDevice) -> Client:
    client = fixture.client()
    first = client.post("/login/", {"username": user.email, "password": PASSWORD})
    assert first.status_code == 302
    assert first.url.startswith("/login/otp/")
    second = client.post("/login/otp/", {"token": _code(device)})
    assert second.status_code == 302, second.content
    assert second.url == "/"
    return client


# --- Django admin requires a verified second factor ---------------------------------------------


def test_public_admin_refuses_staff_without_otp_and_admits_with_it(db: None) -> None:
    staff = User.objects.create_user(email="staff@platform.in", password=PASSWORD, is_staff=True, is_superuser=True)
    client = Client(HTTP_HOST="localhost")
    # Password alone is not enough: the admin's login form needs a valid token.
    response = client.post("/admin/login/", {"username": staff.email, "password": PASSWORD, "otp_token": ""})
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302
    client.force_login(staff)  # signed in, but not verified with a device
    assert client.get("/admin/").status_code == 302
    device = _totp_device(staff)
    client = Client(HTTP_HOST="localhost")
    response = client.post(
        "/admin/login/",
        {"username": staff.email, "password": PASSWORD, "otp_device": device.persistent_id, "otp_token": _code(device)},
    )
    assert response.status_code == 302
    page = client.get("/admin/")
    assert page.status_code == 200
    assert b"Tenants" in page.content


def test_tenant_admin_requires_otp_and_admin_role_and_shows_only_own_rows(
    alpha: TenantFixture, beta: TenantFixture
) -> None:
    plain = login_client(alpha, alpha.owner)
    assert plain.get("/admin/").status_code == 302  # owner, but no verified device
    device = _totp_device(alpha.owner)
    client = _login_with_otp(alpha, alpha.owner, device)
    assert client.get("/admin/").status_code == 200
    listing = client.get("/admin/tenants/membership/").content.decode()
    assert "owner@alpha.in" in listing
    assert "owner@beta.in" not in listing
    beta_membership = Membership.objects.get(tenant=beta.tenant, user=beta.owner)
    assert client.get(f"/admin/tenants/membership/{beta_membership.pk}/change/").status_code in (302, 404)
    assert client.get("/admin/tenants/tenant/").status_code == 403  # platform models stay on the public admin
    viewer = make_member(alpha.tenant, Role.VIEWER)
    viewer_client = _login_with_otp(alpha, viewer, _totp_device(viewer))
    assert viewer_client.get("/admin/").status_code == 302


# --- Login lockout (django-axes) ----------------------------------------------------------------


def test_lockout_after_configured_failures(alpha: TenantFixture) -> None:
    client = alpha.client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post("/login/", {"username": alpha.owner.email, "password": "wrong-password-123"})
        assert response.status_code == 200
    # The failure that reaches the limit locks the account at once...
    fifth = client.post("/login/", {"username": alpha.owner.email, "password": "wrong-password-123"})
    assert fifth.status_code == 429
    # ...and then even the right password is refused.
    locked = client.post("/login/", {"username": alpha.owner.email, "password": PASSWORD})
    assert locked.status_code == 429
    assert b"Too many attempts" in locked.content
    # Another address is not locked out (lockout is per user and IP).
    other = alpha.client().post(
        "/login/", {"username": alpha.owner.email, "password": PASSWORD}, REMOTE_ADDR="10.0.0.9"
    )
    assert other.status_code == 302


def test_lockout_limit_is_configurable(alpha: TenantFixture, settings) -> None:  # type: ignore[no-untyped-def]
    settings.AXES_FAILURE_LIMIT = 2
    client = alpha.client()
    assert client.post("/login/", {"username": alpha.owner.email, "password": "wrong-1234567"}).status_code == 200
    assert client.post("/login/", {"username": alpha.owner.email, "password": "wrong-1234567"}).status_code == 429
    assert client.post("/login/", {"username": alpha.owner.email, "password": PASSWORD}).status_code == 429


def test_otp_step_gives_up_after_five_wrong_codes(alpha: TenantFixture) -> None:
    _totp_device(alpha.owner)
    client = alpha.client()
    client.post("/login/", {"username": alpha.owner.email, "password": PASSWORD})
    for _ in range(4):
        assert client.post("/login/otp/", {"token": "000000"}).status_code == 200
    # The fifth wrong code reaches django-axes' failure limit too: the attempt ends in a lockout.
    assert client.post("/login/otp/", {"token": "000000"}).status_code == 429
    assert client.get("/login/otp/").url == "/login/"
    assert client.get("/api/v1/me/").status_code == 401


def test_backup_code_works_once(alpha: TenantFixture) -> None:
    device = TOTPDevice.objects.create(user=alpha.owner, name="phone", confirmed=False)
    codes = two_factor_confirm(device=device)
    assert len(codes) == settings.OTP_BACKUP_CODE_COUNT
    client = alpha.client()
    client.post("/login/", {"username": alpha.owner.email, "password": PASSWORD})
    assert client.post("/login/otp/", {"token": codes[0]}).url == "/"
    again = alpha.client()
    again.post("/login/", {"username": alpha.owner.email, "password": PASSWORD})
    assert again.post("/login/otp/", {"token": codes[0]}).status_code == 200  # used up


# --- Sessions -----------------------------------------------------------------------------------


def test_session_expires_after_idle_timeout(alpha: TenantFixture) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = login_client(alpha, alpha.owner)
        assert client.get("/api/v1/me/").status_code == 200
        clock.shift(timedelta(seconds=settings.SESSION_IDLE_TIMEOUT - 60))
        assert client.get("/api/v1/me/").status_code == 200  # activity keeps it alive
        clock.shift(timedelta(seconds=settings.SESSION_IDLE_TIMEOUT - 60))
        assert client.get("/api/v1/me/").status_code == 200
        clock.shift(timedelta(seconds=settings.SESSION_IDLE_TIMEOUT + 61))
        assert client.get("/api/v1/me/").status_code == 401
        page = client.get("/team/")
        assert page.status_code == 302
        assert page.url.startswith("/login/")


def test_session_expires_after_absolute_timeout_even_when_active(alpha: TenantFixture) -> None:
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = login_client(alpha, alpha.owner)
        for _ in range(settings.SESSION_ABSOLUTE_TIMEOUT // 600 - 1):
            clock.shift(timedelta(minutes=10))
            assert client.get("/api/v1/me/").status_code == 200
        clock.shift(timedelta(minutes=11))
        assert client.get("/api/v1/me/").status_code == 401


def test_tenant_can_require_2fa(alpha: TenantFixture) -> None:
    Tenant.objects.filter(pk=alpha.tenant.pk).update(require_2fa=True)
    analyst = make_member(alpha.tenant, Role.ANALYST)
    client = login_client(alpha, analyst)
    response = client.get("/api/v1/me/")
    assert response.status_code == 403
    assert response.json()["code"] == "otp_required"
    page = client.get("/team/")
    assert page.status_code == 302
    assert page.url == "/account/2fa/"
    assert client.get("/account/2fa/").status_code == 200  # the set-up page itself stays reachable
    verified = _login_with_otp(alpha, analyst, _totp_device(analyst))
    assert verified.get("/api/v1/me/").status_code == 200
    # API keys are not people: the 2FA rule does not apply to them.
    assert alpha.key_client().get("/api/v1/me/").status_code == 200


# --- Passwords and settings ---------------------------------------------------------------------


def test_production_hasher_is_argon2() -> None:
    from suresh_ai.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    argon2 = Argon2PasswordHasher()
    encoded = argon2.encode("a-long-test-passphrase-42", argon2.salt())
    assert encoded.startswith("argon2$argon2id$")
    assert argon2.verify("a-long-test-passphrase-42", encoded)
    assert not argon2.verify("a-long-test-passphrase-43", encoded)


@pytest.mark.parametrize(
    ("password", "reason"),
    [("short-pw-1", "at least 12"), ("password1234", "too common"), ("123456789012345", "entirely numeric")],
)
def test_password_rules(db: None, password: str, reason: str) -> None:
    from suresh_ai.errors import ValidationFailed
    from tenants.services import user_create

    with pytest.raises(ValidationFailed) as excinfo:
        user_create(email="new@x.in", password=password)
    assert reason in excinfo.value.message
    assert not User.objects.filter(email="new@x.in").exists()


def _import_production(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    return subprocess.run(
        [sys.executable, "-c", "import suresh_ai.settings.production"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
        cwd=settings.BASE_DIR,
    )


def test_production_refuses_debug_and_default_secret() -> None:
    strong = "x" * 50
    assert "DEBUG must be off" in _import_production(DEBUG="true", SECRET_KEY=strong).stderr
    assert "Set SECRET_KEY" in _import_production().stderr
    ok = _import_production(SECRET_KEY=strong)
    assert ok.returncode == 0, ok.stderr


def test_security_headers_and_csrf(alpha: TenantFixture) -> None:
    response = alpha.client().get("/login/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    strict = Client(HTTP_HOST=alpha.host, enforce_csrf_checks=True)
    assert strict.post("/login/", {"username": alpha.owner.email, "password": PASSWORD}).status_code == 403
    session = Client(HTTP_HOST=alpha.host, enforce_csrf_checks=True)
    session.force_login(alpha.owner)
    denied = session.post(
        "/api/v1/invitations/", {"email": "a@b.in", "role": "viewer"}, content_type="application/json"
    )
    assert denied.status_code == 403
    assert denied.json()["code"] == "permission_denied"


def test_cors_allow_list(alpha: TenantFixture, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CORS_ALLOWED_ORIGINS = ["https://shop.alpha.in"]
    client = alpha.key_client()
    allowed = client.get("/api/v1/me/", HTTP_ORIGIN="https://shop.alpha.in")
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://shop.alpha.in"
    other = client.get("/api/v1/me/", HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in other.headers


def test_tenant_admin_role_edits_keep_the_owner_rules(alpha: TenantFixture) -> None:
    admin_user = make_member(alpha.tenant, Role.ADMIN)
    client = _login_with_otp(alpha, admin_user, _totp_device(admin_user))
    owner = Membership.objects.get(tenant=alpha.tenant, user=alpha.owner)
    client.post(f"/admin/tenants/membership/{owner.pk}/change/", {"role": "viewer"})
    assert Membership.objects.get(pk=owner.pk).role == Role.OWNER  # an admin cannot demote an owner
    analyst = Membership.objects.get(user=make_member(alpha.tenant, Role.ANALYST))
    client.post(f"/admin/tenants/membership/{analyst.pk}/change/", {"role": "viewer"})
    assert Membership.objects.get(pk=analyst.pk).role == Role.VIEWER


def test_forged_forwarded_for_does_not_escape_lockout(alpha: TenantFixture) -> None:
    client = alpha.client()
    wrong = {"username": alpha.owner.email, "password": "wrong-password-123"}
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", wrong, HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt}")
    right = {"username": alpha.owner.email, "password": PASSWORD}
    assert client.post("/login/", right, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429


def test_staff_can_manage_devices_in_public_admin(db: None) -> None:
    staff = User.objects.create_user(email="ops@platform.in", password=PASSWORD, is_staff=True, is_superuser=True)
    device = _totp_device(staff)
    client = Client(HTTP_HOST="localhost")
    client.post(
        "/admin/login/",
        {"username": staff.email, "password": PASSWORD, "otp_device": device.persistent_id, "otp_token": _code(device)},
    )
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 200
    assert client.get("/admin/otp_static/staticdevice/").status_code == 200
