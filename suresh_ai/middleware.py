"""Cross-cutting request plumbing: request ids, body limits, NUL-free query strings, session
timeouts, headers, request logs."""

from __future__ import annotations

import logging
import re
import time
import uuid
import weakref
from collections.abc import Callable

import sentry_sdk
import structlog
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from sentry_sdk.types import Event, Hint

from suresh_ai.api.errors import error_response

logger = logging.getLogger("suresh_ai.request")

Handler = Callable[[HttpRequest], HttpResponse]
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


class RequestIdMiddleware:
    """Accept a well-formed X-Request-ID or make one; bind it to every log line of the request (and
    unbind it, with the tenant, when the request ends); return it."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            response = self.get_response(request)
        finally:
            # The request's id and tenant must not tag later lines logged by this thread.
            structlog.contextvars.clear_contextvars()
        response["X-Request-ID"] = request_id
        return response


class BodySizeLimitMiddleware:
    """Refuse bodies over MAX_REQUEST_BODY_BYTES before anything reads them (DRF's parsers do not
    check); the upload paths of UPLOAD_BODY_LIMITS have their own, larger limit. A chunked body
    without a Content-Length is a 411 (it would otherwise be read as empty)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower() and not request.META.get(
            "CONTENT_LENGTH"
        ):
            # Django reads a body by its Content-Length only: a chunked one would arrive empty.
            return error_response(
                411, "length_required", "Send the body with a Content-Length header; chunked bodies are not read."
            )
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_response(400, "bad_request", "Content-Length is not a number.")
        limit = next(
            (size for prefix, size in settings.UPLOAD_BODY_LIMITS.items() if request.path.startswith(prefix)),
            settings.MAX_REQUEST_BODY_BYTES,
        )
        if length > limit:
            return error_response(
                413,
                "request_too_large",
                f"The request body is {length} bytes; the limit is {limit}.",
                {"limit_bytes": limit},
            )
        return self.get_response(request)


class QueryStringNulMiddleware:
    """Refuse a NUL character anywhere in the query string (``?template=%00``) with a 400 naming the
    parameter, for every path: PostgreSQL cannot hold NUL in text, so such a value would fail deep in
    a query as a 500 instead of as the client's mistake."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:  # the cheap test first: most requests stop here
            for name, values in request.GET.lists():
                if "\x00" in name or any("\x00" in value for value in values):
                    return error_response(
                        400,
                        "bad_request",
                        "The query string contains a NUL character.",
                        {name: ["A NUL character is not allowed."]},
                    )
        return self.get_response(request)


class SessionTimeoutMiddleware:
    """Sign out after SESSION_IDLE_TIMEOUT seconds idle or SESSION_ABSOLUTE_TIMEOUT since sign-in,
    and bind each session to the tenant it was first used on: elsewhere it is anonymous.

    The rules apply to every request that carries a session, whatever its other headers: this runs
    before DRF decides whether an ``Authorization`` header holds a valid API key, so a header must
    never switch them off (a bogus ``Bearer x`` once did, on pages and the admin too). A request
    with an ``Authorization`` header is not activity of the session riding along with it: an API
    key authenticates on its own and its calls must not keep an idle session alive."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            schema = getattr(getattr(request, "tenant", None), "schema_name", None)
            bound = request.session.setdefault("tenant_schema", schema)
            if bound != schema:
                request.user = AnonymousUser()
                return self.get_response(request)
            now = int(time.time())
            started = request.session.get("auth_started_at", now)
            last_seen = request.session.get("last_seen_at", now)
            if now - last_seen > settings.SESSION_IDLE_TIMEOUT or now - started > settings.SESSION_ABSOLUTE_TIMEOUT:
                logout(request)
                request.session_expired = True  # type: ignore[attr-defined]
            else:
                request.session.setdefault("auth_started_at", now)
                # Write at most once a minute: idle precision of a minute costs far fewer DB writes.
                activity = "HTTP_AUTHORIZATION" not in request.META
                if activity and (now - last_seen >= 60 or "last_seen_at" not in request.session):
                    request.session["last_seen_at"] = now
        return self.get_response(request)


class RateLimitHeadersMiddleware:
    """Copy the rate-limit decision made by GcraThrottle onto the response."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        result = getattr(request, "rate_limit", None)
        if result is not None:
            for name, value in result.headers().items():
                response[name] = value
        return response


def _loggable_path(request: HttpRequest) -> str:
    """The URL pattern when one matched (".../invitations/<str:token>/"), so secrets carried in
    paths (invitation and password-reset tokens) never reach the logs; the raw path otherwise."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.route:
        return "/" + match.route.lstrip("^").rstrip("$")
    return request.path


def _user_id(request: HttpRequest) -> int | None:
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


def _sentry_user_processor(request_ref: weakref.ref[HttpRequest]) -> Callable[[Event, Hint], Event]:
    """Sentry event processor: the request's user id, never their email or name."""

    def processor(event: Event, hint: Hint) -> Event:
        request = request_ref()
        try:
            user_id = None if request is None else _user_id(request)
        except Exception:  # noqa: BLE001 - reporting an error must not raise another (the database may be down)
            user_id = None
        if user_id is not None:
            event["user"] = {"id": str(user_id)}
        return event

    return processor


class RequestLogMiddleware:
    """One JSON line per request: request id, tenant, user, method, path, status, duration."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        tenant = getattr(getattr(request, "tenant", None), "schema_name", None)
        structlog.contextvars.bind_contextvars(tenant=tenant)
        # Sentry gets the tenant's schema and the user's id, never their email or name.
        if sentry_sdk.get_client().is_active():
            scope = sentry_sdk.get_isolation_scope()
            scope.set_tag("tenant", tenant or "none")
            # Errors are captured while the view runs, before this middleware sees the response, and
            # API keys authenticate inside the view: the user is looked up when an event is made.
            scope.add_event_processor(_sentry_user_processor(weakref.ref(request)))
        response = self.get_response(request)
        user_id = _user_id(request)
        api_key = getattr(request, "api_key_prefix", None)
        logger.info(
            "request",
            extra={
                "method": request.method,
                "path": _loggable_path(request),
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "user_id": user_id,
                "api_key_prefix": api_key,
                "tenant": tenant,
            },
        )
        return response


class ApplicationErrorPageMiddleware:
    """Web pages (not the API, which has its own handler) answer an application error raised in a
    view with its status and message on the matching error page, instead of a 500: a bad date in
    an export link is a 400, another tenant's id a 404."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.shortcuts import render

        from suresh_ai.errors import ApplicationError

        if not isinstance(exception, ApplicationError) or request.path.startswith("/api/"):
            return None
        status = exception.status_code
        template = f"errors/{status}.html" if status in (400, 402, 403, 404, 429) else "errors/400.html"
        return render(request, template, {"message": exception.message}, status=status)


class AuditMiddleware:
    """Every state-changing request that succeeded (POST, PUT, PATCH, DELETE with a status below
    400), from the API, the web app or the admin, goes into the audit log with who, which
    tenant, what, from where, and the model instances it created, changed or deleted (before and
    after, redacted: ops.audit_changes). Request bodies are not stored (they hold passwords and
    personal data). The tracking endpoint's anonymous analytics beacons are not actions and are
    skipped, and so is a page answering a form with 200 having changed nothing: that is the form
    shown again with its errors (a successful form redirects). A view that records its own entry
    (an export) is not recorded twice."""

    AUDITED = frozenset({"POST", "PUT", "PATCH", "DELETE"})
    SKIPPED = ("/api/v1/public/track/",)

    def __init__(self, get_response: Handler) -> None:
        from ops.audit_changes import audit_connect

        self.get_response = get_response
        audit_connect()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from ops.audit import audit_record_request
        from ops.audit_changes import audit_capture

        if request.method not in self.AUDITED or request.path.startswith(self.SKIPPED):
            return self.get_response(request)
        with audit_capture() as changes:
            response = self.get_response(request)
        if response.status_code >= 400 or getattr(request, "audit_recorded", False):
            return response
        if response.status_code == 200 and changes.empty() and not request.path.startswith("/api/"):
            return response  # a page's form shown again (invalid input, a refused sign-in): no action
        audit_record_request(request, status_code=response.status_code, changes=changes)
        return response
