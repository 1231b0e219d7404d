"""Sign-up: the form (platform domain), the emailed link's page that creates the workspace, and the
one-time welcome that signs the new owner in on the workspace's own domain.

The form never tells whether an email has an account: it asks for no password, checks only the
workspace address and queues an email (the worker looks the address up). Whoever opens the emailed
link controls the inbox; only then does the page ask a new person to choose a password, or someone
with an account for theirs.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django_otp import user_has_device

from suresh_ai.api.ratelimit import limit_posts_per_ip
from suresh_ai.errors import ApplicationError
from tenants import services
from tenants.forms import SignupAccountPasswordForm, SignupForm, SignupNewPasswordForm, form_apply_errors
from tenants.models import Membership, Role, Tenant, User
from tenants.views.auth import (
    PENDING_ATTEMPTS_KEY,
    PENDING_USER_KEY,
    _complete_login,
    _is_public,
    _tenant,
    lockout_response,
    site_url,
)


@limit_posts_per_ip("signup", per_minute=1, burst=5)  # each sign-up sends an email
@require_http_methods(["GET", "POST"])
def signup_view(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None, initial={"referral": request.GET.get("ref", "")[:12]})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        signup = services.SignupRequest(
            company=data["company"].strip(),
            slug=data["slug"],
            email=data["email"].strip(),
            full_name=data["full_name"],
            referral=data.get("referral") or "",
        )
        try:
            services.signup_request_send(request=signup)
        except ApplicationError as exc:
            form_apply_errors(form, exc)
        else:
            return render(
                request,
                "auth/signup_sent.html",
                {"email": signup.email, "address": services.tenant_domain_for(signup.slug)},
            )
    return render(request, "auth/signup.html", {"form": form, "base_domain": settings.TENANT_BASE_DOMAIN})


def _existing_workspace(signup: services.SignupRequest) -> Tenant | None:
    """The workspace this link already created (opened twice, or in two tabs), if any."""
    tenant = Tenant.objects.filter(slug=signup.slug).first()
    if tenant and Membership.objects.filter(tenant=tenant, user__email__iexact=signup.email, role=Role.OWNER).exists():
        return tenant
    return None


@never_cache
@limit_posts_per_ip("signup-confirm", per_minute=6, burst=10)
@require_http_methods(["GET", "POST"])
def signup_confirm_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        signup = services.signup_request_read(token=token)
    except ApplicationError as exc:
        return render(request, "auth/signup_link_invalid.html", {"message": exc.message}, status=400)
    created_before = _existing_workspace(signup)
    if created_before is not None:
        url = site_url(services.tenant_domain_for(created_before.slug), "/login/")
        return render(request, "auth/signup_link_invalid.html", {"message": "", "login_url": url, "used": True})
    account = User.objects.filter(email__iexact=signup.email, is_active=True).first()
    form = (SignupAccountPasswordForm if account else SignupNewPasswordForm)(request.POST or None)
    if request.method == "POST" and form.is_valid():
        response = _create(request, form, signup, account)
        if response is not None:
            return response
    context = {
        "form": form,
        "signup": signup,
        "has_account": account is not None,
        "address": services.tenant_domain_for(signup.slug),
    }
    return render(request, "auth/signup_confirm.html", context)


def _create(
    request: HttpRequest, form: forms.Form, signup: services.SignupRequest, account: User | None
) -> HttpResponse | None:
    """Create the workspace and hand over to its domain; None (with errors on the form) if refused."""
    password = form.cleaned_data["password"]
    if account is not None:
        user = authenticate(request, username=account.email, password=password)
        if getattr(request, "axes_locked_out", False):
            return lockout_response(request)
        if user is None:
            form.add_error("password", "That password is wrong for this account.")
            return None
    try:
        created = services.signup_complete(request=signup, password=None if account else password)
    except ApplicationError as exc:
        form_apply_errors(form, exc)
        if isinstance(exc.detail, dict) and "slug" in exc.detail:
            form.add_error(None, "Sign up again with another workspace address.")
        return None
    ticket = services.welcome_token(user=created.owner, tenant=created.tenant)
    # The welcome page is on the workspace's domain, so it is in the tenant URLconf.
    welcome = reverse("signup-welcome", urlconf=settings.ROOT_URLCONF, args=[ticket])
    return redirect(site_url(created.domain, welcome))


@never_cache
@require_GET
def signup_welcome_view(request: HttpRequest, ticket: str) -> HttpResponse:
    """On the new workspace's domain: sign its owner in (through the two-factor step when the account
    has a device), once, within minutes of creating it."""
    if _is_public(request):
        return redirect("login")
    tenant = _tenant(request)
    user = services.welcome_token_user(token=ticket, tenant=tenant)
    if user is None:
        if request.user.is_authenticated:
            return redirect("home")
        messages.info(request, "Your workspace is ready. Sign in to open it.")
        return redirect("login")
    request.session.cycle_key()
    if user_has_device(user):
        request.session[PENDING_USER_KEY] = user.pk
        request.session[PENDING_ATTEMPTS_KEY] = 0
        messages.success(request, f"Your workspace {tenant.name} is ready. Enter your two-factor code to open it.")
        return redirect(f"{reverse('login-otp')}?next=/")
    _complete_login(request, user)
    messages.success(request, f"Your workspace {tenant.name} is ready, and you are signed in.")
    return redirect("home")
