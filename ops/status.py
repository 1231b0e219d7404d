"""The public status page: is the platform up, each public component's uptime over 30 days, and
recent incidents. Served on the platform domain, and on a white-label partner's own domain in
that partner's brand."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from ops.uptime import status_summary
from tenants.selectors import partner_for_host

OVERALL = {
    "operational": "All systems operational",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
}


@require_GET
@cache_control(public=True, max_age=30)
def status_page(request: HttpRequest) -> HttpResponse:
    partner = partner_for_host(hostname=request.get_host().rsplit(":", 1)[0])
    brand = {"name": "SURESH AI ORIGIN", "colour": "#4f46e5", "logo": "", "support_email": ""}
    if partner is not None:
        brand = {
            "name": partner.display_name or partner.name,
            "colour": partner.primary_colour,
            # Stored as a validated data: URL (tenants.models.Branding), so it is shown inline.
            "logo": partner.logo if partner.logo.startswith("data:image/") else "",
            "support_email": partner.support_email,
        }
    summary = status_summary()
    context = {**summary, "brand": brand, "is_public_site": True, "overall_text": OVERALL[str(summary["overall"])]}
    return render(request, "ops/status.html", context)
