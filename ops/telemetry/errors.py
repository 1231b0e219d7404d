"""The internal error log: unhandled errors of requests and tasks grouped by fingerprint
(exception type + module:function:line of the innermost frame in our code).

Categories (first match wins; docs/operations/monitoring.md, "Error categories"):

- ``timeout``: a timeout anywhere in the exception's cause chain (TimeoutError, requests/httpx/
  urllib3/openai/groq timeouts, Celery time limits, PostgreSQL statement timeout "QueryCanceled");
- ``database``: django.db.DatabaseError, psycopg and redis errors (our data stores);
- ``provider``: errors of outside services' SDKs and HTTP clients (groq, openai, razorpay,
  requests, httpx, urllib3, boto3/botocore, smtplib) and our ServiceUnavailable (a provider down);
- ``client``: errors that mean a bad request (a status 400-499 on the exception, as ApplicationError
  and DRF's APIException carry; Django's BadRequest, SuspiciousOperation, PermissionDenied,
  ObjectDoesNotExist, ValidationError, Http404);
- ``server``: everything else.

No personal data: the message is truncated to 300 characters with e-mail addresses, quoted text
and digits masked; no local variables, parameters or bodies are stored.
"""

from __future__ import annotations

import hashlib
import re
import traceback
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType

from django.conf import settings
from django.db import connections
from django.utils import timezone

from ops.telemetry.models import ErrorCategory, ErrorGroup, ErrorOccurrence

_TIMEOUT_NAMES = frozenset(
    {
        "TimeoutError",
        "Timeout",
        "ReadTimeout",
        "ConnectTimeout",
        "TimeoutException",
        "ReadTimeoutError",
        "ConnectTimeoutError",
        "APITimeoutError",
        "SoftTimeLimitExceeded",
        "TimeLimitExceeded",
        "QueryCanceled",
    }
)
_DATABASE_MODULES = ("django.db", "psycopg", "psycopg2", "redis")
_PROVIDER_MODULES = ("groq", "openai", "razorpay", "requests", "httpx", "urllib3", "botocore", "boto3", "smtplib")
_CLIENT_NAMES = frozenset(
    {"BadRequest", "SuspiciousOperation", "PermissionDenied", "ObjectDoesNotExist", "ValidationError", "Http404"}
)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_DIGITS = re.compile(r"\d+")
MESSAGE_CHARS = 300


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return seen


def _classes(exc: BaseException) -> list[type]:
    return [klass for klass in type(exc).__mro__ if klass not in (BaseException, Exception, object)]


def _module_in(klass: type, prefixes: tuple[str, ...]) -> bool:
    module = klass.__module__
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def error_category(exc: BaseException) -> str:
    chain = _chain(exc)
    if any(klass.__name__ in _TIMEOUT_NAMES for e in chain for klass in _classes(e)):
        return ErrorCategory.TIMEOUT
    if any(_module_in(klass, _DATABASE_MODULES) for e in chain for klass in _classes(e)):
        return ErrorCategory.DATABASE
    from suresh_ai.errors import ServiceUnavailable

    if isinstance(exc, ServiceUnavailable) or any(
        _module_in(klass, _PROVIDER_MODULES) for e in chain for klass in _classes(e)
    ):
        return ErrorCategory.PROVIDER
    status = getattr(exc, "status_code", None)
    if (isinstance(status, int) and 400 <= status < 500) or any(k.__name__ in _CLIENT_NAMES for k in _classes(exc)):
        return ErrorCategory.CLIENT
    return ErrorCategory.SERVER


def _is_ours(filename: str) -> bool:
    base = str(settings.BASE_DIR)
    return filename.startswith(base) and "site-packages" not in filename and "/.venv/" not in filename


def error_location(tb: TracebackType | None) -> str:
    """module:function:line of the innermost frame in our code (the innermost frame otherwise)."""
    frames = list(traceback.walk_tb(tb))
    chosen = next((f for f in reversed(frames) if _is_ours(f[0].f_code.co_filename)), frames[-1] if frames else None)
    if chosen is None:
        return "unknown"
    frame, line = chosen
    module = frame.f_globals.get("__name__", "?")
    return f"{module}:{frame.f_code.co_name}:{line}"


def message_sanitise(text: str) -> str:
    """Truncated, with e-mail addresses, quoted text and digits masked (they may be personal data)."""
    text = _EMAIL.sub("<email>", text)
    text = _QUOTED.sub("'…'", text)
    text = _DIGITS.sub("#", text)
    return text[:MESSAGE_CHARS]


@dataclass(frozen=True)
class ErrorFacts:
    fingerprint: str
    exception_type: str
    location: str
    category: str
    message: str


def error_facts(exc: BaseException, tb: TracebackType | None = None) -> ErrorFacts:
    klass = type(exc)
    exception_type = f"{klass.__module__}.{klass.__qualname__}"
    location = error_location(tb if tb is not None else exc.__traceback__)
    fingerprint = hashlib.sha256(f"{exception_type}|{location}".encode()).hexdigest()
    return ErrorFacts(
        fingerprint, exception_type[:200], location[:300], error_category(exc), message_sanitise(str(exc))
    )


def error_record(
    *,
    exc: BaseException,
    tb: TracebackType | None = None,
    request_id: str = "",
    endpoint: str = "",
    tenant_schema: str = "",
    at: datetime | None = None,
) -> ErrorFacts:
    """Count one occurrence in its group and in the group's hour, in one statement (INSERT ...
    ON CONFLICT twice, in a CTE: concurrent workers never lose a count or create a duplicate)."""
    facts = error_facts(exc, tb)
    now = at or timezone.now()
    hour = now.replace(minute=0, second=0, microsecond=0)
    schema = settings.PUBLIC_SCHEMA_NAME
    groups = f'"{schema}"."{ErrorGroup._meta.db_table}"'
    hours = f'"{schema}"."{ErrorOccurrence._meta.db_table}"'
    statement = (
        f"WITH g AS (INSERT INTO {groups} AS e (fingerprint, exception_type, location, category, message, count, "  # noqa: S608 - our table names
        "first_seen, last_seen, last_request_id, last_endpoint, last_tenant_schema) "
        "VALUES (%s, %s, %s, %s, %s, 1, %s, %s, %s, %s, %s) "
        "ON CONFLICT (fingerprint) DO UPDATE SET count = e.count + 1, category = EXCLUDED.category, "
        "message = EXCLUDED.message, last_seen = GREATEST(e.last_seen, EXCLUDED.last_seen), "
        "last_request_id = EXCLUDED.last_request_id, last_endpoint = EXCLUDED.last_endpoint, "
        "last_tenant_schema = EXCLUDED.last_tenant_schema RETURNING id) "
        f"INSERT INTO {hours} AS h (group_id, hour, count) SELECT id, %s, 1 FROM g "
        "ON CONFLICT (group_id, hour) DO UPDATE SET count = h.count + 1"
    )
    params: list[str | datetime] = [
        facts.fingerprint,
        facts.exception_type,
        facts.location,
        str(facts.category),
        facts.message,
        now,
        now,
        request_id[:128],
        endpoint[:300],
        tenant_schema[:63],
        hour,
    ]
    with connections["default"].cursor() as cursor:
        cursor.execute(statement, params)
    return facts
