"""Reads for tenancy: always filtered by the tenant of the request."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from suresh_ai.localcache import VersionedLocalCache
from tenants.models import ApiKey, Domain, Invitation, Membership, Partner, Tenant

# Host → tenant and key prefix → key, cached per process for API requests; emptied on any write
# to Tenant, Domain or ApiKey (tenants.signals, tenants.services.api_key_revoke).
tenancy_cache = VersionedLocalCache("tenancy")


def memberships_of(*, tenant: Tenant) -> QuerySet[Membership]:
    # Only the columns the team views show: never load password hashes to list a team.
    return (
        Membership.objects.filter(tenant=tenant)
        .select_related("user")
        .only(
            "id", "role", "created_at", "tenant_id", "user__id", "user__email", "user__full_name", "user__date_joined"
        )
    )


MEMBER_ROW_FIELDS = ("id", "role", "created_at", "user__id", "user__email", "user__full_name", "user__date_joined")


def member_rows_of(*, tenant: Tenant) -> QuerySet[Membership, dict[str, Any]]:
    """memberships_of as plain rows for the API's member list, a hot read: building a model
    instance per member and user cost more CPU than the query (tenants.api.v1.serializers
    membership_row_data turns a row into the list's JSON)."""
    return memberships_of(tenant=tenant).values(*MEMBER_ROW_FIELDS)


def invitations_of(*, tenant: Tenant) -> QuerySet[Invitation]:
    return Invitation.objects.filter(tenant=tenant).select_related("invited_by")


def api_keys_of(*, tenant: Tenant) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(tenant=tenant).select_related("created_by")


def tenant_get(*, pk: int) -> Tenant:
    return Tenant.objects.get(pk=pk)


def tenants_of_user(*, user_id: int) -> QuerySet[Tenant]:
    return Tenant.objects.filter(memberships__user_id=user_id).exclude(schema_name="public").order_by("name")


def tenant_for_host(*, hostname: str, cached: bool) -> Tenant | None:
    """The tenant served at ``hostname``; ``cached`` allows the per-process cache (API requests)."""
    key = ("host", hostname)
    if cached:
        tenant = tenancy_cache.get(key)
        if tenant is not None:
            return tenant  # type: ignore[no-any-return]
    domain = Domain.objects.select_related("tenant").filter(domain=hostname).first()
    if domain is None:
        return None
    if cached:
        tenancy_cache.set(key, domain.tenant)
    return domain.tenant


def api_key_for_prefix(*, prefix: str) -> ApiKey | None:
    key = ("api_key", prefix)
    api_key = tenancy_cache.get(key)
    if api_key is None:
        api_key = ApiKey.objects.filter(prefix=prefix).first()
        if api_key is not None:
            tenancy_cache.set(key, api_key)
    return api_key  # type: ignore[no-any-return]


def seats_used(*, tenant: Tenant) -> int:
    """Members plus pending, unexpired invitations: what counts against the plan's seats."""
    from django.utils import timezone

    return (
        Membership.objects.filter(tenant=tenant).count()
        + Invitation.objects.filter(
            tenant=tenant, status=Invitation.Status.PENDING, expires_at__gt=timezone.now()
        ).count()
    )


def partner_for_host(*, hostname: str) -> Partner | None:
    """The white-label partner whose own domain this is (its public status page is served there)."""
    return Partner.objects.filter(domain=hostname.lower()).first() if hostname else None
