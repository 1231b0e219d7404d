"""Base API views: rate limiting runs before permission checks, so failed keys are limited too."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from rest_framework import exceptions, generics, serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from suresh_ai.api.serializers import IdentifierField


class ThrottleFirstMixin:
    """DRF checks permissions before throttles; we throttle first so 401s and 403s count as well."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # A method the view does not serve (TRACE, or PUT where only PATCH exists) is 405 whoever
        # asks: checking credentials first would answer 401/403 for a method that never exists.
        method = (request.method or "").lower()
        if method not in self.http_method_names or not hasattr(self, method):  # type: ignore[attr-defined]
            raise exceptions.MethodNotAllowed(method.upper())
        self.format_kwarg = self.get_format_suffix(**kwargs)  # type: ignore[attr-defined]
        negotiated = self.perform_content_negotiation(request)  # type: ignore[attr-defined]
        request.accepted_renderer, request.accepted_media_type = negotiated
        request.version, request.versioning_scheme = self.determine_version(request, *args, **kwargs)  # type: ignore[attr-defined]
        auth_error: exceptions.APIException | None = None
        try:
            self.perform_authentication(request)  # type: ignore[attr-defined]
        except exceptions.AuthenticationFailed as exc:
            # Rate-limit the failed attempt as an anonymous caller, then report the failure.
            request._not_authenticated()  # type: ignore[attr-defined]
            auth_error = exc
        self.check_throttles(request)  # type: ignore[attr-defined]
        if auth_error is not None:
            raise auth_error
        self.check_permissions(request)  # type: ignore[attr-defined]


class BaseAPIView(ThrottleFirstMixin, APIView):
    pass


class BaseGenericAPIView(ThrottleFirstMixin, generics.GenericAPIView):  # type: ignore[type-arg]
    pass


class BaseListAPIView(ThrottleFirstMixin, generics.ListAPIView):  # type: ignore[type-arg]
    """A paginated list (``get``); subclasses may add ``post`` for creation."""


def _json_type_error(field: serializers.Field, value: Any) -> str | None:  # type: ignore[type-arg]
    """What is wrong with a JSON value's type for ``field`` (None when nothing is): text is text,
    a boolean is true or false, a whole number is a number; DRF would coerce 42 to "42", 0 to
    false and "7" to 7, so a client sending the wrong type would never learn of it."""
    if value is None:
        return None  # allow_null is the field's own check
    if isinstance(field, serializers.CharField):
        if isinstance(value, str) or (isinstance(field, IdentifierField) and type(value) is int):
            return None
        return "Not a valid string."
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else "Must be true or false."
    if isinstance(field, serializers.IntegerField):
        number = isinstance(value, int | float) and not isinstance(value, bool)
        return None if number else "A valid integer is required."
    if isinstance(field, serializers.ListField) and isinstance(value, list):
        for item in value:
            problem = _json_type_error(field.child, item)
            if problem is not None:
                return problem
    return None


class StrictSerializerMixin:
    # (Comments, not a docstring: drf-spectacular shows an inherited docstring as every serializer's
    # description in the API reference.) Reject fields the serializer does not know, instead of
    # silently ignoring them, and, in a JSON body, values of the wrong type (see _json_type_error).
    # Form and query data (a QueryDict) is all text, so there DRF's parsing of "true" or "7" stands.

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            fields = self.fields  # type: ignore[attr-defined]
            unknown = sorted(set(data) - set(fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
            if not isinstance(data, QueryDict):
                wrong = {name: _json_type_error(fields[name], value) for name, value in data.items()}
                errors = {name: [problem] for name, problem in wrong.items() if problem is not None}
                if errors:
                    raise serializers.ValidationError(errors)
        return super().to_internal_value(data)  # type: ignore[misc]


class ErrorSerializer(serializers.Serializer):  # type: ignore[type-arg]
    code = serializers.CharField(help_text="Stable machine-readable error code.")
    message = serializers.CharField(help_text="Human-readable explanation.")
    detail = serializers.DictField(help_text="Per-field messages for validation errors; extra data otherwise.")
