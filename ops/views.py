"""Liveness and readiness probes (JSON, no authentication, served on any host)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ops.health import readiness


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    components = readiness()
    ready = all(c.ok for c in components)
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "components": {c.name: c.as_dict() for c in components}},
        status=200 if ready else 503,
    )
