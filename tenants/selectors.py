"""Reads for tenancy: always filtered by the tenant of the request."""

from __future__ import annotations

from django.db.models import QuerySet

from tenants.models import ApiKey, Invitation, Membership, Tenant


def memberships_of(*, tenant: Tenant) -> QuerySet[Membership]:
    return Membership.objects.filter(tenant=tenant).select_related("user")


def invitations_of(*, tenant: Tenant) -> QuerySet[Invitation]:
    return Invitation.objects.filter(tenant=tenant).select_related("invited_by")


def api_keys_of(*, tenant: Tenant) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(tenant=tenant).select_related("created_by")


def tenants_of_user(*, user_id: int) -> QuerySet[Tenant]:
    return Tenant.objects.filter(memberships__user_id=user_id).exclude(schema_name="public").order_by("name")
