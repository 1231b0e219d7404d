"""Template context: the brand and the signed-in member's role for the current tenant."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from tenants.emails import brand_for
from tenants.models import Membership


def branding(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None)
    is_public = tenant is None or tenant.schema_name == "public"
    role = None
    user = getattr(request, "user", None)
    if not is_public and user is not None and user.is_authenticated:
        membership = getattr(request, "membership", None)
        if membership is None:
            membership = Membership.objects.filter(tenant=tenant, user=user).only("role").first()
        role = membership.role if membership else None
    return {"brand": brand_for(None if is_public else tenant), "is_public_site": is_public, "member_role": role}
