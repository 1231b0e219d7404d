"""Tenant pages: home, team, API keys and branding. Forms validate; services write."""

from __future__ import annotations

import base64

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from suresh_ai.errors import ApplicationError
from suresh_ai.tenancy import is_verified, request_tenant
from tenants import selectors, services
from tenants.forms import ApiKeyForm, BrandingForm, InviteForm, RoleForm, form_apply_errors
from tenants.models import Invitation, Role
from tenants.views.auth import member_required

LOGO_TYPES = {"image/png": "png", "image/jpeg": "jpeg", "image/webp": "webp"}


@member_required()
def home(request: HttpRequest) -> HttpResponse:
    from intelligence.models import Customer, Event, Order

    tenant = request_tenant(request)
    has_data = Order.objects.exists() or Event.objects.exists() or Customer.objects.exists()
    return render(
        request,
        "pages/home.html",
        {
            "members": selectors.memberships_of(tenant=tenant).count(),
            "keys": selectors.api_keys_of(tenant=tenant).filter(revoked_at__isnull=True).count(),
            "has_2fa": is_verified(request.user),  # type: ignore[union-attr]
            "has_data": has_data,
        },
    )


@member_required()
@require_http_methods(["GET", "POST"])
def team(request: HttpRequest) -> HttpResponse:
    tenant = request_tenant(request)
    membership = request.membership  # type: ignore[attr-defined]
    can_manage = membership.role in (Role.OWNER, Role.ADMIN)
    form = InviteForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            return render(request, "errors/403.html", {"message": "Only owners and admins can invite."}, status=403)
        if form.is_valid():
            try:
                services.invitation_create(
                    tenant=tenant,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    invited_by=request.user,  # type: ignore[arg-type]
                    actor_role=membership.role,
                )
            except ApplicationError as exc:
                form_apply_errors(form, exc)
            else:
                messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
                return redirect("team")
    return render(
        request,
        "pages/team.html",
        {
            "form": form,
            "members": selectors.memberships_of(tenant=tenant).order_by("created_at"),
            "invitations": selectors.invitations_of(tenant=tenant).filter(status=Invitation.Status.PENDING),
            "can_manage": can_manage,
            "roles": Role.choices,
            "invitation_days": settings.INVITATION_TTL_DAYS,
        },
    )


@member_required(Role.ADMIN)
@require_POST
def member_role(request: HttpRequest, pk: int) -> HttpResponse:
    membership = get_object_or_404(selectors.memberships_of(tenant=request_tenant(request)), pk=pk)  # type: ignore[attr-defined]
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a valid role.")
        return redirect("team")
    try:
        services.membership_change_role(
            membership=membership,
            role=form.cleaned_data["role"],
            actor_role=request.membership.role,  # type: ignore[attr-defined]
        )
        messages.success(request, f"{membership.user.email} is now {form.cleaned_data['role']}.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("team")


@member_required(Role.ADMIN)
@require_POST
def member_remove(request: HttpRequest, pk: int) -> HttpResponse:
    membership = get_object_or_404(selectors.memberships_of(tenant=request_tenant(request)), pk=pk)  # type: ignore[attr-defined]
    try:
        services.membership_remove(membership=membership, actor_role=request.membership.role)  # type: ignore[attr-defined]
        messages.success(request, f"{membership.user.email} was removed.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("team")


@member_required(Role.ADMIN)
@require_POST
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(selectors.invitations_of(tenant=request_tenant(request)), pk=pk)  # type: ignore[attr-defined]
    try:
        services.invitation_revoke(invitation=invitation)
        messages.success(request, f"Invitation to {invitation.email} revoked.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("team")


@never_cache  # the page can show a new key: browsers must not keep it
@member_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def api_keys(request: HttpRequest) -> HttpResponse:
    tenant = request_tenant(request)
    form = ApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.api_key_create(
                tenant=tenant,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.cleaned_data["expires_at"],
                created_by=request.user,  # type: ignore[arg-type]
            )
        except ApplicationError as exc:
            form_apply_errors(form, exc)
        else:
            new_key = issued.raw_key
            form = ApiKeyForm()
    return render(
        request,
        "pages/api_keys.html",
        {"form": form, "keys": selectors.api_keys_of(tenant=tenant).order_by("-created_at"), "new_key": new_key},
    )


@member_required(Role.ADMIN)
@require_POST
def api_key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    api_key = get_object_or_404(selectors.api_keys_of(tenant=request_tenant(request)), pk=pk)  # type: ignore[attr-defined]
    services.api_key_revoke(api_key=api_key)
    messages.success(request, f"Key {api_key.name} revoked.")
    return redirect("api-keys")


@member_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def branding(request: HttpRequest) -> HttpResponse:
    tenant = request_tenant(request)
    initial = {
        "display_name": tenant.display_name,
        "primary_colour": tenant.primary_colour,
        "support_email": tenant.support_email,
        "email_sender_name": tenant.email_sender_name,
        "require_2fa": tenant.require_2fa,
    }
    form = BrandingForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in initial}
        if data["require_2fa"] != tenant.require_2fa and request.membership.role != Role.OWNER:  # type: ignore[attr-defined]
            form.add_error("require_2fa", "Only an owner can change this.")
        else:
            upload = form.cleaned_data.get("logo")
            if form.cleaned_data.get("remove_logo"):
                data["logo"] = ""
            elif upload is not None:
                if upload.content_type not in LOGO_TYPES or upload.size > settings.MAX_LOGO_BYTES:
                    form.add_error(
                        "logo", f"Upload a PNG, JPEG or WebP of at most {settings.MAX_LOGO_BYTES // 1024} KB."
                    )
                else:
                    encoded = base64.b64encode(upload.read()).decode()
                    data["logo"] = f"data:image/{LOGO_TYPES[upload.content_type]};base64,{encoded}"
            if not form.errors:
                try:
                    services.tenant_update_branding(
                        tenant=tenant,
                        data=data,
                        actor_role=request.membership.role,  # type: ignore[attr-defined]
                    )
                except ApplicationError as exc:
                    form_apply_errors(form, exc)
                else:
                    messages.success(request, "Branding saved.")
                    return redirect("branding")
    return render(request, "pages/branding.html", {"form": form})
