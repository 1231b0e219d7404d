"""Cache invalidation only (no business flow): any write to a tenant, domain or API key empties the
per-process tenancy cache in every process (see suresh_ai.localcache)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from tenants.models import ApiKey, Domain, Tenant
from tenants.selectors import tenancy_cache


@receiver([post_save, post_delete], sender=Tenant)
@receiver([post_save, post_delete], sender=Domain)
@receiver([post_save, post_delete], sender=ApiKey)
def _tenancy_changed(**_kwargs: Any) -> None:
    # Drop this process's copy now, and tell the others once the change is committed: a bump before
    # the commit would let another process re-cache the old row under the new version.
    tenancy_cache.clear()
    transaction.on_commit(tenancy_cache.bump)
