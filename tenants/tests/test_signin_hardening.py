"""Sign-in hardening: the session key changes at each sign-in step (no fixation), and one-time codes
are throttled per user and per (user, address) with a cool-off after which the right code works."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from suresh_ai.testing import PASSWORD, TenantFixture
from tenants.services import two_factor_confirm


def _device(fixture: TenantFixture) -> tuple[TOTPDevice, list[str]]:
    device = TOTPDevice.objects.create(user=fixture.owner, name="phone", confirmed=False)
    codes = two_factor_confirm(device=device)
    return device, codes


def _code(device: TOTPDevice, *, offset: int = 0) -> str:
    device.refresh_from_db()
    return f"{(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits) + offset) % 10**6:06d}"


def _password_step(client: Client, fixture: TenantFixture) -> None:
    response = client.post("/login/", {"username": fixture.owner.email, "password": PASSWORD})
    assert (response.status_code, response.url.split("?")[0]) == (302, "/login/otp/")


def test_session_key_rotates_after_the_password_step_and_after_the_code(alpha: TenantFixture) -> None:
    device, _ = _device(alpha)
    planted = SessionStore()
    planted["planted"] = True
    planted.create()
    client = alpha.client()
    client.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key
    _password_step(client, alpha)
    pending_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert pending_key != planted.session_key
    # Whoever planted the old key holds nothing: the pending sign-in is not theirs to finish.
    attacker = alpha.client()
    attacker.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key
    assert attacker.get("/login/otp/").url == "/login/"
    done = client.post("/login/otp/", {"token": _code(device)})
    assert (done.status_code, done.url) == (302, "/")
    assert client.cookies[settings.SESSION_COOKIE_NAME].value not in (pending_key, planted.session_key)
    assert client.get("/api/v1/me/").status_code == 200
    stale = alpha.client()
    stale.cookies[settings.SESSION_COOKIE_NAME] = pending_key
    assert stale.get("/api/v1/me/").status_code == 401


def test_wrong_codes_lock_the_address_out_and_the_right_code_works_after_the_cool_off(alpha: TenantFixture) -> None:
    """The review's case: 20 wrong codes in a few seconds (signing in again whenever the step gave
    up) left the right code refused for days. Now wrong codes count toward the lockout, and once
    the cool-off has passed the right code signs in."""
    device, _ = _device(alpha)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = alpha.client()
        refused = 0
        for _ in range(20):
            response = client.post("/login/", {"username": alpha.owner.email, "password": PASSWORD})
            if response.status_code == 429:
                refused += 1
                continue
            wrong = client.post("/login/otp/", {"token": _code(device, offset=500_000)})
            clock.shift(timedelta(seconds=0.3))
            if wrong.status_code == 429:
                refused += 1
        # The fifth wrong code locked (email, IP) out: every later try was refused.
        assert refused == 20 - settings.AXES_FAILURE_LIMIT + 1
        locked = alpha.client()
        assert locked.post("/login/", {"username": alpha.owner.email, "password": PASSWORD}).status_code == 429
        # Another address is not locked out, but the per-user delay still holds it back.
        other = Client(HTTP_HOST=alpha.host, REMOTE_ADDR="10.9.9.9")
        _password_step(other, alpha)
        throttled = other.post("/login/otp/", {"token": _code(device)})
        assert throttled.status_code == 200
        assert b"Wait" in throttled.content
        clock.shift(settings.AXES_COOLOFF_TIME + timedelta(seconds=1))
        client = alpha.client()
        _password_step(client, alpha)
        done = client.post("/login/otp/", {"token": _code(device)})
        assert (done.status_code, done.url) == (302, "/")


def test_a_wrong_code_delays_the_next_try_for_that_user(alpha: TenantFixture) -> None:
    device, _ = _device(alpha)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = alpha.client()
        _password_step(client, alpha)
        assert client.post("/login/otp/", {"token": _code(device, offset=500_000)}).status_code == 200
        too_soon = client.post("/login/otp/", {"token": _code(device)})
        assert too_soon.status_code == 200
        assert b"Wait 1 s" in too_soon.content
        clock.shift(timedelta(seconds=1.5))
        done = client.post("/login/otp/", {"token": _code(device)})
        assert (done.status_code, done.url) == (302, "/")


def test_wrong_passwords_and_wrong_codes_share_one_count(alpha: TenantFixture) -> None:
    device, _ = _device(alpha)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = alpha.client()
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert client.post("/login/", {"username": alpha.owner.email, "password": "wrong-password-1"}).status_code
        _password_step(client, alpha)
        clock.shift(timedelta(seconds=5))
        assert client.post("/login/otp/", {"token": _code(device, offset=500_000)}).status_code == 429
