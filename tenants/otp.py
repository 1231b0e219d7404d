"""Guessing defences for one-time codes, shared by sign-in, the two-factor page and the admin.

Two throttles stand in front of every code check:

* **per user** (all addresses): django-otp's growing delay on each device, 1, 2, 4, 8 … seconds
  after consecutive wrong codes. Left alone it grows without bound (20 wrong codes = six days, the
  right code refused all that while), so once ``AXES_COOLOFF_TIME`` has passed since a device's
  last wrong code its count starts again: the delay never outlasts the cool-off.
* **per user and address**: each wrong code is a failed sign-in for django-axes, counted with wrong
  passwords under the same (email, IP) pair; at ``AXES_FAILURE_LIMIT`` that pair is locked out for
  the cool-off, at the password step and at the code step alike.

After the cool-off the right code works again. docs/security.md describes the rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.models import Device

from tenants.models import User


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of one code: the device that accepted it, or why none did."""

    device: Device | None
    locked_out: bool = False  # the (email, IP) pair reached the failure limit
    wait_seconds: int = 0  # the per-user delay refused the attempt before any code was checked


def _credentials(user: User) -> dict[str, str]:
    return {"username": user.email}


def otp_locked_out(request: HttpRequest, user: User) -> bool:
    """True while the (email, IP) pair is locked out by django-axes."""
    return not AxesProxyHandler.is_allowed(request, _credentials(user))


def _relax_stale_throttles(devices: list[Device]) -> None:
    """Start the count again on devices whose last wrong code is older than the cool-off."""
    stale_before = timezone.now() - settings.AXES_COOLOFF_TIME
    for device in devices:
        stamp = getattr(device, "throttling_failure_timestamp", None)
        if stamp is not None and stamp <= stale_before:
            device.throttle_reset()  # type: ignore[attr-defined]


def _wait_seconds(devices: list[Device]) -> int:
    waits = []
    for device in devices:
        allowed, data = device.verify_is_allowed()
        if not allowed and data and data.get("locked_until"):
            waits.append(max(1, int((data["locked_until"] - timezone.now()).total_seconds() + 0.999)))
    return max(waits, default=0)


def otp_check(request: HttpRequest, *, user: User, token: str, device: Device | None = None) -> CodeCheck:
    """Check ``token`` against ``device`` (or every confirmed device of ``user``) behind both
    throttles. A wrong or throttled code counts as a failed sign-in for (email, IP)."""
    if otp_locked_out(request, user):
        return CodeCheck(device=None, locked_out=True)
    token = token.replace(" ", "")
    with transaction.atomic():  # devices are locked (select_for_update) while their counts change
        devices = [device] if device is not None else list(devices_for_user(user, for_verify=True))
        _relax_stale_throttles(devices)
        wait = _wait_seconds(devices)
        matched = None if wait else next((d for d in devices if d.verify_token(token)), None)
        if matched is not None:
            for other in devices:
                if other.pk != matched.pk or type(other) is not type(matched):
                    other.throttle_reset()  # type: ignore[attr-defined]
            return CodeCheck(device=matched)
    user_login_failed.send(sender=__name__, credentials=_credentials(user), request=request)
    return CodeCheck(
        device=None,
        locked_out=bool(getattr(request, "axes_locked_out", False)) or otp_locked_out(request, user),
        wait_seconds=wait,
    )
