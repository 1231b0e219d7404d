"""Sign-up, sign-in with the two-factor step, sign-out, invitations and two-factor set-up."""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable
from functools import wraps
from io import BytesIO
from typing import Any, cast
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.views import PasswordResetView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from suresh_ai.api.ratelimit import limit_posts_per_ip
from suresh_ai.errors import ApplicationError
from suresh_ai.tenancy import is_verified, request_tenant
from tenants import services
from tenants.emails import public_url
from tenants.forms import (
    AcceptInvitationForm,
    LoginForm,
    OtpForm,
    WorkspacePasswordResetForm,
    form_apply_errors,
)
from tenants.models import ROLE_RANK, Invitation, Membership, Role, Tenant, User, normalise_email
from tenants.otp import CodeCheck, otp_check, otp_locked_out

logger = logging.getLogger(__name__)

PENDING_USER_KEY = "otp_pending_user_id"
PENDING_ATTEMPTS_KEY = "otp_pending_attempts"
SETUP_DEVICE_KEY = "otp_setup_device_id"
MAX_OTP_ATTEMPTS = 5


def _tenant(request: HttpRequest) -> Tenant:
    return request_tenant(request)


def _is_public(request: HttpRequest) -> bool:
    return _tenant(request).schema_name == settings.PUBLIC_SCHEMA_NAME


site_url = public_url  # the name the web views use


def member_required(minimum: str = Role.VIEWER) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Page decorator: signed in, a member of this tenant with at least ``minimum``, 2FA when required."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if _is_public(request):
                return redirect("login")
            if not request.user.is_authenticated:
                if getattr(request, "session_expired", False):
                    messages.info(request, "You were signed out after a period of inactivity.")
                return redirect(f"{reverse('login')}?next={request.path}")
            membership = Membership.objects.filter(tenant=_tenant(request), user=request.user).first()
            if membership is None:
                logout(request)
                messages.error(request, "You are not a member of this workspace.")
                return redirect("login")
            request.membership = membership  # type: ignore[attr-defined]
            if _tenant(request).require_2fa and not is_verified(request.user) and view.__name__ != "two_factor":
                messages.warning(request, "This workspace requires two-factor sign-in. Set it up to continue.")
                return redirect("two-factor")
            if ROLE_RANK[Role(membership.role)] < ROLE_RANK[Role(minimum)]:
                return render(
                    request, "errors/403.html", {"message": f"This page needs the {minimum} role."}, status=403
                )
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def lockout_response(
    request: HttpRequest, credentials: dict[str, Any] | None = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    """django-axes calls this when an account is locked: a clear page, no hint of the password."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "auth/locked.html",
        {"minutes": minutes, "failures": settings.AXES_FAILURE_LIMIT},
        status=429,
    )


def lockout_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str:
    """The name django-axes counts failures under: the email, trimmed and lower-cased."""
    raw = (credentials or {}).get("username") or request.POST.get("username", "")
    return normalise_email(str(raw))


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _complete_login(request: HttpRequest, user: User, device: Any = None) -> None:
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    if device is not None:
        otp_login(request, device)
    request.session["auth_started_at"] = request.session["last_seen_at"] = int(time.time())
    request.session["tenant_schema"] = _tenant(request).schema_name


def _may_sign_in(request: HttpRequest, user: User) -> bool:
    """Members sign in; so does someone with a pending invitation here, to accept it."""
    tenant = _tenant(request)
    return (
        Membership.objects.filter(tenant=tenant, user=user).exists()
        or Invitation.objects.filter(
            tenant=tenant, email__iexact=user.email, status=Invitation.Status.PENDING, expires_at__gt=timezone.now()
        ).exists()
    )


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if _is_public(request):
        return redirect("login")
    form = LoginForm(request.POST or None, initial={"username": request.GET.get("email", "")})
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["username"].strip().lower()
        user = authenticate(request, username=email, password=form.cleaned_data["password"])
        if getattr(request, "axes_locked_out", False):
            return lockout_response(request)
        if user is not None and _may_sign_in(request, user):
            if user_has_device(user):
                # A new session key for the pending sign-in: a key planted before the password
                # step (session fixation) must not carry it. login() rotates again after the code.
                request.session.cycle_key()
                request.session[PENDING_USER_KEY] = user.pk
                request.session[PENDING_ATTEMPTS_KEY] = 0
                return redirect(f"{reverse('login-otp')}?next={_safe_next(request, reverse('home'))}")
            _complete_login(request, user)
            return redirect(_safe_next(request, reverse("home")))
        form.add_error(None, "The email or password is wrong, or this account has no access to this workspace.")
    return render(request, "auth/login.html", {"form": form, "next": request.GET.get("next", "")})


@require_http_methods(["GET", "POST"])
def login_otp_view(request: HttpRequest) -> HttpResponse:
    user_id = request.session.get(PENDING_USER_KEY)
    if user_id is None:
        return redirect("login")
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        request.session.flush()
        return redirect("login")
    if otp_locked_out(request, user):
        request.session.flush()
        return lockout_response(request)
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = otp_check(request, user=user, token=form.cleaned_data["token"])
        if check.device is not None:
            del request.session[PENDING_USER_KEY]
            _complete_login(request, user, check.device)
            return redirect(_safe_next(request, reverse("home")))
        if check.locked_out:
            request.session.flush()
            return lockout_response(request)
        attempts = request.session.get(PENDING_ATTEMPTS_KEY, 0) + 1
        request.session[PENDING_ATTEMPTS_KEY] = attempts
        if attempts >= MAX_OTP_ATTEMPTS:
            request.session.flush()
            messages.error(request, "Too many wrong codes. Sign in again.")
            return redirect("login")
        form.add_error("token", _wrong_code_message(check))
    return render(request, "auth/login_otp.html", {"form": form, "next": request.GET.get("next", "")})


def _wrong_code_message(check: CodeCheck) -> str:
    if check.wait_seconds:
        return f"Too many wrong codes in a row. Wait {check.wait_seconds} s, then enter the current code."
    return (
        "That code is not valid. Enter the current code from your app; after a wrong code, "
        "wait a few seconds before the next try."
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, "You are signed out.")
    return redirect("login")


@require_http_methods(["GET", "POST"])
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.invitation_find(token=token)
    except ApplicationError as exc:
        return render(request, "auth/invitation_invalid.html", {"message": exc.message}, status=404)
    if invitation.tenant_id != _tenant(request).pk:
        return render(
            request,
            "auth/invitation_invalid.html",
            {"message": "This invitation is for another workspace."},
            status=404,
        )
    existing = User.objects.filter(email__iexact=invitation.email).first()
    if existing is not None:
        if not request.user.is_authenticated or request.user.pk != existing.pk:
            messages.info(request, "Sign in with the invited email to accept the invitation.")
            return redirect(f"{reverse('login')}?" + urlencode({"email": existing.email, "next": request.path}))
        if request.method == "POST":
            services.invitation_accept(token=token, user=existing)
            messages.success(request, f"You joined {_tenant(request).brand_name}.")
            return redirect("home")
        return render(request, "auth/invitation_accept.html", {"invitation": invitation, "form": None})
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept_new_user(
                token=token, password=form.cleaned_data["password"], full_name=form.cleaned_data["full_name"]
            )
        except ApplicationError as exc:
            form_apply_errors(form, exc)
        else:
            _complete_login(request, user)
            messages.success(request, f"Welcome to {_tenant(request).brand_name}.")
            return redirect("home")
    return render(request, "auth/invitation_accept.html", {"invitation": invitation, "form": form})


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@never_cache  # shows the TOTP secret and backup codes: browsers must not keep them
@member_required()
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """Enrol a TOTP device (QR code), confirm it with a code, show backup codes once; or turn 2FA off."""
    user = cast(User, request.user)
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    action = request.POST.get("action")
    if confirmed is None:
        # Each session gets its own secret (others' unconfirmed ones are dropped): a secret shown
        # to anyone who once had the password must never become the one the owner confirms.
        device = TOTPDevice.objects.filter(user=user, confirmed=False, pk=request.session.get(SETUP_DEVICE_KEY)).first()
        if device is None:
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            device = TOTPDevice.objects.create(user=user, confirmed=False, name="Authenticator app")
            request.session[SETUP_DEVICE_KEY] = device.pk
        form = OtpForm(request.POST or None)
        if request.method == "POST" and action == "confirm" and form.is_valid():
            check = otp_check(request, user=user, token=form.cleaned_data["token"], device=device)
            if check.device is not None:
                codes = services.two_factor_confirm(device=device)
                otp_login(request, device)
                return render(request, "account/backup_codes.html", {"codes": codes})
            if check.locked_out:
                logout(request)
                return lockout_response(request)
            if check.wait_seconds:
                form.add_error("token", _wrong_code_message(check))
            else:
                form.add_error("token", "That code is not valid. Check the time on your phone and try again.")
        secret = base64.b32encode(device.bin_key).decode()
        return render(
            request,
            "account/two_factor_setup.html",
            {"form": form, "qr": _qr_svg(device.config_url), "secret": secret},
        )
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = otp_check(request, user=user, token=form.cleaned_data["token"])
        if check.locked_out:
            logout(request)
            return lockout_response(request)
        if check.device is None:
            form.add_error("token", _wrong_code_message(check) if check.wait_seconds else "That code is not valid.")
        elif action == "regenerate":
            codes = services.two_factor_backup_codes_reset(user=user)
            return render(request, "account/backup_codes.html", {"codes": codes})
        elif action == "disable":
            if _tenant(request).require_2fa:
                messages.error(request, "This workspace requires two-factor sign-in; it cannot be turned off.")
            else:
                services.two_factor_disable(user=user)
                messages.success(request, "Two-factor sign-in is off.")
            return redirect("two-factor")
    backup_left = StaticToken.objects.filter(device__user=user).count()
    return render(request, "account/two_factor_manage.html", {"form": form, "backup_left": backup_left})


@method_decorator(limit_posts_per_ip("password_reset", per_minute=2, burst=5), name="dispatch")
class BrandedPasswordResetView(PasswordResetView):
    """Django's reset flow, with the email carrying the brand of the domain it was asked on."""

    template_name = "auth/password_reset.html"
    email_template_name = "emails/password_reset.txt"
    html_email_template_name = "emails/password_reset.html"
    subject_template_name = "emails/password_reset_subject.txt"

    form_class = WorkspacePasswordResetForm

    def get_form(self, form_class: Any = None) -> Any:
        form: Any = super().get_form(form_class)
        form.tenant = _tenant(self.request)
        return form

    # The form hands sending to a worker (WorkspacePasswordResetForm.send_mail).
