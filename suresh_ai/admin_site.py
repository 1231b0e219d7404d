"""The Django admin, behind verified two-factor on every domain.

On the public domain it serves platform staff (is_staff). On a tenant's domain it serves that
tenant's owners and admins, and every tenant-scoped model admin filters to that tenant.
"""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.admin import ModelAdmin, TabularInline
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_otp.admin import OTPAdminSite

from suresh_ai.tenancy import is_verified, request_tenant
from tenants.models import Membership, Role


def is_public_request(request: HttpRequest) -> bool:
    tenant = getattr(request, "tenant", None)
    return tenant is None or tenant.schema_name == settings.PUBLIC_SCHEMA_NAME


def tenant_admin_role(request: HttpRequest) -> str | None:
    """The member's role when it allows the tenant admin (owner or admin), else None."""
    if is_public_request(request) or not request.user.is_authenticated:
        return None
    cached = getattr(request, "_admin_role", False)
    if cached is not False:
        return cast(str | None, cached)
    membership = Membership.objects.filter(tenant=request_tenant(request), user=request.user).first()  # type: ignore[attr-defined]
    role = membership.role if membership and membership.role in (Role.OWNER, Role.ADMIN) else None
    request._admin_role = role  # type: ignore[attr-defined]
    return role


class SureshAdminSite(OTPAdminSite):
    site_header = "SURESH AI ORIGIN administration"
    site_title = "SURESH AI ORIGIN admin"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        if not (user.is_active and user.is_authenticated and is_verified(user)):  # type: ignore[union-attr]
            return False
        if is_public_request(request):
            return bool(user.is_staff)
        return tenant_admin_role(request) is not None

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """On a tenant's domain, owners and admins sign in through the app (password, then the
        two-factor step) and come back; django-otp's admin form admits only platform staff."""
        if not is_public_request(request):
            target = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index", current_app=self.name)
            return redirect(f"{reverse('login')}?{urlencode({'next': target})}")
        return super().login(request, extra_context)


admin_site = SureshAdminSite(name="admin")


class TenantReadOnlyAdmin(ModelAdmin):  # type: ignore[type-arg]
    """A tenant-schema model in the admin: visible to the owners and admins of the tenant whose
    domain this is, read-only (changes go through the web app and the API, where the services
    check them); ``may_delete`` lets those admins delete rows too. Fields in ``exclude`` stay hidden."""

    may_delete = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        hidden = set(self.exclude or ())
        return tuple(f.name for f in self.model._meta.fields if f.name not in hidden)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return tenant_admin_role(request) is not None

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return tenant_admin_role(request) is not None

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.may_delete and tenant_admin_role(request) is not None


class ReadOnlyInline(TabularInline):  # type: ignore[type-arg]
    """Rows shown under their parent in the admin, never added or deleted there."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return tuple(str(name) for name in self.fields or ())

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
