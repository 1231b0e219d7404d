"""Who may do what in a tenant: members by role, API keys by scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from suresh_ai.tenancy import is_verified, request_tenant
from tenants.models import ROLE_RANK, ApiKey, Membership, Role, User

# A scope grants itself and every scope below it.
SCOPE_RANK = {"read": 0, "write": 1, "admin": 2}


@dataclass(frozen=True)
class Principal:
    """Who is calling: a member (with a role) or an API key (with scopes)."""

    user: User | None = None
    membership: Membership | None = None
    api_key: ApiKey | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def role(self) -> str | None:
        return self.membership.role if self.membership else None

    def has_role(self, minimum: str) -> bool:
        return self.role is not None and ROLE_RANK[Role(self.role)] >= ROLE_RANK[Role(minimum)]

    def has_scope(self, needed: str) -> bool:
        return any(SCOPE_RANK[s] >= SCOPE_RANK[needed] for s in self.scopes if s in SCOPE_RANK)

    @property
    def acting_role(self) -> str:
        """The role a key acts with when it changes the team: admin scope acts as an admin."""
        if self.api_key is not None:
            return Role.ADMIN if self.has_scope("admin") else Role.VIEWER
        return self.role or Role.VIEWER


def principal_for(request: Request) -> Principal | None:
    cached = getattr(request, "_principal", None)
    if cached is not None:
        return cached
    tenant = getattr(request, "tenant", None)
    principal: Principal | None = None
    if isinstance(request.auth, ApiKey):
        principal = Principal(api_key=request.auth, scopes=frozenset(request.auth.scopes))
    elif request.user is not None and request.user.is_authenticated and tenant is not None:
        membership = Membership.objects.filter(tenant=tenant, user=request.user).first()
        if membership is not None:
            principal = Principal(user=request.user, membership=membership)
    request._principal = principal  # type: ignore[attr-defined]
    return principal


class IsTenantMember(BasePermission):
    """Reads need ``view.read_role``/``read_scope``; writes need ``view.write_role``/``write_scope``."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.auth is None and (request.user is None or not request.user.is_authenticated):
            raise exceptions.NotAuthenticated()
        principal = principal_for(request)
        if principal is None:
            raise exceptions.PermissionDenied("You are not a member of this workspace.")
        if principal.user is not None and request_tenant(request).require_2fa and not is_verified(request.user):
            raise exceptions.PermissionDenied(
                "This workspace requires two-factor sign-in. Set it up at /account/2fa/.", code="otp_required"
            )
        safe = request.method in SAFE_METHODS
        role = getattr(view, "read_role" if safe else "write_role", Role.VIEWER if safe else Role.ADMIN)
        scope = getattr(view, "read_scope" if safe else "write_scope", "read" if safe else "write")
        if principal.api_key is not None:
            if not principal.has_scope(scope):
                raise exceptions.PermissionDenied(f"This API key needs the {scope} scope.", code="insufficient_scope")
        elif not principal.has_role(role):
            raise exceptions.PermissionDenied(f"This needs the {role} role or higher.", code="insufficient_role")
        return True


class IsPlatformStaff(BasePermission):
    """Platform staff signed in with a verified second factor, on the platform's own domain."""

    def has_permission(self, request: Request, view: Any) -> bool:
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.schema_name != "public":
            raise exceptions.NotFound()
        if request.user is None or not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        if not request.user.is_staff:
            raise exceptions.PermissionDenied("Only platform staff can do this.")
        if not is_verified(request.user):
            raise exceptions.PermissionDenied("Sign in with your second factor first.", code="otp_required")
        return True
