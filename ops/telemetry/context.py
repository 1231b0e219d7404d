"""What the telemetry knows about the request or task running now (for error and task records)."""

from __future__ import annotations

from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest

from ops.telemetry.recorder import UNMATCHED

current_request: ContextVar[HttpRequest | None] = ContextVar("telemetry_request", default=None)


def endpoint_of(request: HttpRequest) -> str:
    """The route pattern that matched ("/api/v1/members/<int:pk>/"), never the raw path (it holds
    ids and tokens); "<static>" or "<unmatched>" when no pattern matched."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return "/" + (match.route or "").lstrip("^").rstrip("$")
    if request.path.startswith(settings.STATIC_URL):
        return "<static>"
    return UNMATCHED


def tenant_schema_of(request: HttpRequest) -> str:
    return getattr(getattr(request, "tenant", None), "schema_name", "") or ""


def user_id_of(request: HttpRequest) -> int | None:
    """The signed-in user's id, without resolving a lazy user that nothing has resolved yet."""
    user = getattr(request, "_cached_user", None)  # set by django.contrib.auth once resolved
    return user.pk if user is not None and user.is_authenticated else None
