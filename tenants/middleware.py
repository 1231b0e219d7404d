"""Tenant routing: the Host header picks the tenant (and its schema) from the Domain table."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.utils import get_public_schema_name

from suresh_ai.api.errors import api_or_page_error
from suresh_ai.tenancy import db
from tenants.models import Tenant
from tenants.selectors import partner_for_host, tenant_for_host

# Probes come from load balancers by IP, not by tenant host: they always run on the public schema.
HOSTLESS_PATHS = frozenset({"/healthz", "/readyz"})
# What a white-label partner's own domain serves (ops.status: the status page in its brand).
PARTNER_PATHS = frozenset({"/status/"})


class TenantMiddleware(TenantMainMiddleware):
    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        db().set_schema_to_public()
        if request.path in HOSTLESS_PATHS:
            request.tenant = Tenant(schema_name=get_public_schema_name(), name="public")  # type: ignore[attr-defined]
            self.setup_url_routing(request, force_public=True)
            return None
        host = request.META.get("HTTP_HOST", "") or request.META.get("SERVER_NAME", "")
        hostname = host.rsplit(":", 1)[0].lower() if not host.startswith("[") else host
        if hostname.startswith("www."):
            hostname = hostname[4:]
        # API calls with a key may use the per-process cache; pages always read fresh rows.
        cached = request.META.get("HTTP_AUTHORIZATION", "").startswith("Bearer ")
        tenant = tenant_for_host(hostname=hostname, cached=cached) if hostname else None
        if tenant is None:
            if request.path in PARTNER_PATHS and partner_for_host(hostname=hostname) is not None:
                # A white-label partner's own domain serves the platform's status page in its brand.
                request.tenant = Tenant(schema_name=get_public_schema_name(), name="public")  # type: ignore[attr-defined]
                self.setup_url_routing(request, force_public=True)
                return None
            return api_or_page_error(request, 400, "invalid_host", f'No site is served at "{hostname[:100]}".')
        if tenant.status == Tenant.Status.SUSPENDED:
            return api_or_page_error(request, 403, "tenant_suspended", "This workspace is suspended. Contact support.")
        tenant.domain_url = hostname
        request.tenant = tenant  # type: ignore[attr-defined]
        db().set_tenant(tenant)
        self.setup_url_routing(request)
        return None
