"""Liveness and readiness probes (JSON, no authentication, served on any host)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ops.health import latest_health, readiness
from suresh_ai.api.ratelimit import rate_limits_state
from suresh_ai.tenancy import is_verified


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    components = readiness()
    ready = all(c.ok for c in components)
    body: dict[str, object] = {
        "status": "ok" if ready else "unavailable",
        "components": {c.name: c.as_dict() for c in components},
        # Not a readiness condition (the API serves without limits), but operators must see it.
        "rate_limits": rate_limits_state(),
    }
    user = getattr(request, "user", None)
    if user is not None and user.is_staff and is_verified(user):
        # Platform staff (signed in with a second factor) also see the monitor's latest round:
        # every component, its error, uptime over 24 hours and the health score.
        score, latest = latest_health()
        body["health"] = {"score": score, "components": latest}
    return JsonResponse(body, status=200 if ready else 503)
