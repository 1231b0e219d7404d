"""One error shape for every API failure: {"code", "message", "detail"}."""

from __future__ import annotations

import logging
import math
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from suresh_ai.errors import ApplicationError

logger = logging.getLogger(__name__)


def error_body(code: str, message: str, detail: Any = None) -> dict[str, Any]:
    return {"code": code, "message": message, "detail": detail if detail is not None else {}}


def error_response(status_code: int, code: str, message: str, detail: Any = None) -> JsonResponse:
    return JsonResponse(error_body(code, message, detail), status=status_code)


def _flatten_first(detail: Any) -> str:
    if isinstance(detail, dict):
        for field, value in detail.items():
            first = _flatten_first(value)
            return first if field == "non_field_errors" else f"{field}: {first}"
    if isinstance(detail, list) and detail:
        return _flatten_first(detail[0])
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.detail), status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django's handler500 answers in our shape
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body("validation_error", _flatten_first(fields), fields)
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
        extra: dict[str, Any] = {}
        wait = getattr(exc, "wait", None)
        if isinstance(exc, exceptions.Throttled) and wait is not None:
            extra = {"retry_after_seconds": math.ceil(wait)}
        message = exc.detail if isinstance(exc.detail, str) else _flatten_first(exc.detail)
        response.data = error_body(code, str(message), extra)
    return response


def is_api_path(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or request.path in ("/healthz", "/readyz")


def _page_or_json(request: HttpRequest, status_code: int, code: str, message: str, template: str) -> HttpResponse:
    if is_api_path(request):
        return error_response(status_code, code, message)
    return HttpResponse(render_to_string(template, {"message": message}, request=None), status=status_code)


def handler400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page_or_json(request, 400, "bad_request", "The request could not be understood.", "errors/400.html")


def handler403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page_or_json(request, 403, "permission_denied", "You may not do this.", "errors/403.html")


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page_or_json(request, 404, "not_found", f"Nothing at {request.path}.", "errors/404.html")


def handler500(request: HttpRequest) -> HttpResponse:
    return _page_or_json(request, 500, "server_error", "Something went wrong on our side.", "errors/500.html")


@csrf_exempt  # an unknown path answers 404 in our shape, not a CSRF page, whatever the method
def api_not_found(request: HttpRequest) -> JsonResponse:
    return error_response(status.HTTP_404_NOT_FOUND, "not_found", f"No API endpoint at {request.path}.")


def api_or_page_error(request: HttpRequest, status_code: int, code: str, message: str) -> HttpResponse:
    """Our JSON error for API clients (and anything not asking for HTML); a small page for browsers."""
    wants_html = "text/html" in request.META.get("HTTP_ACCEPT", "") and not is_api_path(request)
    if not wants_html:
        return error_response(status_code, code, message)
    return HttpResponse(render_to_string("errors/400.html", {"message": message}), status=status_code)
