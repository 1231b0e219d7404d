"""Admin for tenancy: platform staff see everything on the public domain; tenant admins their own."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from suresh_ai.admin_site import admin_site, is_public_request, tenant_admin_role
from suresh_ai.errors import ApplicationError
from tenants import services
from tenants.forms import TenantCreateForm, form_apply_errors
from tenants.models import ApiKey, Domain, Invitation, Membership, Partner, Role, Tenant, User


class PlatformOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Visible only to platform staff on the public domain."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_public_request(request) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_public_request(request) and super().has_view_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_public_request(request) and super().has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_public_request(request) and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_public_request(request) and super().has_delete_permission(request, obj)


class ReadOnlyPlatformAdmin(PlatformOnlyAdmin):
    """Records the system writes (billing events, operations history, backups): platform staff
    look; nobody adds, changes or deletes them here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TenantScopedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Platform staff see all rows; on a tenant domain its owners and admins see only its rows."""

    tenant_field = "tenant"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if is_public_request(request):
            return queryset
        return queryset.filter(**{self.tenant_field: request.tenant})  # type: ignore[attr-defined]

    def _tenant_admin(self, request: HttpRequest) -> bool:
        return tenant_admin_role(request) is not None

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._tenant_admin(request) or (is_public_request(request) and super().has_module_permission(request))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._tenant_admin(request) or (is_public_request(request) and super().has_view_permission(request, obj))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._tenant_admin(request) or (
            is_public_request(request) and super().has_change_permission(request, obj)
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._tenant_admin(request) or (
            is_public_request(request) and super().has_delete_permission(request, obj)
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        # New members, invitations and keys go through their services (web app or API), never raw rows.
        return False


class DomainInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Domain
    extra = 0


@admin.register(Tenant, site=admin_site)
class TenantAdmin(PlatformOnlyAdmin):
    list_display = ("name", "schema_name", "status", "plan", "partner", "created_at")
    list_filter = ("status", "plan", "partner")
    search_fields = ("name", "slug", "schema_name")
    # restricted_after is computed from the subscription (billing.services.subscriptions) and written
    # there; an edit here would be overwritten, and the form's whole-second widget would cut it.
    readonly_fields = ("schema_name", "slug", "created_at", "restricted_after")
    inlines = (DomainInline,)

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        """Adding a tenant runs tenants.services.tenant_create, like sign-up, the API and add_tenant."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = TenantCreateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                created = services.tenant_create(
                    name=data["name"],
                    slug=data["slug"],
                    owner_email=data["owner_email"],
                    owner_password=data["owner_password"] or None,
                    partner=data["partner"],
                    custom_domain=data["custom_domain"] or None,
                )
            except ApplicationError as exc:
                form_apply_errors(form, exc)
            else:
                self.message_user(request, f"Created {created.tenant.name} at {created.domain}.", messages.SUCCESS)
                return redirect(reverse("admin:tenants_tenant_change", args=[created.tenant.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Add tenant",
            "form": form,
            "opts": self.model._meta,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/tenants/tenant/add_form.html", context)


@admin.register(Partner, site=admin_site)
class PartnerAdmin(PlatformOnlyAdmin):
    list_display = ("name", "domain", "created_at")
    search_fields = ("name", "domain")


@admin.register(User, site=admin_site)
class UserAdmin(PlatformOnlyAdmin, DjangoUserAdmin):  # type: ignore[misc]
    ordering = ("email",)
    list_display = ("email", "full_name", "is_staff", "is_active", "date_joined")
    search_fields = ("email", "full_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("full_name",)}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    # Set by sign-in and sign-up; the form's whole-second widgets would cut them on every save.
    readonly_fields = ("last_login", "date_joined")


@admin.register(Membership, site=admin_site)
class MembershipAdmin(TenantScopedAdmin):
    list_display = ("user", "tenant", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__email",)
    readonly_fields = ("tenant", "user", "created_at")

    def _actor_role(self, request: HttpRequest) -> str:
        return Role.OWNER if is_public_request(request) else (tenant_admin_role(request) or Role.VIEWER)

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        """Role changes go through the service, so the owner rules hold in the admin too."""
        try:
            services.membership_change_role(membership=obj, role=obj.role, actor_role=self._actor_role(request))
        except ApplicationError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        try:
            services.membership_remove(membership=obj, actor_role=self._actor_role(request))
        except ApplicationError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        for membership in queryset:
            self.delete_model(request, membership)


class ReadOnlyWithServiceActions(TenantScopedAdmin):
    """Rows are read-only in the admin: editing an invitation or key field by field could forge an
    owner invitation or revive a revoked key. Changes go through services, as admin actions."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Invitation, site=admin_site)
class InvitationAdmin(ReadOnlyWithServiceActions):
    list_display = ("email", "tenant", "role", "status", "created_at", "expires_at")
    list_filter = ("status", "role")
    search_fields = ("email",)
    exclude = ("token_hash",)
    actions = ("revoke_invitations",)

    @admin.action(description="Revoke the selected pending invitations")
    def revoke_invitations(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        pending = list(queryset.filter(status=Invitation.Status.PENDING))
        for invitation in pending:
            services.invitation_revoke(invitation=invitation)
        self.message_user(request, f"Revoked {len(pending)} invitation(s).", messages.SUCCESS)


@admin.register(ApiKey, site=admin_site)
class ApiKeyAdmin(ReadOnlyWithServiceActions):
    list_display = ("name", "prefix", "tenant", "scopes", "created_at", "last_used_at", "revoked_at")
    search_fields = ("name", "prefix")
    exclude = ("key_hash",)
    actions = ("revoke_keys",)

    @admin.action(description="Revoke the selected API keys")
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        active = list(queryset.filter(revoked_at__isnull=True))
        for api_key in active:
            services.api_key_revoke(api_key=api_key)
        self.message_user(request, f"Revoked {len(active)} key(s).", messages.SUCCESS)


# Platform staff manage people's second factors (e.g. a lost phone) on the public admin only.
@admin.register(TOTPDevice, site=admin_site)
class PlatformTOTPDeviceAdmin(PlatformOnlyAdmin, TOTPDeviceAdmin):  # type: ignore[misc]
    pass


@admin.register(StaticDevice, site=admin_site)
class PlatformStaticDeviceAdmin(PlatformOnlyAdmin, StaticDeviceAdmin):  # type: ignore[misc]
    pass
