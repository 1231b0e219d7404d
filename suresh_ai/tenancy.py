"""Typed access to what django-tenants and django-otp attach at run time (request.tenant,
connection.schema_name, user.is_verified), so the rest of the code stays checkable by mypy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import connection

if TYPE_CHECKING:
    from tenants.models import Tenant


def request_tenant(request: Any) -> Tenant:
    """The tenant TenantMiddleware resolved from the Host header."""
    return request.tenant  # type: ignore[no-any-return]


def db() -> Any:
    """The tenant-aware connection (set_tenant, set_schema_to_public, schema_name, tenant)."""
    return connection


def is_verified(user: Any) -> bool:
    """True when the user signed in with a second factor during this session."""
    check = getattr(user, "is_verified", None)
    return bool(check()) if callable(check) else False
